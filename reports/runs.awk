# runs.awk -- the runs side by side: every run summary of reports/runs/ (reports/run_summary.awk;
# the profile given as first= leads) and the reference's published CIFAR-10/100 values
# (reports/reference.tsv).  One row per model (in the leading run's order, then any other), row
# ALL last; per run its FP32 accuracy, the R² of the reference's fit and its LOMO RMSE (row ALL:
# pooled R² and LOMO RMSE); "-" where a run lacks the model or the number.
#
#   awk -v first=default -f runs.awk reports/runs/*.tsv reports/reference.tsv

BEGIN { FS = OFS = "\t" }
FNR == 1 { delete col; for (i = 1; i <= NF; i++) col[$i] = i; isref = ("cifar10_r2" in col); next }
function addmodel(m) { if (m != "ALL" && !(m in seenm)) { seenm[m] = 1; models[++nm] = m } }
!isref {
    p = $col["profile"]
    if (!(p in seenp)) { seenp[p] = 1; runs[++nr] = p; pdata[p] = $col["data"] }
    if (p == first) addmodel($col["model"])
    else pending[++np] = $col["model"]
    A[p, $col["model"]] = $col["fp_acc"]; R[p, $col["model"]] = $col["r2"]; L[p, $col["model"]] = $col["lomo_rmse"]
    next
}
{ ref[$1] = 1; c10a[$1] = $col["cifar10_fp32"]; c10r[$1] = $col["cifar10_r2"]; c100a[$1] = $col["cifar100_fp32"]; c100r[$1] = $col["cifar100_r2"]; refm[++nref] = $1 }
function v(x) { return (x == "" || x ~ /nan/) ? "-" : x }
END {
    for (i = 1; i <= np; i++) addmodel(pending[i])
    for (i = 1; i <= nref; i++) addmodel(refm[i])
    # the leading run first, the other runs in name order (as given)
    k = 0
    for (i = 1; i <= nr; i++) if (runs[i] == first) ord[++k] = runs[i]
    for (i = 1; i <= nr; i++) if (runs[i] != first) ord[++k] = runs[i]
    line = "model"
    for (i = 1; i <= k; i++) { p = ord[i]; line = line OFS p " (" pdata[p] "): FP32 %" OFS p ": R²" OFS p ": LOMO RMSE" }
    print line OFS "reference CIFAR-10: FP32 %" OFS "CIFAR-10: R²" OFS "reference CIFAR-100: FP32 %" OFS "CIFAR-100: R²"
    models[++nm] = "ALL"
    for (j = 1; j <= nm; j++) {
        m = models[j]; line = m
        for (i = 1; i <= k; i++) { p = ord[i]; line = line OFS v(A[p, m]) OFS v(R[p, m]) OFS v(L[p, m]) }
        print line OFS v(c10a[m]) OFS v(c10r[m]) OFS v(c100a[m]) OFS v(c100r[m])
    }
}
