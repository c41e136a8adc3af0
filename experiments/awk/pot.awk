# pot.awk -- the POT pile-up of spec fitting-and-reports §4.2 item 5, per model: how far js_flops
# and acc_loss spread within the POT configurations of lo..hi bits, next to INT over the same bit
# widths.  A pile-up is a POT column whose js spread (in decades) is much smaller than INT's
# while its acc_loss does not follow.
#
#   awk -v lo=3 -v hi=8 -f pot.awk results.tsv
#
# Columns: model, bits_lo, bits_hi; for INT and for POT: js_min, js_max, js_decades = log10(js_max/js_min)
# ("inf" when js_min is 0), loss_min, loss_max.  Models in order of appearance; %.4g.

function num(v) { return sprintf("%.4g", v) }
function dec(a, b) { return a > 0 ? sprintf("%.3f", log(b / a) / log(10)) : "inf" }
BEGIN { FS = OFS = "\t"; if (lo == "") lo = 3; if (hi == "") hi = 8 }
NR == 1 {
    for (i = 1; i <= NF; i++) col[$i] = i
    split("model quant bits js_flops acc_loss", need, " ")
    for (i = 1; i <= 5; i++) if (!(need[i] in col)) { print "pot.awk: no column " need[i] > "/dev/stderr"; bad = 1; exit 2 }
    next
}
($col["quant"] == "INT" || $col["quant"] == "POT") && $col["bits"] + 0 >= lo && $col["bits"] + 0 <= hi {
    m = $col["model"]; q = $col["quant"]; js = $col["js_flops"] + 0; l = $col["acc_loss"] + 0
    if (!(m in seen)) { seen[m] = 1; order[++n] = m }
    if (!((m, q) in jmin) || js < jmin[m, q]) jmin[m, q] = js
    if (!((m, q) in jmax) || js > jmax[m, q]) jmax[m, q] = js
    if (!((m, q) in lmin) || l < lmin[m, q]) lmin[m, q] = l
    if (!((m, q) in lmax) || l > lmax[m, q]) lmax[m, q] = l
}
END {
    if (bad) exit 2
    print "model", "bits_lo", "bits_hi", "int_js_min", "int_js_max", "int_js_decades", "int_loss_min", "int_loss_max", \
          "pot_js_min", "pot_js_max", "pot_js_decades", "pot_loss_min", "pot_loss_max"
    for (i = 1; i <= n; i++) {
        m = order[i]
        print m, lo, hi, num(jmin[m, "INT"]), num(jmax[m, "INT"]), dec(jmin[m, "INT"], jmax[m, "INT"]), \
              num(lmin[m, "INT"]), num(lmax[m, "INT"]), num(jmin[m, "POT"]), num(jmax[m, "POT"]), \
              dec(jmin[m, "POT"], jmax[m, "POT"]), num(lmin[m, "POT"]), num(lmax[m, "POT"])
    }
}
