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
# the tables and figures of reports/main.md, by id (per-model figures: one per model and x)
tables="tab-settings tab-kernels tab-fp tab-ptq-acc tab-pot tab-r2 tab-variants tab-lomo tab-lomo-variants tab-predictors tab-predictors-logpoly tab-timing tab-reference"
figures="fig-fp-acc fig-train-curves fig-pooled-flops fig-pooled-flops-logx fig-pooled-param fig-pooled-wt-log fig-pooled-wt-cbrt fig-predictors"
for m in $models; do figures="$figures fig-flops-$m fig-param-$m"; done
ntables=$(echo $tables | wc -w)
nfigures=$(echo $figures | wc -w)

echo "1..$((10 + ntables + nfigures))"

mkdir -p build/$P
$MAKE reproduce PROFILE=$P > "$LOG" 2>&1
rc=$?
ok $rc "make reproduce PROFILE=$P exits 0 (log: $LOG)"
[ $rc -eq 0 ] || tail -20 "$LOG" | diag

[ -s "$HTML" ]; ok $? "$HTML exists"

got=$(grep -o '<table' "$HTML" 2>/dev/null | wc -l)
[ "$got" -eq "$ntables" ]; ok $? "$HTML has $ntables tables (found $got)"
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
