# layer_sqnr.awk -- the analytic noise model per layer against the measurement: for chosen
# configurations, every conv/linear layer's predicted SQNR of its output (the noise-to-signal
# ratios added up to that layer, in network order: cum_sqnr_db) and the SQNR measured in the
# quantized network calibrated as the sweep does (meas_sqnr_db; mta noise --measure).
#
#   awk -v mode=points  -v configs="INT_4 INT_8 POT_4 FLOAT_6_E3" -f layer_sqnr.awk D/noise/<Model>.layers.tsv...
#   awk -v mode=summary -v configs="..." -f layer_sqnr.awk D/noise/<Model>.layers.tsv...
#
# points: panel config model layer predicted measured (the figure's table).  summary: per
# configuration the layers, the median and the RMS of measured - predicted (dB; negative: the
# model is optimistic), the share of layers where the model is optimistic, and the Pearson
# correlation of predicted and measured over the layers of all models.

function die(msg) { print "layer_sqnr.awk: " FILENAME ": " msg > "/dev/stderr"; bad = 1; exit 2 }
BEGIN {
    FS = OFS = "\t"
    nc = split(configs, C, " ")
    for (i = 1; i <= nc; i++) panel[C[i]] = i
    if (!nc || (mode != "points" && mode != "summary")) { print "layer_sqnr.awk: configs and mode points|summary" > "/dev/stderr"; bad = 1; exit 2 }
    if (mode == "points") print "panel", "config", "model", "layer", "predicted", "measured"
}
FNR == 1 {
    delete col
    for (i = 1; i <= NF; i++) col[$i] = i
    if (!("meas_sqnr_db" in col) || !("cum_sqnr_db" in col)) die("no cum_sqnr_db / meas_sqnr_db columns (mta noise --measure)")
    m = FILENAME; sub(/.*\//, "", m); sub(/[.]layers[.]tsv$/, "", m)
    next
}
($1 in panel) {
    p = $col["cum_sqnr_db"]; q = $col["meas_sqnr_db"]
    if (p !~ /^-?[0-9.]+$/ || q !~ /^-?[0-9.]+$/) next      # inf (no noise): nothing to compare
    if (mode == "points") { print panel[$1], $1, m, $2, p, q; next }
    k = $1; n[k]++; d = q - p
    D[k, n[k]] = d; ss[k] += d * d; opt[k] += (d < 0)
    sp[k] += p; sq[k] += q; spp[k] += p * p; sqq[k] += q * q; spq[k] += p * q
}
END {
    if (bad) exit 2
    if (mode != "summary") exit 0
    print "config", "layers", "median_diff_db", "rms_diff_db", "optimistic", "corr"
    for (i = 1; i <= nc; i++) {
        k = C[i]; c = n[k]
        if (!c) continue
        for (a = 2; a <= c; a++) for (b = a; b > 1 && D[k, b - 1] > D[k, b]; b--) { t = D[k, b]; D[k, b] = D[k, b - 1]; D[k, b - 1] = t }
        med = c % 2 ? D[k, (c + 1) / 2] : (D[k, c / 2] + D[k, c / 2 + 1]) / 2
        vp = spp[k] - sp[k] * sp[k] / c; vq = sqq[k] - sq[k] * sq[k] / c; cv = spq[k] - sp[k] * sq[k] / c
        printf "%s\t%d\t%.2f\t%.2f\t%.3f\t%.3f\n", k, c, med, sqrt(ss[k] / c), opt[k] / c, (vp > 0 && vq > 0) ? cv / sqrt(vp * vq) : 0
    }
}
