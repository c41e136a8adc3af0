# acc_bits.awk -- accuracy against bit width per scheme, the input of the accuracy-vs-bits
# figure: INT_b and POT_b as measured, FLOAT_b at each model's best exponent for b (the
# configuration with the highest accuracy; the first one on a tie).
#
#   awk -f acc_bits.awk acc.tsv        (the long table of reports/acc.awk)
#
# Columns: scheme, bits, model, mdl (model position), ptq_acc, se, config (the one chosen),
# majority_pct; rows by scheme (INT, POT, FLOAT), then model, then bits.

BEGIN { FS = OFS = "\t" }
NR == 1 {
    for (i = 1; i <= NF; i++) col[$i] = i
    split("model config quant bits ptq_acc se majority_pct mdl", need, " ")
    for (i = 1; i in need; i++) if (!(need[i] in col)) { print "acc_bits.awk: no column " need[i] > "/dev/stderr"; bad = 1; exit 2 }
    next
}
$col["quant"] != "FP32" {
    q = $col["quant"]; m = $col["model"]; b = $col["bits"] + 0
    if (!(m in mseen)) { mseen[m] = 1; models[++nm] = m; mdl[m] = $col["mdl"]; maj[m] = $col["majority_pct"] }
    if (!((q, b) in bseen)) { bseen[q, b] = 1; nb[q]++; B[q, nb[q]] = b }
    if (!((q, b, m) in acc) || $col["ptq_acc"] + 0 > acc[q, b, m]) {
        acc[q, b, m] = $col["ptq_acc"] + 0; se[q, b, m] = $col["se"]; cfg[q, b, m] = $col["config"]
    }
}
END {
    if (bad) exit 2
    print "scheme", "bits", "model", "mdl", "ptq_acc", "se", "config", "majority_pct"
    split("INT POT FLOAT", S, " ")
    for (s = 1; s <= 3; s++) {
        q = S[s]
        # bit widths ascending
        for (i = 2; i <= nb[q]; i++) { v = B[q, i]; for (k = i - 1; k >= 1 && B[q, k] > v; k--) B[q, k + 1] = B[q, k]; B[q, k + 1] = v }
        for (j = 1; j <= nm; j++)
            for (i = 1; i <= nb[q]; i++) {
                b = B[q, i]; m = models[j]
                if ((q, b, m) in acc) print q, b, m, mdl[m], acc[q, b, m], se[q, b, m], cfg[q, b, m], maj[m]
            }
    }
}
