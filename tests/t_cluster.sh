#!/bin/sh
# t_cluster.sh — the cluster path's pieces that need no Slurm: tools/ptq_merge.sh on hand-made
# chunks (the merge equals the one-run table; a missing, duplicated, reordered or foreign chunk
# and disagreeing settings are errors naming the chunk, with nothing written), the chunk plan of
# experiments/cluster.mk (chunks cover the sweep in order), and submit.sh without sbatch.
cd "$(dirname "$0")/.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_cluster.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
diag() { sed 's/^/# /'; }
echo "1..9"
H='title\tquant\tptq_acc\tseconds'
row() { printf '%s\tX\t%s\t0.1\n' "$1" "$2"; }
mk() { # mk PREFIX CONFIGS... : a chunk with these rows, its layers and settings
    p=$1; shift
    { printf "$H\n"; for c in "$@"; do row "$c" 50; done; } > "$p.tsv"
    { printf 'title\tlayer\tjs\n'; for c in "$@"; do printf '%s\tconv0\t0.5\n%s\tfc1\t0.25\n' "$c" "$c"; done; } > "$p.layers.tsv"
    printf 'setting\tvalue\nmodel\tM\nconfigs\t%d\nseed\t1\n' $# > "$p.settings.tsv"
}
mk "$tmp/c1" A B; mk "$tmp/c2" C D; mk "$tmp/c3" E
mk "$tmp/one" A B C D E
tools/ptq_merge.sh "$tmp/m" A,B,C,D,E "$tmp/c1" "$tmp/c2" "$tmp/c3" 2> "$tmp/err"
cmp -s "$tmp/m.tsv" "$tmp/one.tsv" && cmp -s "$tmp/m.layers.tsv" "$tmp/one.layers.tsv" && cmp -s "$tmp/m.settings.tsv" "$tmp/one.settings.tsv"
ok $? "three chunks merge into the bytes of the one-run table, layer table and settings (configs 2+2+1 = 5)"
rm -f "$tmp"/m.*
tools/ptq_merge.sh "$tmp/m" A,B,C,D,E "$tmp/c1" "$tmp/c3" 2> "$tmp/err"; rc=$?
[ $rc -ne 0 ] && grep -q 'c3.tsv: configuration E where C was expected' "$tmp/err" && ! ls "$tmp"/m.* > /dev/null 2>&1
ok $? "a chunk left out: the chunk after the gap is named, nothing written"; diag < "$tmp/err"
tools/ptq_merge.sh "$tmp/m" A,B,C,D,E "$tmp/c1" "$tmp/c2" 2> "$tmp/err"; rc=$?
[ $rc -ne 0 ] && grep -q '1 configurations missing, from E on' "$tmp/err" && ! ls "$tmp"/m.* > /dev/null 2>&1
ok $? "the last chunk missing: the missing configurations are named"; diag < "$tmp/err"
tools/ptq_merge.sh "$tmp/m" A,B,C,D,E "$tmp/c1" "$tmp/c1" "$tmp/c2" "$tmp/c3" 2> "$tmp/err"; rc=$?
[ $rc -ne 0 ] && grep -q 'configuration A appears twice' "$tmp/err"
ok $? "a duplicated chunk is an error naming the configuration and the chunks"; diag < "$tmp/err"
tools/ptq_merge.sh "$tmp/m" A,B,C,D,E "$tmp/c1" "$tmp/c2" "$tmp/nochunk" 2> "$tmp/err"; rc=$?
[ $rc -ne 0 ] && grep -q 'missing chunk .*nochunk.tsv' "$tmp/err"
ok $? "a chunk whose files do not exist is named"; diag < "$tmp/err"
sed -i 's/^seed\t1$/seed\t2/' "$tmp/c2.settings.tsv"
tools/ptq_merge.sh "$tmp/m" A,B,C,D,E "$tmp/c1" "$tmp/c2" "$tmp/c3" 2> "$tmp/err"; rc=$?
[ $rc -ne 0 ] && grep -q 'c2.settings.tsv: setting seed is 2, the first chunk has 1' "$tmp/err" && ! ls "$tmp"/m.* > /dev/null 2>&1
ok $? "chunks run with different settings are refused"; diag < "$tmp/err"
# the chunk plan: PTQ_CHUNK=11 over the 43 configurations gives 4 chunks covering them in order
got=$(make -s --no-print-directory PROFILE=quick PTQ_CHUNK=11 slurm-plan 2> "$tmp/err" | awk -F '\t' '$1 == "ptq" && $3 == "ResNet_18" { printf "%s ", $2 }')
[ "$got" = "1 2 3 4 " ]; ok $? "slurm-plan: 4 PTQ chunks of ResNet_18 for PTQ_CHUNK=11 (got '$got')"; diag < "$tmp/err"
cfgs=$(make -s --no-print-directory PROFILE=quick PTQ_CHUNK=11 -p -f Makefile -q no-such-target 2> /dev/null | sed -n 's/^ALL_CONFIGS := //p' | head -1)
[ "$(echo $cfgs | wc -w)" -eq 43 ] && [ "$(echo $cfgs | cut -d' ' -f1,15,16,23,43)" = "INT_2 INT_16 POT_2 FLOAT_3_E1 FLOAT_8_E6" ]
ok $? "ALL_CONFIGS: the 43 configurations in the engine's order (INT_2..16, POT_2..8, FLOAT_3_E1..FLOAT_8_E6)"
PATH=/nonexistent PROFILE=quick PTQ_CHUNK=11 SLURM_CPUS=2 /bin/sh tools/slurm/submit.sh > "$tmp/out" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q 'sbatch is not on PATH' "$tmp/out"
ok $? "submit.sh without sbatch: a clear message, exit 1"; diag < "$tmp/out"
[ $failed -eq 0 ]
