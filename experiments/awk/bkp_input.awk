# bkp_input.awk -- the earlier similarity variants of fit_bkp.md (spec fitting-and-reports §4.3),
# recomputed from the per-layer tables of the PTQ sweep.
#
#   awk -f bkp_input.awk results.tsv stats/<M>.tsv... ptq/<M>.layers.tsv...
#
# A layer's divergence combines the divergences of its parameters (weight, bias):
#   1:1         their sum            -- the current rule (js_flops, js_param of results.tsv)
#   0.5:0.5     their mean           -- the rule before 2023-05-26 ("_half")
#   weightratio their mean weighted by the parameters' element counts ("_wratio")
# and the model's value is the sum over layers of the layer's FLOP share (flop_pct) or parameter
# share (par_pct) times that divergence.  js_flops_layers / js_param_layers recompute the 1:1 sums
# from the layer tables: rel_diff_layers is their largest relative difference from results.tsv
# (a check of the derivation, limited by the 9-10 significant digits of the tables).
# mse_flops_sqrtmac = mse_flops * sqrt(MAC in millions), the fit_bkp.md weighting of the L2 data;
# MAC = the macs of the `total` row of stats/<M>.tsv; mac_m = MAC in millions.
# half_ratio = js_flops_half / js_flops (exactly 0.5 when every layer has a bias).
# Output rows follow results.tsv; new numbers are printed with %.10g.

function die(msg) { print "bkp_input.awk: " FILENAME ": " msg > "/dev/stderr"; bad = 1; exit 2 }
function base(path,   s) { s = path; sub(/.*\//, "", s); return s }
function need(names,   n, a, i) {
    n = split(names, a, " ")
    for (i = 1; i <= n; i++) if (!(a[i] in col)) die("no column " a[i])
}
function reldiff(a, b,   d, m) {
    d = a - b; if (d < 0) d = -d
    m = (a < 0 ? -a : a); if ((b < 0 ? -b : b) > m) m = (b < 0 ? -b : b)
    return m > 0 ? d / m : 0
}
BEGIN { FS = OFS = "\t" }
FNR == 1 {
    delete col
    for (i = 1; i <= NF; i++) col[$i] = i
    if (FILENAME ~ /[.]layers[.]tsv$/) {
        kind = "layers"; model = base(FILENAME); sub(/[.]layers[.]tsv$/, "", model)
        need("title layer param numel flop_pct par_pct js")
    } else if ("macs" in col) {
        kind = "stats"; model = base(FILENAME); sub(/[.]tsv$/, "", model)
    } else {
        kind = "results"
        need("model title acc_loss js_flops js_param mse_flops js_flops_wt_log js_flops_wt_cbrt")
    }
    next
}
kind == "results" {
    nr++
    RM[nr] = $col["model"]; RT[nr] = $col["title"]
    for (c in col) R[nr, c] = $col[c]
    next
}
kind == "stats" && $1 == "total" { mac[model] = $col["macs"] / 1e6; next }
kind == "layers" {
    k = model SUBSEP $col["title"] SUBSEP $col["layer"]
    if (!(k in nparam)) { nl[model, $col["title"]]++; L[model, $col["title"], nl[model, $col["title"]]] = $col["layer"] }
    nparam[k]++
    jsum[k] += $col["js"]
    wsum[k] += $col["numel"] * $col["js"]
    nsum[k] += $col["numel"]
    fp[k] = $col["flop_pct"]; pp[k] = $col["par_pct"]
    have[model] = 1
    next
}
END {
    if (bad) exit 2
    print "model", "title", "acc_loss", "js_flops", "js_flops_half", "js_flops_wratio", "js_param", \
          "js_param_half", "js_param_wratio", "mse_flops", "mse_flops_sqrtmac", "js_flops_wt_log", \
          "js_flops_wt_cbrt", "js_flops_layers", "js_param_layers", "rel_diff_layers", "mac_m", "half_ratio"
    for (r = 1; r <= nr; r++) {
        m = RM[r]; t = RT[r]
        if (!(m in have)) { print "bkp_input.awk: no layer table for model " m > "/dev/stderr"; exit 2 }
        if (!(m in mac)) { print "bkp_input.awk: no stats table for model " m > "/dev/stderr"; exit 2 }
        f11 = fh = fw = p11 = ph = pw = 0
        for (i = 1; i <= nl[m, t]; i++) {
            k = m SUBSEP t SUBSEP L[m, t, i]
            f11 += fp[k] * jsum[k];  p11 += pp[k] * jsum[k]
            fh  += fp[k] * jsum[k] / nparam[k];  ph += pp[k] * jsum[k] / nparam[k]
            if (nsum[k] > 0) { fw += fp[k] * wsum[k] / nsum[k]; pw += pp[k] * wsum[k] / nsum[k] }
        }
        if (!nl[m, t]) { print "bkp_input.awk: no layer rows for " m " " t > "/dev/stderr"; exit 2 }
        d = reldiff(f11, R[r, "js_flops"]); e = reldiff(p11, R[r, "js_param"]); if (e > d) d = e
        print m, t, R[r, "acc_loss"], R[r, "js_flops"], sprintf("%.10g", fh), sprintf("%.10g", fw), \
              R[r, "js_param"], sprintf("%.10g", ph), sprintf("%.10g", pw), R[r, "mse_flops"], \
              sprintf("%.10g", R[r, "mse_flops"] * sqrt(mac[m])), R[r, "js_flops_wt_log"], \
              R[r, "js_flops_wt_cbrt"], sprintf("%.10g", f11), sprintf("%.10g", p11), sprintf("%.3g", d), sprintf("%.6g", mac[m]), \
              (R[r, "js_flops"] > 0 ? sprintf("%.10g", fh / R[r, "js_flops"]) : "nan")
    }
}
