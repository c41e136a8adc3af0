# acc.awk -- every PTQ accuracy with its binomial standard error, in long format: the input of
# the accuracy table, the heatmap, the accuracy-vs-bits figure and the verdict sentences.
#
#   awk -f acc.awk results.tsv ptq/<Model>.settings.tsv...
#
# The settings files (`mta ptq`, one per model, named after it) give test_images (n) and
# majority_pct (the most frequent class's share of those images, %).  Per row:
#   se        = 100 sqrt(p (1 - p) / n), p = ptq_acc / 100: the standard error of the accuracy
#               (points), from the number of images alone;
#   loss_se   = se / full_acc: the same on the scale of acc_loss (relative loss), treating the
#               FP32 accuracy as exact (it is measured on the same images, which makes the true
#               error of the difference smaller, not larger);
#   chance    = 1 when ptq_acc <= majority_pct + 2 se(majority_pct): the quantized model does no
#               better than always answering the most frequent class (collapsed);
#   cfg, mdl  = the configuration's and the model's position (1-based, order of results.tsv).
# One extra row per model with config FP32 (the sweep's own FP32 measurement, quant FP32).

function se_of(acc, n) { return n > 0 ? 100 * sqrt((acc / 100) * (1 - acc / 100) / n) : 0 }
BEGIN { FS = OFS = "\t" }
FNR == 1 { file++ }
file == 1 && FNR == 1 {
    for (i = 1; i <= NF; i++) col[$i] = i
    split("model title quant bits ebits full_acc ptq_acc acc_loss", need, " ")
    for (i = 1; i in need; i++) if (!(need[i] in col)) { print "acc.awk: " FILENAME ": no column " need[i] > "/dev/stderr"; bad = 1; exit 2 }
    next
}
file == 1 {
    m = $col["model"]; t = $col["title"]
    if (!(m in mdl)) { mdl[m] = ++nm; models[nm] = m; fp[m] = $col["full_acc"] }
    if (!(t in cfg)) { cfg[t] = ++nc; titles[nc] = t; quant[t] = $col["quant"]; bits[t] = $col["bits"]; ebits[t] = $col["ebits"] }
    acc[m, t] = $col["ptq_acc"]; loss[m, t] = $col["acc_loss"]
    next
}
{   # a settings file: <dir>/<Model>.settings.tsv
    m = FILENAME; sub(/.*\//, "", m); sub(/[.]settings[.]tsv$/, "", m)
    if ($1 == "test_images") images[m] = $2
    if ($1 == "majority_pct") majority[m] = $2
}
END {
    if (bad) exit 2
    print "model", "config", "quant", "bits", "ebits", "full_acc", "ptq_acc", "se", "acc_loss", "loss_se", \
          "images", "majority_pct", "chance", "cfg", "mdl"
    for (j = 1; j <= nm; j++) {
        m = models[j]
        if (!(m in images) || !(m in majority)) {
            print "acc.awk: no test_images / majority_pct for " m " (its ptq .settings.tsv)" > "/dev/stderr"; exit 2
        }
        n = images[m]; floor = majority[m] + 2 * se_of(majority[m], n)
        s = se_of(fp[m], n)
        print m, "FP32", "FP32", 32, 0, fp[m], fp[m], sprintf("%.3f", s), 0, sprintf("%.5f", s / fp[m]), n, majority[m], 0, 0, j
        for (i = 1; i <= nc; i++) {
            t = titles[i]
            if (!((m, t) in acc)) continue
            s = se_of(acc[m, t], n)
            print m, t, quant[t], bits[t], ebits[t], fp[m], acc[m, t], sprintf("%.3f", s), loss[m, t], \
                  sprintf("%.5f", fp[m] > 0 ? s / fp[m] : 0), n, majority[m], (acc[m, t] <= floor) ? 1 : 0, i, j
        }
    }
}
