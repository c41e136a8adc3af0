#!/bin/sh
# t_report.sh -- the report's generated tables and sentences on small hand-made inputs whose
# answers are known: standard errors and the collapse flag (reports/acc.awk), the verdict
# sentences (reports/verdicts_acc.awk: the narrowest safe width, the models at the floor, the
# negative losses), the predictor order (reports/rank.awk), the rendering of undefined cells
# (reports/tsv.lua), the hand-typed-claim check (tools/check_claims.sh), and the security half's
# joins and sentences (robust_input.awk, ptq_gen.awk, verdicts_robust.awk).  TAP, run by prove.

cd "$(dirname "$0")/.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_report.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
diag() { sed 's/^/# /'; }
echo "1..19"

# two models, INT_2..INT_8 and POT_2..POT_8; model A loses nothing from INT_6 on, B from INT_6
# on too (INT_5 costs B 3 %); B collapses (accuracy 10 %, the floor) at POT_3 and POT_5..8
{
    printf 'model\ttitle\tquant\tbits\tebits\tfull_acc\tptq_acc\tacc_loss\n'
    for m in A B; do
        for b in 2 3 4 5 6 7 8; do
            case $m$b in
                A2|B2) a=10 ;; A3) a=40 ;; B3) a=30 ;; A4) a=70 ;; B4) a=60 ;; A5) a=79.5 ;; B5) a=77.6 ;;
                A6) a=79.8 ;; B6) a=79.6 ;; A7) a=80.4 ;; *) a=80 ;;
            esac
            printf '%s\tINT_%s\tINT\t%s\t0\t80\t%s\t%s\n' $m $b $b $a "$(awk -v a=$a 'BEGIN { printf "%.6g", (80 - a) / 80 }')"
        done
        for b in 2 3 4 5 6 7 8; do
            case $m$b in A2|B2|B3|B5|B6|B7|B8) a=10 ;; *) a=50 ;; esac
            printf '%s\tPOT_%s\tPOT\t%s\t0\t80\t%s\t%s\n' $m $b $b $a "$(awk -v a=$a 'BEGIN { printf "%.6g", (80 - a) / 80 }')"
        done
    done
} > "$tmp/results.tsv"
for m in A B; do printf 'setting\tvalue\ntest_images\t400\nclasses\t10\nmajority_pct\t10.00\n' > "$tmp/$m.settings.tsv"; done

awk -f reports/acc.awk "$tmp/results.tsv" "$tmp/A.settings.tsv" "$tmp/B.settings.tsv" > "$tmp/acc.tsv" 2> "$tmp/err"
ok $? "acc.awk runs"
# POT_4 of A: p = 0.5, n = 400 -> se = 100 sqrt(0.25/400) = 2.5 points, loss_se = 2.5/80
se=$(awk -F '\t' '$1 == "A" && $2 == "POT_4" { print $8 " " $10 }' "$tmp/acc.tsv")
[ "$se" = "2.500 0.03125" ]; ok $? "acc.awk: binomial standard error 2.5 points (loss scale 0.03125) at 50 % of 400 images (got '$se')"
# floor = 10 + 2 * 100 sqrt(0.09/400) = 13: 10 % is at the floor, 30 % is not
ch=$(awk -F '\t' '$1 == "B" && ($2 == "POT_3" || $2 == "INT_3") { printf "%s=%s ", $2, $13 }' "$tmp/acc.tsv")
[ "$ch" = "INT_3=0 POT_3=1 " ]; ok $? "acc.awk: at the majority-class floor exactly when not above it by two standard errors (got '$ch')"
[ "$(awk -F '\t' '$2 == "FP32"' "$tmp/acc.tsv" | wc -l)" -eq 2 ]; ok $? "acc.awk: one FP32 row per model"

awk -v tol=0.01 -f reports/verdicts_acc.awk "$tmp/acc.tsv" > "$tmp/v.tsv" 2> "$tmp/err"
ok $? "verdicts_acc.awk runs"
v() { awk -F '\t' -v k="$1" '$1 == k { print $2 }' "$tmp/v.tsv"; }
v INT | grep -q 'from INT_6 up every model stays within 1.0 % of its FP32 accuracy (the largest loss is 0.5 %, B at INT_6); at INT_5 the loss is 0.6–3.0 % (worst B)'
ok $? "INT verdict: safe from INT_6, INT_5 costs 0.6–3.0 % (B worst)"; v INT | diag
v POT | grep -q 'no bit width up to POT_8 keeps every model within 1.0 %' && v POT | grep -q 'at POT_2 every model is at the majority-class floor'
ok $? "POT verdict: never safe; POT_2 collapses every model"; v POT | diag
v floor | grep -q 'POT: B at POT_3, POT_5–8\.'
ok $? "floor verdict: B at POT_3 and POT_5–8 (POT_2, where every model is, left out)"; v floor | diag
v noise | grep -q '^1 of 28 points have a negative acc_loss.*all lie within two standard errors'
ok $? "noise verdict: the one negative loss (A at INT_7) is within two standard errors"; v noise | diag

printf 'metric\ttier\tlomo_rmse\nm1\tweight-only\t0.3\nm2\tlabel-free\t0.1\nm3\tweight-only\t0.2\nm4\tweight-only\tnan\nm5\tother\t0.1\nm6\tdata-free\t0.5\n' > "$tmp/p.tsv"
got=$(awk -f reports/rank.awk "$tmp/p.tsv" | awk -F '\t' 'NR > 1 { printf "%s%s ", $1, $2 }')
[ "$got" = "m31 m12 m43 m61 m21 m51 " ]; ok $? "rank.awk: weight-only, data-free, label-free, then other tiers; by LOMO RMSE, nan last (got '$got')"

printf 'k\tv\nA\tnan\nB\t-\nC\t1.5\n' > "$tmp/t.tsv"
printf '::: {.tsv file="%s/t.tsv" fmt="%%.2f"}\n:::\n\nvalue [ ]{.tsv file="%s/t.tsv" row=A col=v}\n' "$tmp" "$tmp" > "$tmp/t.md"
out=$(pandoc --from markdown --to html5 --lua-filter reports/tsv.lua "$tmp/t.md" 2>&1)
echo "$out" | grep -q '1.50' && ! echo "$out" | grep -qiw 'nan' && [ "$(echo "$out" | grep -o '—' | wc -l)" -eq 3 ]
ok $? "tsv.lua prints an undefined cell (nan, -) as a dash, never as nan"

printf 'A fit of [ ]{.tsv file="{F}/x.tsv" row=ALL col=r2 fmt=%%.4f} on P2/Q2, INT_8 and CIFAR-10.\n' > "$tmp/good.md"
printf 'Fine here.\nAlexNet loses most.\nThe pooled R² is 0.52.\n' > "$tmp/bad.md"
tools/check_claims.sh "$tmp/good.md" > "$tmp/c1" 2>&1; c1=$?
tools/check_claims.sh "$tmp/bad.md" > "$tmp/c2" 2>&1; c2=$?
[ $c1 -eq 0 ] && [ $c2 -eq 1 ] && [ "$(wc -l < "$tmp/c2")" -eq 2 ] && grep -q 'bad.md:2: model name' "$tmp/c2" && grep -q 'bad.md:3: number' "$tmp/c2"
ok $? "check_claims.sh passes filled-in numbers and names like INT_8, flags a typed model name and a typed number"
cat "$tmp/c1" "$tmp/c2" | diag

mkdir -p "$tmp/r"
printf '# x\n\n## Usage\n\nexit status 2, AlexNet as an example.\n\n## Results\n\n<!-- results:begin -->\nAlexNet: 88.9 %%\n<!-- results:end -->\n\n## Other\n\n3 more.\n' > "$tmp/r/README.md"
tools/check_claims.sh "$tmp/r/README.md" > "$tmp/c3" 2>&1; c3=$?
printf '\n## Results\n\nResNet_18 wins.\n' >> "$tmp/r/README.md"
tools/check_claims.sh "$tmp/r/README.md" > "$tmp/c4" 2>&1; c4=$?
[ $c3 -eq 0 ] && [ $c4 -eq 1 ] && grep -q 'README.md:19: model name' "$tmp/c4" && [ "$(wc -l < "$tmp/c4")" -eq 1 ]
ok $? "check_claims.sh on a README: reads only the Results section, skips its generated block, flags a typed claim there"
cat "$tmp/c3" "$tmp/c4" | diag

# the security half: two models, Full + INT_4 + INT_8; B's Full PGD accuracy (2 %) is near 0
printf 'model\ttitle\tquant\tbits\tjs_flops\tptq_acc\n' > "$tmp/res.tsv"
for m in A B; do printf '%s\tINT_4\tINT\t4\t5\t60\n%s\tINT_8\tINT\t8\t0.1\t80\n' $m $m >> "$tmp/res.tsv"; done
{
    printf 'model\ttitle\torg_acc\torg_gen_acc\tfgsm_acc\tfgsm_gen_acc\tpgd_acc\tpgd_gen_acc\torg_plain_acc\tfgsm_plain_acc\tpgd_plain_acc\tseconds\n'
    printf 'A\tFull\t80\t90\t40\t50\t20\t25\t-\t-\t-\t1\nA\tINT_4\t60\t70\t30\t30\t30\t10\t-\t-\t-\t1\nA\tINT_8\t80\t90\t40\t50\t20\t25\t-\t-\t-\t1\n'
    printf 'B\tFull\t90\t95\t10\t20\t2\t3\t-\t-\t-\t1\nB\tINT_4\t50\t60\t5\t5\t0\t1\t-\t-\t-\t1\nB\tINT_8\t90\t95\t10\t20\t2\t3\t-\t-\t-\t1\n'
} > "$tmp/rob.tsv"
awk -v min_full=5 -f experiments/awk/robust_input.awk "$tmp/res.tsv" "$tmp/rob.tsv" > "$tmp/rin.tsv" 2> "$tmp/err"
got=$(awk -F '\t' '$2 == "INT_4" { print $1, $11, $16 }' "$tmp/rin.tsv")
[ "$got" = "A 0.250000 1.500000" ] && grep -q 'B left out' "$tmp/err"
ok $? "robust_input.awk: org_loss 0.25 and pgd_rel_test 1.5 for A INT_4; B (Full PGD 2 %) left out of the ratios (got '$got')"
printf 'model\ttitle\tptq_acc\nA\tINT_4\t55\nA\tINT_8\t80.5\nB\tINT_4\t40\nB\tINT_8\t90\n' > "$tmp/pg_in.tsv"
mkdir -p "$tmp/pg" && printf 'title\tquant\tbits\tfull_acc\tptq_acc\nINT_4\tINT\t4\t80\t50\nINT_8\tINT\t8\t80\t80\n' > "$tmp/pg/A.tsv"
awk -f reports/../experiments/awk/ptq_gen.awk "$tmp/pg_in.tsv" "$tmp/pg/A.tsv" > "$tmp/pgo.tsv"
got=$(awk -F '\t' 'NR > 1 { printf "%s:%s ", $2, $8 }' "$tmp/pgo.tsv")
[ "$got" = "INT_4:-5.00 INT_8:-0.50 " ]; ok $? "ptq_gen.awk: generated minus real calibration per configuration (got '$got')"
printf 'model\ttest_images\tadjust_iters\tcap_hit\tadjust_cap\tpgd_gen_acc\tpgd_test_acc\nA\t400\t5\t0\t30\t21\t20\nB\t400\t30\t1\t30\t6\t2\n' > "$tmp/gs.tsv"
printf 'fit\tr2\trmse\tlomo_rmse\tbaseline_rmse\tlomo_skill\norg_abs\t0.9\t1\t2\t10\t0.8\npgd_abs\t0.5\t1\t6\t10\t0.4\norg_transfer\t0.7\t1\t1\t1\t0.1\npgd_transfer\t0.2\t1\t1\t1\t0.1\n' > "$tmp/fs.tsv"
awk -v steps=10 -f reports/verdicts_robust.awk "$tmp/gs.tsv" "$tmp/rob.tsv" "$tmp/fs.tsv" "$tmp/pgo.tsv" > "$tmp/vr.tsv" 2> "$tmp/err"
vr() { awk -F '\t' -v k="$1" '$1 == k { print $2 }' "$tmp/vr.tsv"; }
vr formats | grep -q 'INT_b keeps every model.s full-precision PGD accuracy and its clean accuracy (each within 2 s.e.) from b = 8 bits'
ok $? "verdicts_robust.awk formats: INT keeps PGD accuracy from 8 bits (B's INT_4 falls to 0 from 2 %)"; vr formats | diag
vr gain | grep -q 'In 1 of 4 (model, configuration) pairs' && vr gain | grep -q 'A INT_4, +10.0 points'
ok $? "verdicts_robust.awk gain: A INT_4 scores 10 points above Full under PGD, the one pair beyond 2 s.e."; vr gain | diag
vr adjust | grep -q 'for 1 of 2 models (median 5 updates); the other 1 stopped at the cap of 30' && vr transfer | grep -q 'partly tracks it' && vr datafree | grep -q 'median of -2.8 points over 2'
ok $? "verdicts_robust.awk adjust, transfer (skill 0.4: partly), data-free PTQ (median -2.8 of two pairs)"; vr adjust | diag; vr transfer | diag
vr datafree | grep -q 'within 1 point (or gains) in 1 of them; the worst: A INT_4, -5.0 points'
ok $? "verdicts_robust.awk data-free PTQ: 1 of 2 pairs within 1 point, the worst A INT_4 at -5.0"; vr datafree | diag

[ $failed -eq 0 ]
