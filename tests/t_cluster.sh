#!/bin/sh
# t_cluster.sh — the cluster path's pieces that need no Slurm: tools/ptq_merge.sh on hand-made
# chunks (the merge equals the one-run table; a missing, duplicated, reordered or foreign chunk
# and disagreeing settings are errors naming the chunk, with nothing written), the chunk plan of
# experiments/cluster.mk (chunks cover the sweep in order; box and pca tasks), submit.sh without
# sbatch, and the scaling model (tools/slurm/scaling.awk) on a case computed by hand.
cd "$(dirname "$0")/.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_cluster.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
diag() { sed 's/^/# /'; }
echo "1..15"
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
# the robustness sweep's merge: every chunk has the full-precision row (its wall time may differ)
mkr() { # mkr PREFIX FULL_SECONDS FULL_ACC CONFIGS...
    p=$1 fs=$2 fa=$3; shift 3
    { printf 'title\torg_acc\tpgd_acc\tseconds\nFull\t%s\t20.5\t%s\n' "$fa" "$fs"; for c in "$@"; do printf '%s\t80\t10\t0.3\n' "$c"; done; } > "$p.tsv"
    printf 'setting\tvalue\nmodel\tM\nmodels\t%d\nseed\t1\n' $(($# + 1)) > "$p.settings.tsv"
}
mkr "$tmp/r1" 1.5 90 A B C; mkr "$tmp/r2" 0.7 90 D E; mkr "$tmp/rone" 1.5 90 A B C D E
tools/robust_merge.sh "$tmp/rm" A,B,C,D,E "$tmp/r1" "$tmp/r2" 2> "$tmp/err"
cmp -s "$tmp/rm.tsv" "$tmp/rone.tsv" && cmp -s "$tmp/rm.settings.tsv" "$tmp/rone.settings.tsv"
ok $? "robust_merge: two chunks merge into the one-run table (Full once, its first wall time) and settings (models 1+3+2 = 6)"; diag < "$tmp/err"
rm -f "$tmp"/rm.*
mkr "$tmp/r2" 0.7 89.5 D E
tools/robust_merge.sh "$tmp/rm" A,B,C,D,E "$tmp/r1" "$tmp/r2" 2> "$tmp/err"; rc=$?
[ $rc -ne 0 ] && grep -q "r2.tsv: its full-precision row differs from .*r1.tsv's" "$tmp/err" && ! ls "$tmp"/rm.* > /dev/null 2>&1
ok $? "robust_merge: chunks whose full-precision rows disagree are refused, nothing written"; diag < "$tmp/err"
mkr "$tmp/r2" 0.7 90 E D
tools/robust_merge.sh "$tmp/rm" A,B,C,D,E "$tmp/r1" "$tmp/r2" 2> "$tmp/err"; rc=$?
[ $rc -ne 0 ] && grep -q 'r2.tsv: configuration E where D was expected' "$tmp/err" && ! ls "$tmp"/rm.* > /dev/null 2>&1
ok $? "robust_merge: configurations out of order are named, nothing written"; diag < "$tmp/err"
# the chunk plan: PTQ_CHUNK=11 over the 43 configurations gives 4 chunks covering them in order
got=$(make -s --no-print-directory PROFILE=quick PTQ_CHUNK=11 slurm-plan 2> "$tmp/err" | awk -F '\t' '$1 == "ptq" && $3 == "ResNet_18" { printf "%s ", $2 }')
[ "$got" = "1 2 3 4 " ]; ok $? "slurm-plan: 4 PTQ chunks of ResNet_18 for PTQ_CHUNK=11 (got '$got')"; diag < "$tmp/err"
cfgs=$(make -s --no-print-directory PROFILE=quick PTQ_CHUNK=11 -p -f Makefile -q no-such-target 2> /dev/null | sed -n 's/^ALL_CONFIGS := //p' | head -1)
[ "$(echo $cfgs | wc -w)" -eq 43 ] && [ "$(echo $cfgs | cut -d' ' -f1,15,16,23,43)" = "INT_2 INT_16 POT_2 FLOAT_3_E1 FLOAT_8_E6" ]
ok $? "ALL_CONFIGS: the 43 configurations in the engine's order (INT_2..16, POT_2..8, FLOAT_3_E1..FLOAT_8_E6)"
plan=$(make -s --no-print-directory PROFILE=quick PTQ_CHUNK=11 slurm-plan 2> "$tmp/err" | awk -F '\t' '$1 == "box" || $1 == "pca" { printf "%s %s %s|", $1, $3, $5 }')
[ "$plan" = "box AlexNet_BN data/quick/robust_box/AlexNet_BN.tsv|box ResNet_18 data/quick/robust_box/ResNet_18.tsv|pca ResNet_18 data/quick/pca/ResNet_18.tsv data/quick/adv/ResNet_18.tsv|" ]
ok $? "slurm-plan: the box sweeps and the PCA/adversarial tables are tasks after their model's generator, not the final job's (got '$plan')"
PATH=/nonexistent PROFILE=quick PTQ_CHUNK=11 SLURM_CPUS=2 /bin/sh tools/slurm/submit.sh > "$tmp/out" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q 'sbatch is not on PATH' "$tmp/out"
ok $? "submit.sh without sbatch: a clear message, exit 1"; diag < "$tmp/out"

# the scaling model by hand: one network M, one configuration, every rate 1 image/s except
# training on 1 thread (0.625: a 1.6x speedup, serial fraction 0.25, so 32 cores run a task in
# 0.4375 of its 2-core time).  train 1 x (2 + 2) + 2 = 6 s; the PTQ chunk 1 + 2 = 3; gen 1 +
# 2 x 4.1 (clean, FGSM and PGD scores: 3 + 1.1) + 1 adjust iteration x (4.1 + 1 + 1) = 15.3;
# robust (1 + 2 x 1) images x (4.1 + 4.1) = 24.6; ptq_gen 3; the final tail 10.
# One node: the sum, 61.9; 16 nodes: the chain train, gen, robust, final = 55.9.  32 cores:
# 32.70625 and 30.08125 (the tail is not sped up).
{ printf 'model\tmode\tconfig\tthreads\tbatch\timages_per_s\n'
  for x in "train - 2" "train - 1" "forward - 2" "pgd - 2" "gen - 2" "forward INT_8 2" "calibrate INT_8 2" "pgd INT_8 2"; do
      set -- $x; v=1; [ "$1 $3" = "train 1" ] && v=0.625; printf 'M\t%s\t%s\t%s\t8\t%s\n' "$1" "$2" "$3" "$v"; done; } > "$tmp/rates.tsv"
printf 'key\tvalue\ntail_seconds\t10\n' > "$tmp/rates.settings.tsv"
printf 'model\tadjust_iters\nM\t1\n' > "$tmp/iters.tsv"
sc() { awk -f tools/slurm/scaling.awk -v nodes="1 16" -v cores="2 32" -v epochs=1 -v valfrac=0.5 -v nimages=4 -v ntest=2 \
      -v calib=1 -v pbatch=1 -v chunk=1 -v rchunk=0 -v configs=INT_8 -v gepochs=1 -v giters=1 -v gbatch=1 -v adjb=1 -v cap=0 \
      -v natk=1 -v npseudo=1 -v boxmodels= -v boxconfigs= -v pcamodel= -v pcatest=0 -v pcaper=0 "$@" \
      "$tmp/rates.tsv" "$tmp/rates.settings.tsv" "$tmp/iters.tsv"; }
sc -v raw=1 > "$tmp/raw" 2> "$tmp/err"
awk -F '\t' 'BEGIN { w["task train M"] = 6; w["task ptq M chunk 1"] = 3; w["task gen M"] = 15.3; w["task robust M"] = 24.6
        w["task ptq_gen M"] = 3; w["task final"] = 10; w["makespan 2 1"] = 61.9; w["makespan 2 16"] = 55.9
        w["makespan 32 1"] = 32.70625; w["makespan 32 16"] = 30.08125 }
    { k = $1 " " $2 ($1 == "makespan" ? " " $3 : ""); v = $NF; if (!(k in w) || (v - w[k]) ^ 2 > 1e-4) bad = 1; seen[k] }
    END { for (k in w) if (!(k in seen)) bad = 1; exit bad }' "$tmp/raw"
ok $? "scaling.awk: task times and makespans on 1 and 16 nodes of 2 and 32 cores equal the hand computation"; diag < "$tmp/raw"; diag < "$tmp/err"
sed -i '/calibrate/d' "$tmp/rates.tsv"
sc > "$tmp/out" 2>&1; rc=$?
[ $rc -ne 0 ] && grep -q 'no rate for M calibrate INT_8 2 threads' "$tmp/out"
ok $? "scaling.awk: a missing measurement is named, exit non-zero"; diag < "$tmp/out"
[ $failed -eq 0 ]
