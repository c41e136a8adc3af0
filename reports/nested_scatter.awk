# nested_scatter.awk -- predicted against observed acc_loss for the nested leave-one-model-out
# predictions of F/select/lomo.pred.tsv (each model predicted by the candidate chosen on the
# other models alone), the input of the report's scatter: one panel per tier (pool `pool`,
# default curve), a tier without candidates of its own (its column equal to the previous
# tier's) left out.
#
#   awk [-v pool=curve|any] -f nested_scatter.awk F/select/lomo.nested.tsv F/select/lomo.pred.tsv
#
# Columns: panel, tier, nested_rmse, ci_lo, ci_hi, model, title, quant, observed, predicted.

BEGIN { FS = OFS = "\t"; if (pool == "") pool = "curve" }
FNR == 1 {
    file++; delete col
    for (i = 1; i <= NF; i++) col[$i] = i
    if (file == 1 && !("nested_rmse" in col)) { print "nested_scatter.awk: " FILENAME ": not a nested table" > "/dev/stderr"; bad = 1; exit 2 }
    if (file == 2) {
        if (!("acc_loss" in col)) { print "nested_scatter.awk: " FILENAME ": no acc_loss column" > "/dev/stderr"; bad = 1; exit 2 }
        for (k = 1; k <= nt; k++) if (!((tiers[k] ":" pool) in col)) { print "nested_scatter.awk: " FILENAME ": no column " tiers[k] ":" pool > "/dev/stderr"; bad = 1; exit 2 }
    }
    next
}
file == 1 && $col["pool"] == pool { t = $col["tier"]; tiers[++nt] = t; RM[t] = $col["nested_rmse"]; LO[t] = $col["ci_lo"]; HI[t] = $col["ci_hi"]; next }
file == 2 {
    np++; M[np] = $col["model"]; T[np] = $col["title"]; Y[np] = $col["acc_loss"]
    for (k = 1; k <= nt; k++) {
        P[k, np] = $col[tiers[k] ":" pool]
        if (k > 1 && P[k, np] != P[k - 1, np]) differs[k] = 1
    }
    next
}
END {
    if (bad) exit 2
    print "panel", "tier", "nested_rmse", "ci_lo", "ci_hi", "model", "title", "quant", "observed", "predicted"
    panel = 0
    for (k = 1; k <= nt; k++) {
        if (k > 1 && !differs[k]) continue
        panel++
        for (i = 1; i <= np; i++) {
            q = T[i]; sub(/_.*/, "", q)
            print panel, tiers[k], RM[tiers[k]], LO[tiers[k]], HI[tiers[k]], M[i], T[i], q, Y[i], P[k, i]
        }
    }
}
