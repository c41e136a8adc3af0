# ss_collect.awk -- the sample-size study's tables from its per-draw mta select runs
# (experiments/fits.mk).
#
#   awk -v mode=draws   -f ss_collect.awk DIR/n<N>_d<d>.nested.tsv... DIR/n<N>_d<d>.candidates.tsv...
#   awk -v mode=summary -f ss_collect.awk draws.tsv
#
# draws: one row per size, draw and predictor: "nested" (the label-free tier's nested LOMO RMSE,
# curve pool, with the candidates chosen) and each label-free metric's fixed reference recipe
# (rational P2/Q2: its plain LOMO RMSE).  summary: per size and predictor the number of draws,
# the mean, standard deviation (n - 1), minimum and maximum of the RMSE over the draws.
function die(msg) { print "ss_collect.awk: " FILENAME ":" FNR ": " msg > "/dev/stderr"; bad = 1; exit 2 }
BEGIN { FS = OFS = "\t"; if (mode != "draws" && mode != "summary") { print "ss_collect.awk: mode draws|summary" > "/dev/stderr"; bad = 1; exit 2 } }
mode == "draws" && FNR == 1 {
    delete col
    for (i = 1; i <= NF; i++) col[$i] = i
    f = FILENAME; sub(/.*\//, "", f)
    if (match(f, /^n[0-9]+_d[0-9]+[.]/) == 0) die("not an n<N>_d<d> file")
    n = substr(f, 2, index(f, "_") - 2) + 0
    d = substr(f, index(f, "_d") + 2); sub(/[.].*/, "", d); d += 0
    kind = (f ~ /[.]nested[.]tsv$/) ? "nested" : (f ~ /[.]candidates[.]tsv$/) ? "cand" : ""
    if (kind == "") die("neither a nested nor a candidates table")
    split(kind == "nested" ? "tier pool nested_rmse chosen" : "name tier lomo_rmse", need, " ")
    for (k in need) if (!(need[k] in col)) die("no column " need[k])
    next
}
mode == "draws" && kind == "nested" && $col["tier"] == "label-free" && $col["pool"] == "curve" {
    out[++no] = n OFS d OFS "nested" OFS $col["nested_rmse"] OFS $col["chosen"]; key[no] = sprintf("%09d %04d 0", n, d)
}
mode == "draws" && kind == "cand" && $col["tier"] == "label-free" && $col["name"] !~ /:/ {
    out[++no] = n OFS d OFS $col["name"] OFS $col["lomo_rmse"] OFS "-"; key[no] = sprintf("%09d %04d 1 %s", n, d, $col["name"])
}
mode == "summary" && FNR == 1 { next }
mode == "summary" {
    k = $1 OFS $3
    if (!(k in cnt)) order[++nk] = k
    cnt[k]++; s[k] += $4; ss[k] += $4 * $4
    if (!(k in lo) || $4 < lo[k]) lo[k] = $4
    if (!(k in hi) || $4 > hi[k]) hi[k] = $4
}
END {
    if (bad) exit 2
    if (mode == "draws") {
        if (!no) { print "ss_collect.awk: no label-free rows" > "/dev/stderr"; exit 2 }
        # in size, draw, predictor order (insertion sort: a few hundred rows)
        for (i = 2; i <= no; i++) for (j = i; j > 1 && key[j - 1] > key[j]; j--) {
            t = key[j]; key[j] = key[j - 1]; key[j - 1] = t; t = out[j]; out[j] = out[j - 1]; out[j - 1] = t
        }
        print "n", "draw", "predictor", "rmse", "chosen"
        for (i = 1; i <= no; i++) print out[i]
    } else {
        print "n", "predictor", "draws", "mean_rmse", "sd_rmse", "min_rmse", "max_rmse"
        for (i = 1; i <= nk; i++) {
            k = order[i]; c = cnt[k]; mu = s[k] / c
            v = c > 1 ? (ss[k] - c * mu * mu) / (c - 1) : 0
            printf "%s\t%d\t%.6f\t%.6f\t%.6f\t%.6f\n", k, c, mu, sqrt(v > 0 ? v : 0), lo[k], hi[k]
        }
    }
}
