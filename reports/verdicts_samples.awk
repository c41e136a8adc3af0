# verdicts_samples.awk -- the sentences of the sample-size study (report section "Can the loss
# be predicted?"), generated from its summary (issue 12; experiments/prediction.md).  One row
# per sentence: key, text.
#
#   awk -v ncal=512 -f verdicts_samples.awk F/sample_size/summary.tsv F/noise.tsv F/select/lomo.nested.tsv
#
# Keys:
#   samples   the nested label-free RMSE at every draw size (mean ± s.d. over the draws), the
#             smallest size within 1.5x the noise floor, and the sweep's own number
#   metrics   which label-free metric's fixed curve is best at each size

function f3(v) { return sprintf("%.3f", v) }
function f4(v) { return sprintf("%.4f", v) }
function need(cols,    n, a, i) {
    n = split(cols, a, " ")
    for (i = 1; i <= n; i++) if (!(a[i] in col)) { print "verdicts_samples.awk: " FILENAME ": no column " a[i] > "/dev/stderr"; bad = 1; exit 2 }
}
BEGIN { FS = OFS = "\t" }
FNR == 1 {
    file++; delete col
    for (i = 1; i <= NF; i++) col[$i] = i
    if (file == 1) need("n predictor draws mean_rmse sd_rmse")
    if (file == 2) need("model rms_se")
    if (file == 3) need("tier pool nested_rmse")
    next
}
file == 1 {
    n = $col["n"] + 0; p = $col["predictor"]
    if (!(n in seen_n)) { seen_n[n] = 1; sizes[++ns] = n }
    if (!(p in seen_p)) { seen_p[p] = 1; if (p != "nested") preds[++np] = p }
    M[n, p] = $col["mean_rmse"] + 0; S[n, p] = $col["sd_rmse"] + 0; K[n, p] = $col["draws"] + 0
    next
}
file == 2 && $1 == "ALL" { floor = $col["rms_se"] + 0; next }
file == 3 && $col["tier"] == "label-free" && $col["pool"] == "curve" { sweep = $col["nested_rmse"] + 0 }
END {
    if (bad) exit 2
    if (file != 3 || !ns || !((sizes[1], "nested") in M) || floor == "") { print "verdicts_samples.awk: expected a summary with nested rows, the noise floor and the nested table" > "/dev/stderr"; exit 2 }
    print "key", "text"
    s = ""; first = 0
    for (i = 1; i <= ns; i++) {
        n = sizes[i]
        s = s (i > 1 ? (i == ns ? " and " : ", ") : "") sprintf("%s ± %s at N = %d (%d draw%s)", f3(M[n, "nested"]), f3(S[n, "nested"]), n, K[n, "nested"], K[n, "nested"] == 1 ? "" : "s")
        if (!first && M[n, "nested"] <= 1.5 * floor) first = n
    }
    print "samples", sprintf("**How many unlabelled images?** Computed on N images the calibration did not see (the quantized model as the sweep calibrated it), the label-free tier's nested RMSE is %s. %s With the sweep's own %d calibration images (the same images that set the ranges) it is %s.", \
        s, first ? sprintf("From N = %d on it is within 1.5× the noise floor (%s).", first, f4(floor)) : sprintf("No size brings it within 1.5× the noise floor (%s).", f4(floor)), ncal, f3(sweep))
    same = 1; prev = ""; txt = ""
    for (i = 1; i <= ns; i++) {
        n = sizes[i]; b = ""
        for (j = 1; j <= np; j++) if ((n, preds[j]) in M && (b == "" || M[n, preds[j]] < M[n, b])) b = preds[j]
        best[i] = b
        if (prev != "" && b != prev) same = 0
        prev = b
        txt = txt (i > 1 ? ", " : "") sprintf("%s at N = %d (%s)", b, n, f3(M[n, b]))
    }
    if (same)
        print "metrics", sprintf("Of the fixed curves, %s is the best at every size, from %s at N = %d to %s at N = %d.", \
            best[1], f3(M[sizes[1], best[1]]), sizes[1], f3(M[sizes[ns], best[1]]), sizes[ns])
    else
        print "metrics", "The best fixed curve depends on the number of images: " txt "."
}
