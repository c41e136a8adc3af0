#!/bin/sh
# t_slurm.sh — the pipeline on a real Slurm (make test-slurm): a one-node Slurm started here
# (tools/slurm/local.sh: munged, slurmctld, slurmd, every file in a temporary directory, all
# stopped at the end even on failure) runs `make reproduce PROFILE=quick CLUSTER=slurm` in a copy
# of this tree; every TSV of its data/quick must equal the local run's (make reproduce
# PROFILE=quick here, same threads) byte for byte once the wall-clock columns (named seconds or
# *_seconds) and the link-time version stamp are taken out.  Under Slurm the PTQ and robustness
# sweeps run in chunks (SLURM_PTQ_CHUNK, SLURM_ROBUST_CHUNK) and are merged; locally in one run
# each.  Then resubmission: a PTQ chunk and a robustness chunk are deleted as if their tasks had
# been lost, the next submission is cancelled (held jobs, make slurm-cancel), and the one after
# must submit only those chunks and the final job, leave every other output untouched, and
# restore identical tables.
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_slurm.XXXXXX") || exit 1
cleanup() { tools/slurm/local.sh stop "$tmp/slurm" > /dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
diag() { sed 's/^/# /'; }
# what a failure shows goes to stderr, which prove prints (it hides a passing test's stdout comments)
faildiag() { sed 's/^/# /' >&2; }
echo "1..9"
PATH=$PATH:/usr/sbin
tools/slurm/local.sh start "$tmp/slurm" > "$tmp/start.out" 2>&1; rc=$?
ok $rc "a one-node Slurm starts from Debian's packages in a temporary directory"
[ $rc -eq 0 ] || { diag < "$tmp/start.out"; tail -5 "$tmp/slurm"/*.log 2> /dev/null | diag; exit 1; }
export SLURM_CONF="$tmp/slurm/slurm.conf"

# the local reference (a no-op when data/quick is up to date)
t0=$(date +%s)
make --no-print-directory reproduce PROFILE=quick > "$tmp/local.out" 2>&1; rc=$?
ok $rc "local make reproduce PROFILE=quick ($(( $(date +%s) - t0 )) s)"; [ $rc -eq 0 ] || tail -20 "$tmp/local.out" | faildiag

# a copy of this tree (HEAD, the uncommitted changes and untracked files; no build/, no data/quick)
git clone -q --no-hardlinks "$root" "$tmp/src" &&
    git diff HEAD --binary | (cd "$tmp/src" && git apply --allow-empty 2> /dev/null || git apply) &&
    { [ -z "$(git ls-files -o --exclude-standard)" ] ||
      git ls-files -o --exclude-standard -z | xargs -0 tar cf - | (cd "$tmp/src" && tar xf -); }
cd "$tmp/src" || exit 1
t0=$(date +%s)
timeout 1500 make --no-print-directory reproduce PROFILE=quick CLUSTER=slurm SLURM_WAIT=1 > "$tmp/slurm1.out" 2>&1; rc=$?
ok $rc "make reproduce PROFILE=quick CLUSTER=slurm through Slurm ($(( $(date +%s) - t0 )) s)"
[ $rc -eq 0 ] || { tail -20 "$tmp/slurm1.out" | faildiag; cat build/quick/slurm/*/*.err 2> /dev/null | tail -20 | faildiag; }
grep '^submit' "$tmp/slurm1.out" | diag

# jobs and tasks of the first round: one array per stage (per model for the PTQ chunks)
got=$(awk -F '\t' '$1 == 1 { split($4, t, ","); st = $2; sub(/ .*/, "", st); s[st] += length(t) ? length(t) : 1; j++ }
    END { printf "%d jobs:", j; n = split("train stats gen robust ptq_gen box pca lm ptq final", o, " "); for (i = 1; i <= n; i++) printf " %s %d", o[i], s[o[i]] }' build/quick/slurm/jobs.tsv)
[ "$got" = "14 jobs: train 3 stats 3 gen 3 robust 6 ptq_gen 3 box 2 pca 1 lm 1 ptq 12 final 1" ]
ok $? "round 1 submitted 35 tasks in 14 jobs ($got)"

# byte identity, wall-clock columns (and the wall-clock rows of key/value tables) out, and the mta_version rows and columns (the binary is
# stamped at link time only, so the same sources linked at two commits differ there)
strip() { awk -F '\t' -v OFS='\t' 'FNR == 1 { for (i = 1; i <= NF; i++) keep[i] = ($i != "seconds" && $i !~ /_seconds$/ && $i != "mta_version") }
    $1 == "mta_version" || $1 ~ /(^|_)seconds$/ || $1 ~ /_per_s(econd)?$/ { next }
    { s = "";  for (i = 1; i <= NF; i++) if (keep[i]) s = s (s == "" ? "" : "\t") $i; print s }' "$1"; }
compare() { # compare: every TSV of the local data/quick against this copy's; prints the differing ones
    (cd "$root/data/quick" && find . -name '*.tsv' | sort) > "$tmp/l.list"
    (cd data/quick && find . -name '*.tsv' | sort) > "$tmp/s.list"
    cmp -s "$tmp/l.list" "$tmp/s.list" || { echo "file lists differ:"; diff "$tmp/l.list" "$tmp/s.list" | head; }
    while read -r f; do
        [ -f "data/quick/$f" ] || continue
        strip "$root/data/quick/$f" > "$tmp/a"; strip "data/quick/$f" > "$tmp/b"
        cmp -s "$tmp/a" "$tmp/b" || { echo "$f differs:"; diff "$tmp/a" "$tmp/b" | head -4; }
    done < "$tmp/l.list"
}
compare > "$tmp/cmp1" 2>&1
nf=$(wc -l < "$tmp/l.list")
[ ! -s "$tmp/cmp1" ] && [ "$nf" -gt 50 ]
ok $? "every one of the $nf TSVs of data/quick equals the local run's, byte for byte without the wall-clock columns"; head -30 "$tmp/cmp1" | faildiag
cfg=$(cut -f1 "$root/data/quick/ptq/ResNet_18.tsv" | tail -n +2 | tr '\n' ' ')
mk=$(make -s --no-print-directory PROFILE=quick -p -q no-such-target 2> /dev/null | sed -n 's/^ALL_CONFIGS := //p' | head -1)
[ "$(echo $cfg)" = "$(echo $mk)" ]; ok $? "cluster.mk's ALL_CONFIGS is the engine's configuration order"

make -s --no-print-directory slurm-status PROFILE=quick > "$tmp/status" 2>&1
awk -F '\t' 'NR > 1 && $2 != $3 { bad = 1 } END { exit bad || NR < 10 }' "$tmp/status"
ok $? "make slurm-status: every task of every stage done"; diag < "$tmp/status"

# resubmission: two lost chunks; a cancelled round; the next round does only the missing work
rm -f build/quick/ptq_chunks/ResNet_18.2.tsv build/quick/robust_chunks/MobileNetV2.2.tsv
mtimes() { ls -l --time-style=+%s.%N data/quick/train data/quick/gen build/quick/ckpt build/quick/robust_chunks \
    data/quick/robust/AlexNet_BN.tsv data/quick/robust/ResNet_18.tsv | grep -v -e 'MobileNetV2[.]2[.]' -e '^total ' | sort; }
mtimes > "$tmp/mtimes.before"
make --no-print-directory reproduce PROFILE=quick CLUSTER=slurm SBATCH_OPTS=--hold > "$tmp/slurm2.out" 2>&1
make -s --no-print-directory slurm-cancel PROFILE=quick > "$tmp/cancel" 2>&1
sleep 2
r2=$(awk -F '\t' '$1 == 2 { printf "%s[%s] ", $2, $4 }' build/quick/slurm/jobs.tsv)
grep -q 'jobs were still queued or running, and are cancelled' "$tmp/cancel" && [ ! -f build/quick/ptq_chunks/ResNet_18.2.tsv ] &&
    [ "$r2" = "ptq ResNet_18[2] robust MobileNetV2[2] final[0] " ]
ok $? "a held round 2 (PTQ chunk 2 of ResNet_18, robustness chunk 2 of MobileNetV2 and the final job: got '$r2') is cancelled by make slurm-cancel"; diag < "$tmp/cancel"
timeout 900 make --no-print-directory reproduce PROFILE=quick CLUSTER=slurm SLURM_WAIT=1 > "$tmp/slurm3.out" 2>&1; rc=$?
r3=$(awk -F '\t' '$1 == 3 { printf "%s[%s] ", $2, $4 }' build/quick/slurm/jobs.tsv)
mtimes > "$tmp/mtimes.after"
compare > "$tmp/cmp3" 2>&1
[ $rc -eq 0 ] && [ "$r3" = "ptq ResNet_18[2] robust MobileNetV2[2] final[0] " ] && cmp -s "$tmp/mtimes.before" "$tmp/mtimes.after" && [ ! -s "$tmp/cmp3" ]
ok $? "round 3 submits only the lost chunks and the final job (got '$r3'), leaves training, generators and sweeps untouched, and the tables equal the local run's again"
[ $rc -eq 0 ] || tail -10 "$tmp/slurm3.out" | faildiag; head -10 "$tmp/cmp3" | faildiag
diff "$tmp/mtimes.before" "$tmp/mtimes.after" | head -10 | diag
[ $failed -eq 0 ]
