#!/bin/sh
# task.sh PROFILE STAGE [MODEL] -- one Slurm task of the pipeline (tools/slurm/submit.sh): the
# target of plan line (STAGE, SLURM_ARRAY_TASK_ID[, MODEL]) of build/<P>/slurm/plan.tsv, made by
# `make` with the variables of the submission (build/<P>/slurm/vars).  The final task makes the
# pooled tables, fits, figures and reports, merging the PTQ chunks on the way.
set -eu
P=$1 st=$2 m=${3:-}
S=build/$P/slurm
vars=$(cat "$S/vars")
idx=${SLURM_ARRAY_TASK_ID:-0}
if [ "$st" = final ]; then
    targets=$(awk -F '\t' '$1 == "final" { print $5 }' "$S/plan.tsv")
    exec make --no-print-directory -j"${SLURM_CPUS_PER_TASK:-1}" $vars $targets
fi
target=$(awk -F '\t' -v s="$st" -v i="$idx" -v m="$m" '$1 == s && $2 == i && (m == "" || $3 == m) { print $5 }' "$S/plan.tsv")
[ -n "$target" ] || { echo "task: no plan line for stage $st, task $idx${m:+, model $m} in $S/plan.tsv" >&2; exit 1; }
echo "task $st $idx${m:+ $m}: make $target on $(hostname) ($vars)"
set -f # a plan line may name several targets (pca: the PCA and the adversarial examples)
exec make --no-print-directory $vars $target
