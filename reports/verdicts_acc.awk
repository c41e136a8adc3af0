# verdicts_acc.awk -- the report's verdict sentences about accuracy, generated from the data so
# that no finding is typed by hand.  One row per sentence: key, text.
#
#   awk -v tol=0.01 -f verdicts_acc.awk acc.tsv      (the long table of reports/acc.awk)
#
# Per format family (INT, POT, FLOAT; FLOAT at each model's best exponent for a bit width):
#   - the narrowest bit width from which every wider one keeps every model within tol of its
#     FP32 accuracy (relative loss, acc_loss <= tol), with the largest loss there;
#   - the loss range (min-max over models) of the next narrower bit widths;
#   - the models at the majority-class floor (column chance of acc.awk) and at which widths.
# Keys: images (the measurement and its uncertainty), INT, POT, FLOAT, floor (collapsed models
# per family), noise (negative losses).

function sg(v) { return v < 0 ? "−" sprintf("%.1f", -v) : sprintf("%.1f", v) }
function pct(v) { return sg(100 * v) " %" }
function pr(a, b) { return sg(100 * a) "–" sg(100 * b) " %" }
function cname(f, b) { return f "_" b }
# "POT_2–3, POT_5–8" from the sorted bit list "2 3 5 6 7 8"
function ranges(f, list,    n, a, i, out, s) {
    n = split(list, a, " "); out = ""
    for (i = 1; i <= n; i++) {
        s = a[i]
        while (i < n && a[i + 1] == a[i] + 1) i++
        out = out (out == "" ? "" : ", ") cname(f, s) (a[i] != s ? "–" a[i] : "")
    }
    return out
}
# "A, B and C"
function andlist(list,    n, a, i, out) {
    n = split(list, a, "\034"); out = a[1]
    for (i = 2; i <= n; i++) out = out (i == n ? " and " : ", ") a[i]
    return out
}
BEGIN {
    FS = OFS = "\t"
    if (tol == "") tol = 0.01
    nfam = split("INT POT FLOAT", FAM, " ")
}
NR == 1 {
    for (i = 1; i <= NF; i++) col[$i] = i
    split("model config quant bits ebits ptq_acc se acc_loss loss_se images majority_pct chance", need, " ")
    for (i = 1; i in need; i++) if (!(need[i] in col)) { print "verdicts_acc.awk: no column " need[i] > "/dev/stderr"; bad = 1; exit 2 }
    next
}
{
    m = $col["model"]; q = $col["quant"]
    if (!(m in mseen)) { mseen[m] = 1; models[++nm] = m }
    if (q == "FP32") { fpse[m] = $col["se"]; fplse[m] = $col["loss_se"]; images[m] = $col["images"]; next }
    b = $col["bits"] + 0; l = $col["acc_loss"] + 0
    npts++
    if ($col["se"] + 0 > maxse) { maxse = $col["se"] + 0; maxse_acc = $col["ptq_acc"] }
    if (l < 0) { nneg++; if (-l <= 2 * $col["loss_se"]) nneg2++; if (-l > worstneg) { worstneg = -l; worstneg_se = $col["loss_se"] } }
    # best configuration of (family, bits) for this model: the smallest loss (FLOAT: over exponents)
    if (!((q, b, m) in best) || l < best[q, b, m]) {
        best[q, b, m] = l; bestcfg[q, b, m] = $col["config"]; chance[q, b, m] = $col["chance"] + 0
        if (q == "FLOAT") bestE[q, b, m] = $col["ebits"]
    }
    if (!((q, b) in bseen)) { bseen[q, b] = 1; bits[q] = bits[q] " " b }
}
END {
    if (bad) exit 2
    if (!nm || !npts) { print "verdicts_acc.awk: no PTQ rows" > "/dev/stderr"; exit 2 }
    print "key", "text"
    n = images[models[1]]; same = 1; minfpse = 1e9; maxfpse = 0; maxlse = 0
    for (j = 1; j <= nm; j++) {
        if (images[models[j]] != n) same = 0
        if (fplse[models[j]] > maxlse) maxlse = fplse[models[j]]
        if (fpse[models[j]] < minfpse) minfpse = fpse[models[j]]
        if (fpse[models[j]] > maxfpse) maxfpse = fpse[models[j]]
    }
    print "images", sprintf("Every accuracy is measured on %s test images, so it carries a binomial standard error: %.1f–%.1f points at the FP32 accuracies, up to %.1f points (at %.1f %%) among the quantized ones; near FP32, a relative loss of %s is one standard error.", \
        same ? n : "up to " n, minfpse, maxfpse, maxse, maxse_acc, pct(maxlse))
    for (fi = 1; fi <= nfam; fi++) {
        f = FAM[fi]
        nb = split(substr(bits[f], 2), B, " ")
        if (!nb) continue
        # sort the bit widths (insertion sort, numeric)
        for (i = 2; i <= nb; i++) { v = B[i] + 0; for (k = i - 1; k >= 1 && B[k] + 0 > v; k--) B[k + 1] = B[k]; B[k + 1] = v }
        lab = f == "FLOAT" ? "FLOAT (each model at its best exponent)" : f
        for (i = 1; i <= nb; i++) {
            b = B[i]; lo[i] = 1e9; hi[i] = -1e9; nch[i] = 0
            for (j = 1; j <= nm; j++) {
                m = models[j]
                if (!((f, b, m) in best)) continue
                v = best[f, b, m]
                if (v < lo[i]) lo[i] = v
                if (v > hi[i]) { hi[i] = v; hiM[i] = m }
                nch[i] += chance[f, b, m]
            }
        }
        safe = 0
        for (i = nb; i >= 1 && hi[i] <= tol; i--) safe = i
        if (safe) {
            worst = -1e9
            for (i = safe; i <= nb; i++) if (hi[i] > worst) { worst = hi[i]; wi = i }
            s = sprintf("**%s**: from %s up every model stays within %s of its FP32 accuracy (the largest loss is %s, %s at %s)", \
                lab, cname(f, B[safe]), pct(tol), pct(worst), hiM[wi], cname(f, B[wi]))
            top = safe - 1
        } else {
            s = sprintf("**%s**: no bit width up to %s keeps every model within %s", lab, cname(f, B[nb]), pct(tol))
            top = nb
        }
        # the narrower widths, widest first; consecutive widths with the same description merge
        shown = 0
        for (i = top; i >= 1; i = k - 1) {
            d = nch[i] == nm ? "every model is at the majority-class floor" : \
                "the loss is " pr(lo[i], hi[i]) " (worst " hiM[i] (nch[i] ? sprintf("; %d of %d models at the floor", nch[i], nm) : "") ")"
            for (k = i; k > 1; k--) {
                d2 = nch[k - 1] == nm ? "every model is at the majority-class floor" : \
                     "the loss is " pr(lo[k - 1], hi[k - 1]) " (worst " hiM[k - 1] (nch[k - 1] ? sprintf("; %d of %d models at the floor", nch[k - 1], nm) : "") ")"
                if (d2 != d) break
            }
            if (shown == 3 && nch[i] < nm) { s = s "; …"; shown++; continue }
            if (shown > 3 && nch[i] < nm) continue
            s = s sprintf("; at %s %s", k < i ? cname(f, B[k]) "–" B[i] : cname(f, B[i]), d)
            shown++
        }
        print f, s "."
        # collapsed models, grouped by the widths at which they sit at the floor (widths at which
        # every model does are left out: the sentence above says so)
        delete grp; ng = 0
        for (j = 1; j <= nm; j++) {
            m = models[j]; list = ""
            for (i = 1; i <= nb; i++) if (chance[f, B[i], m] && nch[i] < nm) list = list (list == "" ? "" : " ") B[i]
            if (list == "") continue
            if (!(list in grp)) { grp[list] = m; gorder[++ng] = list } else grp[list] = grp[list] "\034" m
        }
        if (ng) {
            s = ""
            for (g = 1; g <= ng; g++) s = s (g > 1 ? "; " : "") andlist(grp[gorder[g]]) " at " ranges(f, gorder[g])
            floor_text = floor_text (floor_text == "" ? "" : " ") sprintf("%s: %s.", f, s)
        }
    }
    if (floor_text != "")
        print "floor", "Models at the majority-class floor (accuracy no better than always answering the most frequent class, plus two standard errors), leaving out the widths where every model is: " floor_text
    else
        print "floor", "No model sits at the majority-class floor except at widths where every model does."
    if (nneg)
        print "noise", sprintf("%d of %d points have a negative acc_loss (the quantized model scored higher than FP32 on the same images); %s within two standard errors of no loss (the largest gain, %s, against a standard error of %s)%s", \
            nneg, npts, nneg2 == nneg ? "all lie" : nneg2 " of them lie", pct(worstneg), pct(worstneg_se), \
            nneg2 == nneg ? ", so they are sampling noise of the test images, not gains from quantization." : \
            sprintf("; the other %d are larger than the noise of the test images explains.", nneg - nneg2))
    else
        print "noise", sprintf("None of the %d points has a negative acc_loss.", npts)
}
