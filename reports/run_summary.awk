# run_summary.awk -- one run's headline numbers for the across-runs table: per model its FP32
# test accuracy (training summary) and the R² and held-out (LOMO) RMSE of the reference's fit
# of acc_loss on js_flops; row ALL: the pooled R² and LOMO RMSE.
#
#   awk -v profile=P -f run_summary.awk train_summary.tsv fit/flops.coef.tsv
#
# Columns: profile, data, model, fp_acc, r2, lomo_rmse ("-" where not defined).

BEGIN { FS = OFS = "\t" }
FNR == 1 { file++; delete col; for (i = 1; i <= NF; i++) col[$i] = i; next }
file == 1 { acc[$col["model"]] = $col["test_acc"]; data = $col["data"]; order[++n] = $col["model"]; next }
file == 2 { r2[$col["group"]] = $col["r2"]; lomo[$col["group"]] = $col["lomo_rmse"] }
function num(v, f) { return (v == "" || v ~ /nan/) ? "-" : sprintf(f, v) }
END {
    print "profile", "data", "model", "fp_acc", "r2", "lomo_rmse"
    for (i = 1; i <= n; i++) { m = order[i]; print profile, data, m, num(acc[m], "%.2f"), num(r2[m], "%.4f"), num(lomo[m], "%.4f") }
    print profile, data, "ALL", "-", num(r2["ALL"], "%.4f"), num(lomo["ALL"], "%.4f")
}
