# ptq_gen_models.awk -- data-free PTQ per model: over its configurations, the median and the
# worst change of PTQ accuracy (generated- minus real-data calibration, points), how many
# configurations stay within 1 point, and the changes at INT_8, INT_4, POT_4 and FLOAT_6_E3.
#   awk -f ptq_gen_models.awk data/P/ptq_gen.tsv
function col(name,   i) { for (i = 1; i <= NF; i++) if ($i == name) return i; return 0 }
function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function cellv(m, t) { return ((m, t) in D) ? sprintf("%+.1f", D[m, t]) : "-" }
BEGIN { FS = OFS = "\t" }
NR == 1 { cm = col("model"); ct = col("title"); cd = col("gen_minus_real"); next }
{
    m = $cm; if (!(m in n)) { nm++; M[nm] = m }
    n[m]++; V[m, n[m]] = $cd + 0; D[m, $ct] = $cd + 0
    if (n[m] == 1 || $cd + 0 < worst[m]) { worst[m] = $cd + 0; wt[m] = $ct }
    if ($cd + 0 >= -1) within[m]++
}
END {
    print "model", "configs", "median_change", "within_1", "worst", "worst_config", "INT_8", "INT_4", "POT_4", "FLOAT_6_E3"
    for (k = 1; k <= nm; k++) {
        m = M[k]; for (i = 1; i <= n[m]; i++) A[i] = V[m, i]
        printf "%s\t%d\t%+.1f\t%d\t%+.1f\t%s\t%s\t%s\t%s\t%s\n", m, n[m], median(A, n[m]), within[m] + 0, worst[m], wt[m],
               cellv(m, "INT_8"), cellv(m, "INT_4"), cellv(m, "POT_4"), cellv(m, "FLOAT_6_E3")
    }
}
