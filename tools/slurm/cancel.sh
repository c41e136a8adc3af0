#!/bin/sh
# cancel.sh PROFILE -- cancel this pipeline's Slurm jobs: the ids recorded by submit.sh in
# build/<P>/slurm/jobs.tsv (no other job of the user is touched).
set -eu
J=build/$1/slurm/jobs.tsv
[ -s "$J" ] || { echo "cancel: no jobs recorded for profile $1 ($J)"; exit 0; }
command -v scancel > /dev/null 2>&1 || { echo "cancel: scancel is not on PATH" >&2; exit 1; }
ids=$(awk -F '\t' 'NR > 1 { print $3 }' "$J" | sort -u)
live=$(squeue -h -o %F 2> /dev/null | sort -u)
n=0
for j in $ids; do
    if printf '%s\n' "$live" | grep -qx "$j"; then scancel "$j" && n=$((n + 1)); fi
done
echo "cancel: $n of this pipeline's jobs were still queued or running, and are cancelled"
