# fitsum.awk -- summaries of `mta fit --by model` outputs (PREFIX.coef.tsv files), fixed formats.
#
#   awk -v mode=summary -v key=variant -v names="flops param" -v xs="js_flops js_param" \
#       -f fitsum.awk flops.coef.tsv param.coef.tsv
#     one row per file, in the order given: the pooled ("ALL") fit and its leave-one-model-out
#     error, next to the mean/min/max of the per-model R²:
#       <key> family transform r2 rmse lomo_rmse baseline_rmse lomo_skill x degree x0 monotone
#       n sse mean_model_r2 min_model_r2 max_model_r2 models status
#     lomo_skill = 1 - lomo_rmse/baseline_rmse (share of the baseline's error the curve removes).
#   awk -v mode=wide -v stat=r2 -v names="flops param" -f fitsum.awk flops.coef.tsv param.coef.tsv
#     one row per group (models in order of first appearance, then ALL), one column per file:
#     the value of column `stat` (r2, lomo_rmse, ...).
#
# names: one label per file (default: the file name without .coef.tsv); xs: the x column of each
# fit (summary only; default "-"); tiers (summary only, optional): one word per file, printed as
# a column `tier` after the key -- what computing the x needs (weight-only, label-free, ...).  Numbers: %.6f, x0 %.3g; "nan" when a fit failed.

function num(v, f) { return (v == "" || v ~ /^-?nan/) ? "nan" : sprintf(f, v) }
BEGIN {
    FS = OFS = "\t"
    if (mode != "summary" && mode != "wide") { print "fitsum.awk: mode must be summary or wide" > "/dev/stderr"; exit 2 }
    if (key == "") key = "variant"
    if (stat == "") stat = "r2"
    nn = split(names, NAME, " ")
    split(xs, X, " ")
    ntier = split(tiers, TIER, " ")
}
FNR == 1 {
    nf++
    if (!(nf in NAME)) { NAME[nf] = FILENAME; sub(/.*\//, "", NAME[nf]); sub(/[.]coef[.]tsv$/, "", NAME[nf]) }
    delete col
    for (i = 1; i <= NF; i++) col[$i] = i
    if (!("group" in col) || !("r2" in col) || !(stat in col)) {
        print "fitsum.awk: " FILENAME ": not an mta fit coef table" > "/dev/stderr"; bad = 1; exit 2
    }
    next
}
{
    g = $col["group"]
    if (g == "ALL") {
        for (c in col) ALLV[nf, c] = $col[c]
    } else {
        if (!(g in seen)) { seen[g] = 1; groups[++ng] = g }
        cnt[nf]++
        r2 = $col["r2"]
        if (r2 !~ /nan/) {
            nok[nf]++; sum[nf] += r2
            if (!(nf in mn) || r2 + 0 < mn[nf]) mn[nf] = r2 + 0
            if (!(nf in mx) || r2 + 0 > mx[nf]) mx[nf] = r2 + 0
        }
    }
    V[nf, g] = $col[stat]
}
END {
    if (bad) exit 2
    if (mode == "summary") {
        print key (ntier ? OFS "tier" : ""), "family", "transform", "r2", "rmse", "lomo_rmse", "baseline_rmse", "lomo_skill", \
              "x", "degree", "x0", "monotone", "n", "sse", "mean_model_r2", "min_model_r2", "max_model_r2", \
              "models", "status"
        for (f = 1; f <= nf; f++) {
            lomo = ALLV[f, "lomo_rmse"]; base = ALLV[f, "baseline_rmse"]
            skill = (lomo ~ /nan/ || base ~ /nan/ || base + 0 == 0) ? "nan" : sprintf("%.4f", 1 - lomo / base)
            x0 = ALLV[f, "transform"] == "log10" ? num(ALLV[f, "x0"], "%.3g") : "-"
            print NAME[f] (ntier ? OFS (f in TIER ? TIER[f] : "-") : ""), ALLV[f, "family"], ALLV[f, "transform"], num(ALLV[f, "r2"], "%.6f"), \
                  num(ALLV[f, "rmse"], "%.6f"), num(lomo, "%.6f"), num(base, "%.6f"), skill, \
                  (f in X ? X[f] : "-"), ALLV[f, "degree"], x0, ALLV[f, "monotone"], ALLV[f, "n"] + 0, \
                  num(ALLV[f, "sse"], "%.6f"), nok[f] ? sprintf("%.6f", sum[f] / nok[f]) : "nan", \
                  nok[f] ? sprintf("%.6f", mn[f]) : "nan", nok[f] ? sprintf("%.6f", mx[f]) : "nan", \
                  cnt[f] + 0, ALLV[f, "status"]
        }
    } else {
        line = "model"
        for (f = 1; f <= nf; f++) line = line OFS NAME[f]
        print line
        groups[++ng] = "ALL"
        for (i = 1; i <= ng; i++) {
            line = groups[i]
            for (f = 1; f <= nf; f++) line = line OFS num(V[f, groups[i]], "%.6f")
            print line
        }
    }
}
