# select_top.awk -- the report's ranking of candidate predictors: the `top` best of each tier
# by LOMO RMSE (a plain LOMO of a fixed recipe; choosing among them is what the nested table
# does honestly), then the reference's js_flops, the format alone and the mean.
#
#   awk -v top=5 -f select_top.awk F/select/lomo.candidates.tsv
#
# Columns: the candidate table's name, tier, kind, lomo_rmse, ci_lo, ci_hi, lomo_skill, and
# rank (within the tier; "-" for the reference rows).
BEGIN { FS = OFS = "\t"; if (top == "") top = 5 }
NR == 1 {
    for (i = 1; i <= NF; i++) col[$i] = i
    split("name tier kind lomo_rmse ci_lo ci_hi lomo_skill", need, " ")
    for (i = 1; i in need; i++) if (!(need[i] in col)) { print "select_top.awk: " FILENAME ": no column " need[i] > "/dev/stderr"; bad = 1; exit 2 }
    next
}
{ n++; name[n] = $1; tier[n] = $col["tier"]; kind[n] = $col["kind"]; l[n] = $col["lomo_rmse"]; lo[n] = $col["ci_lo"]; hi[n] = $col["ci_hi"]; sk[n] = $col["lomo_skill"]
  if (!(tier[n] in ts) && tier[n] != "baseline") { ts[tier[n]] = 1; tiers[++nt] = tier[n] } }
function row(i, r) { print name[i], tier[i], kind[i], l[i], lo[i], hi[i], sk[i], r }
END {
    if (bad) exit 2
    print "name", "tier", "kind", "lomo_rmse", "ci_lo", "ci_hi", "lomo_skill", "rank"
    for (t = 1; t <= nt; t++) {
        delete used
        for (r = 1; r <= top; r++) {
            b = 0
            for (i = 1; i <= n; i++)
                if (tier[i] == tiers[t] && !(i in used) && l[i] != "nan" && (!b || l[i] + 0 < l[b] + 0)) b = i
            if (!b) break
            used[b] = 1; row(b, r)
        }
    }
    for (i = 1; i <= n; i++) if (name[i] == "js_flops" || name[i] == "config_mean" || kind[i] == "mean") row(i, "-")
}
