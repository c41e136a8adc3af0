# zoos.awk -- does the ranking of the predictors hold over a second, independently trained zoo
# (the same profile trained again from another seed: PROFILE=default_seed2)?  From the two
# zoos' nested-LOMO tables (issue 12; experiments/prediction.md).
#
#   awk -v mode=table    -v a=default -v b=default_seed2 -f zoos.awk A/lomo.nested.tsv B/lomo.nested.tsv
#   awk -v mode=verdicts -v a=default -v b=default_seed2 -f zoos.awk A/lomo.nested.tsv B/lomo.nested.tsv \
#       A/lomo.candidates.tsv B/lomo.candidates.tsv
#   awk -v mode=none -f zoos.awk            (the profile has no second zoo: a table row saying so)
#   awk -v mode=none_verdicts -f zoos.awk   (and its sentence, key ratio)
#
# table: per tier and pool the nested RMSE in each zoo and the candidates chosen.  verdicts:
# the Spearman rank correlation of all candidates' LOMO RMSE between the zoos, per tier the best
# candidate in each zoo, and the nested weight-only / label-free numbers against js_flops.

function f3(v) { return sprintf("%.3f", v) }
function need(cols,    n, q, i) {
    n = split(cols, q, " ")
    for (i = 1; i <= n; i++) if (!(q[i] in col)) { print "zoos.awk: " FILENAME ": no column " q[i] > "/dev/stderr"; bad = 1; exit 2 }
}
# average ranks (ties share the mean rank) of v[1..n] into r[]
function ranks(v, r, n,    i, j, k, idx, t) {
    for (i = 1; i <= n; i++) idx[i] = i
    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[idx[j - 1]] > v[idx[j]]; j--) { t = idx[j]; idx[j] = idx[j - 1]; idx[j - 1] = t }
    for (i = 1; i <= n; i = j) {
        for (j = i + 1; j <= n && v[idx[j]] == v[idx[i]]; j++) ;
        for (k = i; k < j; k++) r[idx[k]] = (i + j - 1) / 2
    }
}
function chosen(s) { gsub(/ x([0-9]+)/, " (&)", s); gsub(/\( x/, "(×", s); return s }
BEGIN {
    FS = OFS = "\t"
    if (mode == "none") {
        print "tier", "pool", "rmse_a", "rmse_b", "chosen_a", "chosen_b"
        print "-", "-", "-", "-", "this profile has no second zoo", "-"
        exit 0
    }
    if (mode == "none_verdicts") {
        print "key", "text"
        print "ratio", "This profile has no second, independently trained zoo (profile setting REPLICATE), so the ranking's spread over training runs is not measured here."
        exit 0
    }
    if (mode != "table" && mode != "verdicts") { print "zoos.awk: mode table|verdicts|none|none_verdicts" > "/dev/stderr"; bad = 1; exit 2 }
}
FNR == 1 {
    file++; delete col
    for (i = 1; i <= NF; i++) col[$i] = i
    if (file <= 2) need("tier pool nested_rmse chosen"); else need("name tier lomo_rmse status")
    next
}
file <= 2 {
    k = $col["tier"] ":" $col["pool"]
    if (file == 1) { keys[++nk] = k; T[k] = $col["tier"]; P[k] = $col["pool"] }
    N[file, k] = $col["nested_rmse"]; C[file, k] = $col["chosen"]
    next
}
{
    if ($col["lomo_rmse"] !~ /^[0-9.eE+-]+$/) next
    L[file - 2, $col["name"]] = $col["lomo_rmse"] + 0; TI[$col["name"]] = $col["tier"]
    if (file == 3) names[++nn] = $col["name"]
}
END {
    if (bad) exit 2
    if (mode ~ /^none/) exit 0
    if (mode == "table") {
        if (file != 2) { print "zoos.awk: table: expected 2 nested tables, got " file > "/dev/stderr"; exit 2 }
        print "tier", "pool", "rmse_a", "rmse_b", "chosen_a", "chosen_b"
        for (i = 1; i <= nk; i++) { k = keys[i]; print T[k], P[k], N[1, k], ((2, k) in N ? N[2, k] : "-"), chosen(C[1, k]), ((2, k) in C ? chosen(C[2, k]) : "-") }
        exit 0
    }
    if (file != 4) { print "zoos.awk: verdicts: expected 4 tables, got " file > "/dev/stderr"; exit 2 }
    m = 0
    for (i = 1; i <= nn; i++) if ((2, names[i]) in L) { m++; va[m] = L[1, names[i]]; vb[m] = L[2, names[i]]; nm[m] = names[i] }
    ranks(va, ra, m); ranks(vb, rb, m)
    ma = (m + 1) / 2; sab = saa = sbb = 0
    for (i = 1; i <= m; i++) { sab += (ra[i] - ma) * (rb[i] - ma); saa += (ra[i] - ma) ^ 2; sbb += (rb[i] - ma) ^ 2 }
    rho = (saa > 0 && sbb > 0) ? sab / sqrt(saa * sbb) : 0
    print "key", "text"
    print "zoos", sprintf("**A second zoo.** The nine networks trained again from another seed (profile %s: other initial weights, batch order, calibration and test images) and put through the same protocol: the %d candidates' LOMO RMSEs rank with a Spearman correlation of %s between the zoos.", b, m, sprintf("%.2f", rho))
    split("weight-only data-free label-free", tiers, " ")
    s = ""
    for (t = 1; t <= 3; t++) {
        ba = bb = ""
        for (i = 1; i <= m; i++) if (TI[nm[i]] == tiers[t]) {
            if (ba == "" || va[i] < L[1, ba]) ba = nm[i]
            if (bb == "" || vb[i] < L[2, bb]) bb = nm[i]
        }
        if (ba == "") continue
        s = s (s == "" ? "" : "; ") sprintf("%s: %s (%s) in %s, %s (%s) in %s", tiers[t], ba, f3(L[1, ba]), a, bb, f3(L[2, bb]), b)
    }
    print "best", "Best candidate of each tier by its own LOMO RMSE — " s "."
    js1 = L[1, "js_flops"]; js2 = L[2, "js_flops"]
    if (!(js1 > 0 && js2 > 0) || !((1, "weight-only:curve") in N) || !((2, "weight-only:curve") in N)) exit 0
    split("weight-only:curve weight-only:any data-free:curve data-free:any", K, " ")
    for (t = 1; t <= 4; t++) {
        r1[t] = N[1, K[t]] / js1; r2[t] = N[2, K[t]] / js2
        if (t == 1 || r1[t] < b1) b1 = r1[t]
        if (t == 1 || r2[t] < b2) b2 = r2[t]
    }
    print "ratio", sprintf("Nested, in zoo %s / %s, against the reference's js_flops curve (%s / %s): weight-only %s / %s (%s× / %s×) with one metric's curve, %s / %s (%s× / %s×) with combinations; data-free %s / %s (%s× / %s×); label-free %s / %s. The best weight-only or data-free choice is %s× / %s× js_flops: %s.", \
        a, b, f3(js1), f3(js2), \
        f3(N[1, K[1]]), f3(N[2, K[1]]), sprintf("%.2f", r1[1]), sprintf("%.2f", r2[1]), \
        f3(N[1, K[2]]), f3(N[2, K[2]]), sprintf("%.2f", r1[2]), sprintf("%.2f", r2[2]), \
        f3(N[1, K[3]]), f3(N[2, K[3]]), sprintf("%.2f", r1[3]), sprintf("%.2f", r2[3]), \
        f3(N[1, "label-free:any"]), f3(N[2, "label-free:any"]), sprintf("%.2f", b1), sprintf("%.2f", b2), \
        (b1 <= 0.75 && b2 <= 0.75) ? "within the 0.75× target in both zoos" : (b1 <= 0.75 || b2 <= 0.75) ? "within the 0.75× target in one zoo only" : "short of the 0.75× target in both")
}
