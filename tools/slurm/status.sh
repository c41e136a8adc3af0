#!/bin/sh
# status.sh PROFILE -- per stage of this pipeline's Slurm run: tasks done (target up to date),
# running, pending, and failed or cancelled (neither done nor queued); from squeue, the
# recorded job ids (build/<P>/slurm/jobs.tsv) and the files present.
set -eu
P=$1 S=build/$1/slurm
[ -s "$S/plan.tsv" ] || { echo "status: nothing submitted for profile $P ($S/plan.tsv)"; exit 0; }
vars=$(cat "$S/vars")
q=$(squeue -h -r -o '%F %K %T' 2> /dev/null || true) # job, array index, state
awk -F '\t' 'NR > 1 { print $2 "\t" $3 }' "$S/jobs.tsv" > "$S/status.jobs.tmp"
printf 'stage\ttasks\tdone\trunning\tpending\tfailed\n'
for st in train stats ptq gen robust ptq_gen box pca final; do
    total=0 done=0 run=0 pend=0
    while IFS="$(printf '\t')" read -r s i m a target; do
        [ "$s" = "$st" ] || continue
        total=$((total + 1))
        if make -q --no-print-directory $vars $target 2> /dev/null; then done=$((done + 1)); continue; fi
        # the task's job of the newest round that has it; its state in squeue
        # (a chunked stage's jobs are named "<stage> <model>", one array per model)
        jobs=$(awk -F '\t' -v n="$st" -v nm="$st $m" '$1 == n || $1 == nm { print $2 }' "$S/status.jobs.tmp")
        state=
        for j in $jobs; do
            x=$(printf '%s\n' "$q" | awk -v j="$j" -v i="$i" -v f="$st" '$1 == j && (f == "final" || $2 == i) { print $3; exit }')
            [ -n "$x" ] && state=$x
        done
        case $state in RUNNING|COMPLETING) run=$((run + 1)) ;; PENDING|CONFIGURING) pend=$((pend + 1)) ;; esac
    done < "$S/plan.tsv"
    printf '%s\t%d\t%d\t%d\t%d\t%d\n' "$st" "$total" "$done" "$run" "$pend" $((total - done - run - pend))
done
rm -f "$S/status.jobs.tmp"
