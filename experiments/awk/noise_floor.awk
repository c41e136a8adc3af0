# noise_floor.awk -- the noise floor of predicting acc_loss: the RMSE of an oracle that knows
# every model's true accuracy in every configuration, and errs only by the test images' sampling
# noise.  acc_loss = (F - Q) / F on n test images; its binomial standard error (F treated as
# exact, as in reports/acc.awk) is se = sqrt(q (1 - q) / n) / f, q = Q/100, f = F/100; the
# oracle's RMSE is the root mean square of se over the points.  A predictor whose LOMO RMSE is
# near it cannot be told from a perfect one on these images.
#
#   awk -f noise_floor.awk results.tsv ptq/<Model>.settings.tsv...
#
# One row per model (its points, n, the RMS se, the largest se), then ALL.
BEGIN { FS = OFS = "\t" }
FNR == 1 { file++ }
file == 1 && FNR == 1 {
    for (i = 1; i <= NF; i++) col[$i] = i
    split("model full_acc ptq_acc", need, " ")
    for (i = 1; i in need; i++) if (!(need[i] in col)) { print "noise_floor.awk: " FILENAME ": no column " need[i] > "/dev/stderr"; bad = 1; exit 2 }
    next
}
file == 1 {
    m = $col["model"]
    if (!(m in seen)) { seen[m] = ++nm; models[nm] = m }
    k = ++np[m]; F[m, k] = $col["full_acc"] / 100; Q[m, k] = $col["ptq_acc"] / 100
    next
}
{
    m = FILENAME; sub(/.*\//, "", m); sub(/[.]settings[.]tsv$/, "", m)
    if ($1 == "test_images") n[m] = $2 + 0
}
END {
    if (bad) exit 2
    print "model", "points", "test_images", "rms_se", "max_se"
    for (i = 1; i <= nm; i++) {
        m = models[i]
        if (!(n[m] > 0)) { print "noise_floor.awk: no test_images for " m " in the settings files" > "/dev/stderr"; exit 2 }
        s = 0; mx = 0
        for (k = 1; k <= np[m]; k++) {
            se = sqrt(Q[m, k] * (1 - Q[m, k]) / n[m]) / F[m, k]
            s += se * se; mx = se > mx ? se : mx
        }
        S += s; N += np[m]; MX = mx > MX ? mx : MX
        printf "%s\t%d\t%d\t%.6f\t%.6f\n", m, np[m], n[m], sqrt(s / np[m]), mx
    }
    printf "ALL\t%d\t-\t%.6f\t%.6f\n", N, sqrt(S / N), MX
}
