# lomo_scatter.awk -- predicted against observed acc_loss for the leave-one-model-out
# predictions (each point predicted by the curve fitted without its model), the input of the
# predicted-vs-observed figure: panel 1 the reference's predictor (its recipe on js_flops,
# F/flops.lomo.tsv), then the best metric of each tier of predictors.tsv (smallest LOMO RMSE;
# tiers in order of first appearance).
#
#   awk -f lomo_scatter.awk F/variants.tsv F/predictors.tsv F/flops.lomo.tsv F/pred/<metric>.lomo.tsv...
#
# Columns: panel, title, metric, tier, lomo_rmse, baseline_rmse, model, observed, predicted.

BEGIN { FS = OFS = "\t" }
FNR == 1 {
    file++; delete col
    for (i = 1; i <= NF; i++) col[$i] = i
    name = FILENAME; sub(/.*\//, "", name)
    if (file == 1 && !("lomo_rmse" in col)) { print "lomo_scatter.awk: " FILENAME ": not a variants table" > "/dev/stderr"; bad = 1; exit 2 }
    if (file == 2 && !("tier" in col)) { print "lomo_scatter.awk: " FILENAME ": no tier column" > "/dev/stderr"; bad = 1; exit 2 }
    if (file >= 3 && !("lomo_pred" in col)) { print "lomo_scatter.awk: " FILENAME ": not a lomo table" > "/dev/stderr"; bad = 1; exit 2 }
    key = file == 3 ? "REF" : name
    sub(/[.]lomo[.]tsv$/, "", key)
    next
}
file == 1 { if ($1 == "flops") { ref_rmse = $col["lomo_rmse"]; ref_base = $col["baseline_rmse"] }; next }
file == 2 {
    t = $col["tier"]; l = $col["lomo_rmse"]
    if (l ~ /nan/) next
    if (!(t in best) || l + 0 < best[t]) { best[t] = l + 0; bestm[t] = $1 }
    if (!(t in seen)) { seen[t] = 1; tiers[++nt] = t }
    base = $col["baseline_rmse"]
    next
}
$col["lomo_pred"] !~ /nan/ { n[key]++; G[key, n[key]] = $col["group"]; Y[key, n[key]] = $col["y"]; P[key, n[key]] = $col["lomo_pred"] }
function emit(panel, title, k, metric, tier, rmse, b,    i) {
    if (!n[k]) { print "lomo_scatter.awk: no LOMO predictions for " k > "/dev/stderr"; bad = 1; exit 2 }
    for (i = 1; i <= n[k]; i++) print panel, title, metric, tier, rmse, b, G[k, i], Y[k, i], P[k, i]
}
END {
    if (bad) exit 2
    print "panel", "title", "metric", "tier", "lomo_rmse", "baseline_rmse", "model", "observed", "predicted"
    emit(1, "the reference's predictor: js_flops", "REF", "js_flops", "weight-only", ref_rmse, ref_base)
    for (i = 1; i <= nt; i++)
        emit(i + 1, "best " tiers[i] ": " bestm[tiers[i]], bestm[tiers[i]], bestm[tiers[i]], tiers[i], best[tiers[i]], base)
}
