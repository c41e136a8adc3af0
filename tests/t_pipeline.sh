#!/bin/sh
# t_pipeline.sh -- end to end: `make reproduce PROFILE=quick` in this checkout (train, stats,
# ptq, fits, figures, reports), then check the report: reports/quick/main.html exists, is
# self-contained, holds every expected table and figure, and shows numbers taken from the fit
# tables; fit_bkp; nothing left to rebuild; tools/tsvdiff on unchanged and changed tables.
# TAP, run by prove.  Takes minutes the first time (training and PTQ of the quick profile),
# seconds when the data stages are up to date.  The make log: build/quick/t_pipeline.log.

cd "$(dirname "$0")/.." || exit 1
P=quick
D=data/$P
F=$D/fit
HTML=reports/$P/main.html
BKP=reports/$P/fit_bkp.md
LOG=build/$P/t_pipeline.log
MAKE=${MAKE:-make}
unset MAKEFLAGS MFLAGS MAKELEVEL            # a clean make, even when run from make test

n=0 failed=0
ok() { # cond-status description
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
diag() { sed 's/^/# /'; }

models=$(sed -n 's/^MODELS[[:space:]]*:*=[[:space:]]*//p' experiments/profiles/$P.mk)
nmodels=$(echo $models | wc -w)
# the tables and figures of reports/main.md, by id (tab-diff: only when the last two committed
# versions of data/$P differ)
tables="tab-settings tab-kernels tab-fp tab-ptq-acc tab-pot tab-r2 tab-variants tab-model-fits tab-lomo tab-lomo-variants tab-predictors tab-predictors-logpoly tab-nested tab-select-top tab-noise tab-layer-sqnr tab-sample-size tab-zoos tab-gen tab-robust-sel tab-robust-box tab-robust-fits tab-ptq-gen tab-lm-fit tab-lm tab-timing tab-runs"
figures="fig-heatmap fig-acc-bits fig-fp-acc fig-train-curves fig-pooled-flops fig-pooled-flops-logx fig-pooled-param fig-pooled-wt-log fig-pooled-wt-cbrt fig-models-flops-logx fig-models-flops fig-models-param-logx fig-models-param fig-lomo-scatter fig-nested-scatter fig-layer-sqnr fig-sample-size fig-predictors fig-robust-configs fig-robust-transfer fig-pca fig-adv-images fig-ptq-gen fig-lm-flops"
verdicts="verdicts-acc verdicts-pred verdicts-nested verdicts-predict verdicts-samples verdicts-zoos verdicts-sec verdicts-robust verdicts-fit"
ntables=$(echo $tables | wc -w)
nfigures=$(echo $figures | wc -w)

echo "1..$((20 + ntables + nfigures))"

mkdir -p build/$P
$MAKE reproduce PROFILE=$P > "$LOG" 2>&1
rc=$?
ok $rc "make reproduce PROFILE=$P exits 0 (log: $LOG)"
[ $rc -eq 0 ] || tail -20 "$LOG" | diag

[ -s "$HTML" ]; ok $? "$HTML exists"

ndiff=$(($(wc -l < reports/$P/diff_versions.tsv 2>/dev/null || echo 1) - 1))
want=$ntables; [ "$ndiff" -gt 0 ] && want=$((ntables + 1))
got=$(grep -o '<table' "$HTML" 2>/dev/null | wc -l)
[ "$got" -eq "$want" ]; ok $? "$HTML has $want tables (found $got; the diff appendix has $ndiff rows)"
for id in $tables; do
    grep -q "id=\"$id\"" "$HTML" 2>/dev/null; ok $? "table $id present"
done

got=$(grep -o '<img' "$HTML" 2>/dev/null | wc -l)
emb=$(grep -o '<img[^>]*src="data:image/svg+xml' "$HTML" 2>/dev/null | wc -l)
[ "$got" -eq "$nfigures" ] && [ "$emb" -eq "$nfigures" ]
ok $? "$HTML has $nfigures figures, all embedded SVG (found $got, $emb embedded)"
for id in $figures; do
    grep -q "id=\"$id\"" "$HTML" 2>/dev/null; ok $? "figure $id present"
done

missing=""
for id in $verdicts; do grep -q "<div id=\"$id\" class=\"verdicts\">" "$HTML" 2>/dev/null || missing="$missing $id"; done
# the INT verdict as generated (markdown emphasis removed) appears as text
int=$(awk -F '\t' '$1 == "INT" { gsub(/[*]/, "", $2); print substr($2, 1, 60) }' $D/report/verdicts_acc.tsv 2>/dev/null)
sed 's/<[^>]*>//g' "$HTML" 2>/dev/null | tr -s ' \n' '  ' | grep -qF "$int" || missing="$missing INT-verdict"
[ -z "$missing" ] && [ -n "$int" ]; ok $? "the summary's verdict lists are there and show the generated sentences${missing:+ (missing:$missing)}"

# the sample-size study: every size of the profile with the nested row and the three metrics'
# curves, each with min(SS_DRAWS, SS_POOL / N) draws, RMSEs positive
ss_sizes=$(sed -n 's/^SS_SIZES[[:space:]]*:*=[[:space:]]*//p' experiments/profiles/$P.mk)
ss_pool=$(sed -n 's/^SS_POOL[[:space:]]*:*=[[:space:]]*//p' experiments/profiles/$P.mk)
ss_draws=$(sed -n 's/^SS_DRAWS[[:space:]]*:*=[[:space:]]*//p' experiments/profiles/$P.mk)
awk -F '\t' -v sizes="$ss_sizes" -v pool="$ss_pool" -v draws="$ss_draws" '
    NR == 1 { next }
    { rows++; k = pool / $1; k = k < draws ? int(k) : draws + 0
      if ($3 != k || !($4 > 0)) bad++; seen[$1, $2] = 1 }
    END { n = split(sizes, s, ","); split("nested agree_top1 kl_fp_q logit_sqnr_db", p, " ")
          for (i = 1; i <= n; i++) for (j = 1; j <= 4; j++) if (!((s[i], p[j]) in seen)) bad++
          exit !(rows == 4 * n && !bad) }' $F/sample_size/summary.tsv 2>/dev/null
ok $? "sample-size summary: sizes $ss_sizes x (nested + 3 curves), min($ss_draws, $ss_pool / N) draws each, RMSE > 0"

# the security half: a generator summary per model, every robustness table with Full and each
# configuration of the profile, accuracies in [0, 100]
rconf=$(sed -n 's/^ROBUST_CONFIGS[[:space:]]*:*=[[:space:]]*//p' experiments/profiles/$P.mk | tr ',' ' ')
bad=""
[ "$(($(wc -l < $D/gen_summary.tsv) - 1))" -eq "$nmodels" ] || bad="$bad gen_summary"
for m in $models; do
    got=$(awk -F '\t' 'NR > 1 { printf "%s ", $1 }' $D/robust/$m.tsv 2>/dev/null)
    [ "$got" = "Full $(echo $rconf) " ] || bad="$bad robust/$m($got)"
    awk -F '\t' 'NR > 1 { for (i = 2; i <= 7; i++) if ($i < 0 || $i > 100) exit 1 }' $D/robust/$m.tsv 2>/dev/null || bad="$bad range:$m"
done
[ -z "$bad" ]; ok $? "security tables: a generator row per model, Full + the profile's configurations in every robustness table, accuracies in [0, 100]${bad:+ (bad:$bad)}"

# defect class: a literal nan/inf in a report (visible text; the embedded figures left out)
bad=""
for f in "$HTML" reports/$P/fit_bkp.html "$BKP" reports/$P/*.html; do
    [ -f "$f" ] || continue
    sed 's/data:[^"]*"/"/g; s/<[^>]*>/ /g' "$f" | grep -qiwE 'nan|-nan|inf' && bad="$bad $f"
done
[ -z "$bad" ]; ok $? "no nan or inf printed in any report of $P${bad:+ (in:$bad)}"

# defect class: the settings table is what the profile says now (every variable it assigns,
# its value as written; make expands nothing in these profiles)
exp=$(sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)[[:space:]]*:*=[[:space:]]*\(.*\)$/\1\t\2/p' experiments/profiles/$P.mk | sed 's/[[:space:]]*$//')
got=$(awk -F '\t' 'NR > 1 && $1 != "PROFILE" && $1 !~ /^(mta_version|compiler|blas|blas_kernel|threads)$/' $D/report/settings.tsv)
[ -n "$exp" ] && [ "$exp" = "$got" ]; ok $? "settings.tsv holds exactly the profile's current variables and values"
[ "$exp" = "$got" ] || { echo "profile:"; echo "$exp"; echo "settings.tsv:"; echo "$got"; } | diag

# defect class: a committed figure nothing shows (README.md, fit_bkp.md and reports/*/fit_bkp.md
# are what point at reports/<profile>/fig/)
unused=""
for f in reports/*/fig/*; do
    [ -f "$f" ] || continue
    prof=${f#reports/}; prof=${prof%%/*}; name=${f##*/}
    grep -qF "reports/$prof/fig/$name" README.md fit_bkp.md 2>/dev/null || grep -qF "](fig/$name)" reports/$prof/fit_bkp.md 2>/dev/null \
        || unused="$unused $f"
done
[ -z "$unused" ]; ok $? "every figure under reports/*/fig is referenced by the README or a fit_bkp.md${unused:+ (unused:$unused)}"

# defect class: a hand-typed result -- a number or a model name in prose that is not filled in
# from data (tools/check_claims.sh; its allowed exceptions: tools/claims_allow.txt)
tools/check_claims.sh reports/main.md reports/fit_bkp.md reports/readme.md README.md > build/$P/claims.out 2>&1
ok $? "no hand-typed number or model name in the report sources or the README's results (tools/check_claims.sh)"
diag < build/$P/claims.out

# defect class: accuracies without their uncertainty
grep -q ' ± ' $D/report/ptq_acc.tsv && awk -F '\t' 'NR > 1 && $8 + 0 <= 0 { bad = 1 } END { exit bad }' $D/report/acc.tsv
ok $? "every PTQ accuracy is printed with its standard error (ptq_acc.tsv cells a ± s, acc.tsv se > 0)"

# defect class: figures that say the wrong thing -- a degree-3 fit titled P2/Q2, a legend entry
# for what is not drawn (the reference's "ALL" dots)
grep -q 'rational P3/Q3' build/$P/fig/bkp_js_flops_d3.svg && grep -q 'rational P4/Q4' build/$P/fig/bkp_js_flops_d4.svg && \
    ! grep -q '>ALL<' build/$P/fig/pooled_flops.svg
ok $? "figure titles name the family and degree they show (P3/Q3, P4/Q4); no legend entry ALL"

# the README's results section is generated: its markers, and each model's FP32 accuracy from
# the committed default tables
missing=""
grep -q '^<!-- results:begin -->$' README.md && grep -q '^<!-- results:end -->$' README.md || missing=" markers"
sec=$(sed -n '/^<!-- results:begin -->$/,/^<!-- results:end -->$/p' README.md)
for m in $(awk -F '\t' 'NR > 1 { print $1 }' data/default/report/fp.tsv 2>/dev/null); do
    acc=$(awk -F '\t' -v m=$m '$1 == m { printf "%.2f", $9 }' data/default/report/fp.tsv)
    echo "$sec" | grep -q "$m.*$acc" || missing="$missing $m:$acc"
done
[ -z "$missing" ] && [ -s data/default/report/fp.tsv ]; ok $? "README.md's results section is the generated one (every default model's FP32 accuracy)${missing:+ (missing:$missing)}"

# numbers the report must show, computed here from the tables with the report's formats
cell() { awk -F '\t' -v k="$2" -v c="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) j = i; next } j && $1 == k { print $j; exit }' "$1"; }
r2=$(printf '%.4f' "$(cell $F/flops.coef.tsv ALL r2)")
lomo=$(printf '%.4f' "$(cell $F/flops.coef.tsv ALL lomo_rmse)")
base=$(printf '%.4f' "$(cell $F/flops.coef.tsv ALL baseline_rmse)")
missing=""
for v in "$r2" "$lomo" "$base"; do grep -q ">[^<]*$v" "$HTML" 2>/dev/null || missing="$missing $v"; done
[ -z "$missing" ]; ok $? "pooled R² $r2, LOMO RMSE $lomo and baseline $base of fit/flops.coef.tsv appear${missing:+ (missing:$missing)}"

missing=""
for m in $models; do
    acc=$(printf '%.2f' "$(cell $D/train_summary.tsv "$m" test_acc)")
    r2m=$(printf '%.4f' "$(cell $F/r2.tsv "$m" flops)")
    grep -q "$acc" "$HTML" 2>/dev/null || missing="$missing $m:$acc"
    grep -q "$r2m" "$HTML" 2>/dev/null || missing="$missing $m:$r2m"
done
[ -z "$missing" ]; ok $? "every model's FP32 test accuracy and R² appear${missing:+ (missing:$missing)}"

! grep -q 'src="build/\|src="data/\|{F}\|{D}\|{FIG}' "$HTML" 2>/dev/null
ok $? "$HTML refers to no local file and has no unfilled {placeholder}"

[ -s "$BKP" ] && [ "$(grep -c '^|' "$BKP")" -gt 10 ] && grep -q '](fig/bkp_js_flops_half.png)' "$BKP" && \
    [ -s reports/$P/fig/bkp_js_flops_half.png ]
ok $? "$BKP has its tables and figures"

$MAKE -q fits figures reports PROFILE=$P >/dev/null 2>&1
ok $? "nothing left to rebuild after reproduce (make -q fits figures reports)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_pipeline.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp -R "$F" "$tmp/old" && cp -R "$F" "$tmp/new"
tools/tsvdiff "$tmp/old" "$tmp/new" > "$tmp/same.out" 2>&1; same=$?
awk -F '\t' 'BEGIN { OFS = "\t" } $1 == "ALL" { $6 = $6 + 0.001 } { print }' "$F/flops.coef.tsv" > "$tmp/new/flops.coef.tsv"
tools/tsvdiff "$tmp/old" "$tmp/new" > "$tmp/diff.out" 2>&1; changed=$?
[ $same -eq 0 ] && [ $changed -eq 1 ] && grep -q "^flops.coef.tsv	ALL rational	r2	" "$tmp/diff.out"
ok $? "tools/tsvdiff: identical trees exit 0, a changed R² exits 1 and is named"
[ $changed -eq 1 ] || diag < "$tmp/diff.out"

[ $failed -eq 0 ]
