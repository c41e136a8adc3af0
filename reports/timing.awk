# timing.awk -- seconds spent per model in the data stages, from the tables they wrote.
#
#   awk -f timing.awk train_summary.tsv results.tsv
#
# Columns: model, train_seconds (train_summary.tsv: the whole training run), epochs,
# ptq_seconds (results.tsv: the sum over the model's configurations of the per-configuration
# seconds: quantize, calibrate, evaluate, similarity), configs.  Models in training order; %.1f.

BEGIN { FS = OFS = "\t" }
FNR == 1 {
    file++
    delete col
    for (i = 1; i <= NF; i++) col[$i] = i
    if (!("model" in col) || !("seconds" in col)) { print "timing.awk: " FILENAME ": no model/seconds column" > "/dev/stderr"; bad = 1; exit 2 }
    next
}
file == 1 { m = $col["model"]; order[++n] = m; train[m] = $col["seconds"]; ep[m] = $col["epochs"]; next }
file == 2 { m = $col["model"]; ptq[m] += $col["seconds"]; cfg[m]++ }
END {
    if (bad) exit 2
    print "model", "train_seconds", "epochs", "ptq_seconds", "configs"
    for (i = 1; i <= n; i++) {
        m = order[i]
        print m, sprintf("%.1f", train[m]), ep[m], (m in cfg) ? sprintf("%.1f", ptq[m]) : "nan", cfg[m] + 0
    }
}
