#!/bin/sh
# submit.sh -- submit the pipeline of PROFILE to Slurm (make reproduce CLUSTER=slurm).
#
# Reads the plan from `make slurm-plan` (experiments/cluster.mk): one task per target file.
# A task whose target `make -q` finds up to date is not submitted, so a resubmission after a
# failure or a cancel completes only the missing work.  Per stage one job array (per model for
# the PTQ and robustness chunks); a task waits (afterok / aftercorr) for the task of its model that makes its
# input, when that task is part of this submission; the final job (merge, fits, figures,
# reports) waits for every job of the submission.  Job ids: build/<P>/slurm/jobs.tsv; logs:
# build/<P>/slurm/<stage>/<task>.{out,err}.
#
# Settings (environment, set by the Makefile from the profile or the command line): PROFILE,
# PTQ_CHUNK, ROBUST_CHUNK, SLURM_CPUS (--cpus-per-task; THREADS of every task), SLURM_MEM, SLURM_PARTITION,
# SLURM_TIME_<stage>, SBATCH_OPTS, SLURM_WAIT (1: wait for the final job, exit with its result).
set -eu
P=${PROFILE:?PROFILE unset}
MAKE=${MAKE:-make}
command -v sbatch > /dev/null 2>&1 || {
    echo "submit: sbatch is not on PATH: CLUSTER=slurm needs a Slurm client (Debian: slurm-client;" >&2
    echo "  make deps-slurm installs a local Slurm for tests); run without CLUSTER=slurm for a local run" >&2
    exit 1; }
root=$(pwd)
S=build/$P/slurm
mkdir -p "$S"
vars="PROFILE=$P PTQ_CHUNK=${PTQ_CHUNK:-0} ROBUST_CHUNK=${ROBUST_CHUNK:-0} THREADS=${SLURM_CPUS:?SLURM_CPUS unset}"
printf '%s\n' "$vars" > "$S/vars"

$MAKE --no-print-directory build/mta > /dev/null
$MAKE -s --no-print-directory $vars slurm-plan > "$S/plan.tsv.tmp" && mv "$S/plan.tsv.tmp" "$S/plan.tsv"

round=$(awk -F '\t' 'NR > 1 && $1 > r { r = $1 } END { print r + 1 }' "$S/jobs.tsv" 2> /dev/null || echo 1)
[ -s "$S/jobs.tsv" ] || printf 'round\tstage\tjob\ttasks\n' > "$S/jobs.tsv"

: > "$S/todo.tsv"
while IFS="$(printf '\t')" read -r stage idx model after target; do
    [ "$stage" = final ] && continue
    set -f; $MAKE -q --no-print-directory $vars $target 2> /dev/null || printf '%s\t%s\t%s\t%s\t%s\n' "$stage" "$idx" "$model" "$after" "$target" >> "$S/todo.tsv"
done < "$S/plan.tsv"
set +f

sb() { # sb STAGE NAME ARRAY [sbatch options...] COMMAND...: submit, print the job id
    st=$1 name=$2 arr=$3; shift 3
    eval "t=\${SLURM_TIME_$st:-01:00:00}"
    mkdir -p "$S/$st"
    log="$S/$st/${name#$st}${arr:+%a}"; [ -n "$arr" ] || log="$log$round"
    sbatch --parsable --job-name="mta-$P-$name" --chdir="$root" ${arr:+--array=$arr} \
        --cpus-per-task="$SLURM_CPUS" --mem="${SLURM_MEM:-4G}" --time="$t" \
        ${SLURM_PARTITION:+--partition=$SLURM_PARTITION} --kill-on-invalid-dep=yes \
        --output="$log.out" --error="$log.err" ${SBATCH_OPTS:-} "$@" | cut -d';' -f1
}
all=
: > "$S/taskjobs.tsv" # stage, index, model, job: what this round submitted
record() { # record STAGE JOB INDICES [MODEL]
    printf '%s\t%s\t%s\t%s\n' "$round" "$1${4:+ $4}" "$2" "$3" >> "$S/jobs.tsv"; all="${all:+$all:}$2"
    for x in $(echo "$3" | tr , ' '); do printf '%s\t%s\t%s\t%s\n' "$1" "$x" "${4:--}" "$2" >> "$S/taskjobs.tsv"; done
    echo "submitted $1${4:+ $4}: job $2, tasks $3"; }

# one array per stage and upstream job: tasks of stage ST whose model's task of stage UP (same
# index) is in this round wait for it (aftercorr: the task of the same index); the others start
# at once
submit_stage() { # submit_stage ST UP
    awk -F '\t' -v s="$1" -v u="$2" 'FILENAME == ARGV[1] { if ($1 == u) job[$2] = $4; next }
        $1 == s { g = ($2 in job) ? job[$2] : "-"; l[g] = l[g] (l[g] == "" ? "" : ",") $2 }
        END { for (g in l) print g "\t" l[g] }' "$S/taskjobs.tsv" "$S/todo.tsv" > "$S/groups.tmp"
    while IFS="$(printf '\t')" read -r upjob i; do
        if [ "$upjob" = - ]; then j=$(sb "$1" "$1" "$i" tools/slurm/task.sh "$P" "$1")
        else j=$(sb "$1" "$1" "$i" --dependency="aftercorr:$upjob" tools/slurm/task.sh "$P" "$1"); fi
        record "$1" "$j" "$i"
    done < "$S/groups.tmp"
    rm -f "$S/groups.tmp"
}
# a chunked stage: one array per model (its chunks), after that model's task of stage UP when
# that task is submitted in this round
submit_chunks() { # submit_chunks ST UP
    for m in $(awk -F '\t' -v s="$1" '$1 == s && !seen[$3]++ { print $3 }' "$S/todo.tsv"); do
        i=$(awk -F '\t' -v s="$1" -v m="$m" '$1 == s && $3 == m { printf "%s%s", (n++ ? "," : ""), $2 }' "$S/todo.tsv")
        ti=$(awk -F '\t' -v u="$2" -v m="$m" '$1 == u && ($3 == m || $5 ~ "/" m "[.]tsv$") { print $2 }' "$S/todo.tsv")
        tj=$(awk -F '\t' -v u="$2" -v x="$ti" '$1 == u && $2 == x { print $4 }' "$S/taskjobs.tsv")
        dep=${tj:+--dependency=afterok:${tj}_$ti}
        j=$(sb "$1" "$1$m." "$i" $dep tools/slurm/task.sh "$P" "$1" "$m"); record "$1" "$j" "$i" "$m"
    done
}
submit_stage train -
submit_stage stats -
submit_stage gen train
if [ "${ROBUST_CHUNK:-0}" = 0 ]; then submit_stage robust gen; fi
submit_stage ptq_gen gen
submit_stage box gen
submit_stage pca gen
submit_stage lm -
submit_chunks ptq train
if [ "${ROBUST_CHUNK:-0}" != 0 ]; then submit_chunks robust gen; fi

final_targets=$(awk -F '\t' '$1 == "final" { print $5 }' "$S/plan.tsv")
if [ -z "$all" ] && $MAKE -q --no-print-directory $vars $final_targets 2> /dev/null; then
    echo "submit: profile $P is complete; nothing to submit"; exit 0
fi
final=$(sb final final "" ${all:+--dependency=afterok:$all} tools/slurm/task.sh "$P" final); record final "$final" 0
n=$(awk -F '\t' -v r="$round" '$1 == r' "$S/jobs.tsv" | wc -l)
echo "submit: round $round of profile $P: $n jobs ($(wc -l < "$S/todo.tsv") tasks and the final job); make slurm-status PROFILE=$P"

[ "${SLURM_WAIT:-0}" = 1 ] || exit 0
while squeue -h -j "$final" -o %T 2> /dev/null | grep -q .; do sleep 2; done
state=$(scontrol show job "$final" 2> /dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
if [ "$state" != COMPLETED ]; then
    echo "submit: the final job $final ended ${state:-(state unknown)}; make slurm-status PROFILE=$P, logs in $S/" >&2
    exit 1
fi
echo "submit: profile $P complete (final job $final)"
