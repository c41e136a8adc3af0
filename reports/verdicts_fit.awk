# verdicts_fit.awk -- the report's verdict sentences about the fits and the predictors, generated
# from the fit tables so that no finding is typed by hand.  One row per sentence: key, text.
#
#   awk -f verdicts_fit.awk F/variants.tsv F/flops.coef.tsv F/predictors.tsv \
#       F/bkp/summary.tsv F/bkp/input.tsv F/pot.tsv
#
# (the files in this order; F = data/<profile>/fit); -v target=0.05: the LOMO RMSE a user needs
# to decide whether a format is safe for a new model (issue 12).  Keys:
#   ref       the reference's predictor: per-model vs pooled R², LOMO RMSE vs the baseline
#   heldout   the held-out models for which the curve predicts worse than the others' mean
#   tiers     the best metric of each tier (predictors.tsv column tier) and of all
#   mac       MAC weighting of js_flops (wt_log, wt_cbrt) against plain js_flops
#   param     parameter against FLOP weighting of the JS divergence
#   wb        weight:bias 0.5:0.5 against 1:1 (fit_bkp)
#   l2        FLOP-weighted MSE against js_flops (fit_bkp)
#   pot       the POT pile-up: js_flops spread within POT against INT

function f4(v) { return sprintf("%.4f", v) }
function f3(v) { return sprintf("%.3f", v) }
function pc(v) { return sprintf("%.0f %%", 100 * v) }
function better(a, b) { return a < b ? "better" : a > b ? "worse" : "equally well" }
function need(file, cols,    n, a, i) {
    n = split(cols, a, " ")
    for (i = 1; i <= n; i++) if (!(a[i] in col)) { print "verdicts_fit.awk: " file ": no column " a[i] > "/dev/stderr"; bad = 1; exit 2 }
}
function andlist(list,    n, a, i, out) {
    n = split(list, a, "\034"); out = a[1]
    for (i = 2; i <= n; i++) out = out (i == n ? " and " : ", ") a[i]
    return out
}
BEGIN { FS = OFS = "\t"; if (target == "") target = 0.05 }
FNR == 1 {
    file++; delete col
    for (i = 1; i <= NF; i++) col[$i] = i
    if (file == 1 || file == 4) need(FILENAME, "variant r2 lomo_rmse baseline_rmse lomo_skill mean_model_r2 min_model_r2 max_model_r2")
    if (file == 2) need(FILENAME, "group r2 lomo_rmse baseline_rmse")
    if (file == 3) need(FILENAME, "metric tier r2 lomo_rmse baseline_rmse lomo_skill")
    if (file == 5) need(FILENAME, "half_ratio")
    if (file == 6) need(FILENAME, "model int_js_decades pot_js_decades pot_loss_max")
    next
}
file == 1 { for (c in col) V[$1, c] = $col[c]; next }
file == 2 {
    if ($1 == "ALL") next
    if ($col["lomo_rmse"] + 0 > $col["baseline_rmse"] + 0) {
        worse = worse (worse == "" ? "" : "\034") $1
        wnums = wnums (wnums == "" ? "" : ", ") f3($col["lomo_rmse"]) " vs " f3($col["baseline_rmse"])
        nworse++
    }
    nheld++
    next
}
file == 3 {
    t = $col["tier"]; l = $col["lomo_rmse"] + 0
    if ($col["lomo_rmse"] ~ /nan/) next
    if (!(t in tbest) || l < tbest[t]) { tbest[t] = l; tname[t] = $1; tskill[t] = $col["lomo_skill"] }
    if (!(t in tseen)) { tseen[t] = 1; tiers[++nt] = t }
    if (allbest == "" || l < allbest) { allbest = l; allname = $1; alltier = t }
    P[$1] = l; base = $col["baseline_rmse"]
    next
}
file == 4 { for (c in col) K[$1, c] = $col[c]; next }
file == 5 {
    v = $col["half_ratio"] + 0
    if (nr++ == 0 || v < rmin) rmin = v
    if (nr == 1 || v > rmax) rmax = v
    next
}
file == 6 {
    if (npot++ == 0 || $col["pot_js_decades"] + 0 > potmax) { potmax = $col["pot_js_decades"] + 0; potmaxm = $1 }
    if (npot == 1 || $col["int_js_decades"] + 0 < intmin) { intmin = $col["int_js_decades"] + 0; intminm = $1 }
    if ($col["pot_loss_max"] + 0 > potloss) { potloss = $col["pot_loss_max"] + 0; potlossm = $1 }
    next
}
END {
    if (bad) exit 2
    if (file != 6) { print "verdicts_fit.awk: expected 6 files, got " file > "/dev/stderr"; exit 2 }
    print "key", "text"
    print "ref", sprintf("The reference's predictor, a rational P2/Q2 curve of acc_loss on js_flops, fits one model at a time well (R² %s on average, %s–%s) but all models together poorly (pooled R² %s). Predicting a model left out of the fit, its RMSE is %s against %s for predicting the other models' mean loss: it removes %s of the baseline's error, %s the %s a deployment decision needs.", \
        f3(V["flops", "mean_model_r2"]), f3(V["flops", "min_model_r2"]), f3(V["flops", "max_model_r2"]), f3(V["flops", "r2"]), \
        f3(V["flops", "lomo_rmse"]), f3(V["flops", "baseline_rmse"]), pc(V["flops", "lomo_skill"]), \
        V["flops", "lomo_rmse"] + 0 > 2 * target ? "far above" : V["flops", "lomo_rmse"] + 0 > target ? "above" : "within", target)
    if (nworse)
        print "heldout", sprintf("For %s of %d held-out models the curve fitted on the others predicts worse than their mean loss: %s (LOMO RMSE vs baseline %s).", \
            nworse == 1 ? "one" : nworse, nheld, andlist(worse), wnums)
    else
        print "heldout", sprintf("For every one of the %d held-out models the curve fitted on the others predicts better than their mean loss.", nheld)
    s = ""
    for (i = 1; i <= nt; i++)
        s = s (i > 1 ? "; " : "") sprintf("the best %s metric is %s (LOMO RMSE %s%s, removing %s of its error)", \
            tiers[i], tname[tiers[i]], f3(tbest[tiers[i]]), i == 1 ? " against " f3(base) " for the baseline" : "", \
            pc(tskill[tiers[i]]))
    s = toupper(substr(s, 1, 1)) substr(s, 2) "."
    if ("weight-only" in tbest && alltier != "weight-only")
        s = s sprintf(" The best of all, %s, needs the quantized model run on images (tier %s), which the question rules out; the answer to it is %s, %s than the reference's js_flops (%s).", \
            allname, alltier, tname["weight-only"], better(tbest["weight-only"], P["js_flops"]), f3(P["js_flops"]))
    else if ("weight-only" in tbest)
        s = s sprintf(" It is also the best of all; the reference's js_flops reaches %s.", f3(P["js_flops"]))
    print "tiers", s
    ml = V["wt_log", "lomo_rmse"] + 0; mc = V["wt_cbrt", "lomo_rmse"] + 0; fl = V["flops", "lomo_rmse"] + 0
    verdict = (ml > fl && mc > fl) ? "makes the pooled prediction worse" : (ml < fl && mc < fl) ? "makes the pooled prediction better" : "helps in one form and hurts in the other"
    print "mac", sprintf("Weighting js_flops by the model's MACs (the reference's remedy for large models losing more at the same divergence) %s: LOMO RMSE %s with plain js_flops, %s with ·log10 MAC, %s with ·MAC^1/3 (pooled R² %s, %s, %s).", \
        verdict, f3(fl), f3(ml), f3(mc), f3(V["flops", "r2"]), f3(V["wt_log", "r2"]), f3(V["wt_cbrt", "r2"]))
    pl = V["param", "lomo_rmse"] + 0
    print "param", sprintf("Weighting the layers' divergences by their parameter share instead of their FLOP share predicts %s: LOMO RMSE %s (js_param) vs %s (js_flops), pooled R² %s vs %s; per model %s (mean R² %s vs %s).", \
        better(pl, fl), f3(pl), f3(fl), f3(V["param", "r2"]), f3(V["flops", "r2"]), \
        (V["param", "mean_model_r2"] - V["flops", "mean_model_r2"])^2 < 0.005^2 ? "the two fit alike" : \
        V["param", "mean_model_r2"] > V["flops", "mean_model_r2"] ? "js_param fits better" : "js_flops fits better", \
        f3(V["param", "mean_model_r2"]), f3(V["flops", "mean_model_r2"]))
    dr = K["js_flops_half", "r2"] - K["js_flops", "r2"]
    if (rmax - rmin < 1e-6 && (dr < 1e-9 && dr > -1e-9))
        print "wb", sprintf("Weight:bias 0.5:0.5 and 1:1 are the same predictor: on every point js_flops(0.5:0.5) / js_flops(1:1) = %.6f, and a curve fitted to a rescaled x fits equally well (pooled R² %s both).", \
            (rmin + rmax) / 2, f4(K["js_flops", "r2"]))
    else
        print "wb", sprintf("Weight:bias 0.5:0.5 against 1:1: pooled R² %s vs %s, the ratio of the two js_flops ranging %.6f–%.6f over the points.", \
            f4(K["js_flops_half", "r2"]), f4(K["js_flops", "r2"]), rmin, rmax)
    el = K["mse_flops", "lomo_rmse"] + 0; jl = K["js_flops", "lomo_rmse"] + 0
    print "l2", sprintf("The FLOP-weighted mean squared error of the parameters (L2) predicts %s than the JS divergence: LOMO RMSE %s vs %s, pooled R² %s vs %s (same exactly monotone fit).", \
        better(el, jl), f3(el), f3(jl), f3(K["mse_flops", "r2"]), f3(K["js_flops", "r2"]))
    if (potmax < intmin)
        print "pot", sprintf("The POT points pile up: within POT, js_flops spans at most %.2f decades for a model (%s), within INT at least %.2f (%s), while the POT losses reach %s (%s) — a single curve of js_flops cannot follow them.", \
            potmax, potmaxm, intmin, intminm, pc(potloss), potlossm)
    else
        print "pot", sprintf("No POT pile-up beyond INT's: within POT js_flops spans up to %.2f decades for a model (%s), within INT at least %.2f (%s).", potmax, potmaxm, intmin, intminm)
}
