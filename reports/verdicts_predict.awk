# verdicts_predict.awk -- the sentences of the report's "Can the loss be predicted?" section,
# generated from the nested-LOMO tables (issue 12; experiments/prediction.md).  One row per
# sentence: key, text.
#
#   awk -v target=0.05 -v ratio=0.75 -f verdicts_predict.awk \
#       F/select/lomo.nested.tsv F/select/lomo.candidates.tsv F/noise.tsv
#
# Keys:
#   labelfree   the best label-free predictor, nested, against the target and the noise floor
#   weightonly  the weight-only tier, nested (both pools), against the reference's js_flops
#   curve       what allowing the ridge combinations does to the nested error
#   format      the format alone (the configuration's mean loss on the other models)
#   datafree    the data-free tier: its own candidates or none
#   floor       the noise floor
#   models      the held-out models the weight-only choice predicts worst and best
#   gradient    the gradient-similarity probe (grad_* curves), when the candidates have it

function f3(v) { return sprintf("%.3f", v) }
function need(cols,    n, a, i) {
    n = split(cols, a, " ")
    for (i = 1; i <= n; i++) if (!(a[i] in col)) { print "verdicts_predict.awk: " FILENAME ": no column " a[i] > "/dev/stderr"; bad = 1; exit 2 }
}
function ci(k) { return "[" f3(N[k, "ci_lo"]) ", " f3(N[k, "ci_hi"]) "]" }
function chosen(k,    s) { s = N[k, "chosen"]; gsub(/ x([0-9]+)/, " (&)", s); gsub(/\( x/, "(×", s); return s }
BEGIN { FS = OFS = "\t"; if (target == "") target = 0.05; if (ratio == "") ratio = 0.75 }
FNR == 1 {
    file++; delete col
    for (i = 1; i <= NF; i++) { col[$i] = i; hdr[file, i] = $i }
    nf[file] = NF
    if (file == 1) need("tier pool nested_rmse ci_lo ci_hi baseline_rmse chosen")
    if (file == 2) need("name tier kind lomo_rmse ci_lo ci_hi")
    if (file == 3) need("model rms_se max_se test_images")
    next
}
file == 1 {
    k = $col["tier"] ":" $col["pool"]
    for (c in col) N[k, c] = $col[c]
    for (i = 1; i <= NF; i++) if (hdr[1, i] ~ /^rmse_/) { g = substr(hdr[1, i], 6); R[k, g] = $i; if (!(g in gseen)) { gseen[g] = 1; groups[++ng] = g } }
    base = $col["baseline_rmse"] + 0
    next
}
file == 2 {
    C[$1] = $col["lomo_rmse"] + 0; CT[$1] = $col["tier"]; CK[$1] = $col["kind"]; CL[$1] = $col["ci_lo"]; CH[$1] = $col["ci_hi"]
    if ($1 ~ /^grad_/ && $col["kind"] == "curve" && (gbest == "" || $col["lomo_rmse"] + 0 < C[gbest])) gbest = $1
    if ($col["tier"] == "data-free") ndatafree++
    if ($col["kind"] == "ridge") nridge++; else if ($col["kind"] == "curve") ncurve++
    next
}
file == 3 { if ($1 == "ALL") { floor = $col["rms_se"] + 0; maxse = $col["max_se"] + 0 } else images = $col["test_images"]; next }
END {
    if (bad) exit 2
    if (file != 3) { print "verdicts_predict.awk: expected 3 files, got " file > "/dev/stderr"; exit 2 }
    if (!(("label-free:any", "nested_rmse") in N) || !(("weight-only:any", "nested_rmse") in N)) {
        print "verdicts_predict.awk: the nested table lacks the weight-only or label-free rows" > "/dev/stderr"; exit 2
    }
    print "key", "text"
    lf = N["label-free:any", "nested_rmse"] + 0
    print "labelfree", sprintf("**Label-free** (the FP32 and the quantized model run on unlabelled calibration images): a new model's loss is predicted with RMSE **%s** %s, %s the target %s; chosen without the held-out model: %s. That is %s× the noise floor %s: %s.", \
        f3(lf), ci("label-free:any"), lf <= target ? "within" : "above", target, chosen("label-free:any"), \
        sprintf("%.1f", lf / floor), f3(floor), \
        lf < 1.5 * floor ? "on these test images it cannot be told from a perfect predictor" : "there is room above the measurement noise")
    wo = N["weight-only:any", "nested_rmse"] + 0; wc = N["weight-only:curve", "nested_rmse"] + 0; js = C["js_flops"]
    wb = wc < wo ? wc : wo
    print "weightonly", sprintf("**Weight-only** (the parameters, the architecture and the format; no image): RMSE **%s** %s choosing one metric's curve per fold (chosen: %s), %s %s when two-metric combinations may be chosen too: %s× and %s× the reference's js_flops curve (%s), %s the %s× target%s.", \
        f3(wc), ci("weight-only:curve"), chosen("weight-only:curve"), f3(wo), ci("weight-only:any"), \
        sprintf("%.2f", wc / js), sprintf("%.2f", wo / js), f3(js), \
        (wc / js <= ratio && wo / js <= ratio) ? "both within" : (wb / js <= ratio ? "one within" : "short of"), ratio, \
        wb / js <= 0.5 ? " and the ½ goal" : sprintf(" (the ½ goal would be %s)", f3(js / 2)))
    print "curve", sprintf("Allowing the %d ridge combinations on top of the %d curves and the format's mean %s the nested error of the weight-only tier (%s vs %s): %s", \
        nridge, ncurve, wo > wc ? "raises" : "lowers", f3(wo), f3(wc), \
        wo > wc ? "with nine models, choosing among that many candidates fits the choice to the other eight models, and the held-out one pays for it." : "the combinations carry information a single metric does not.")
    fm = C["config_mean"]
    print "format", sprintf("The format alone — the mean loss of the same configuration on the other models — predicts with %s, %s than js_flops (%s) and %s than the weight-only tier's nested choice (%s): %s.", \
        f3(fm), fm < js ? "better" : "worse", f3(js), fm < wb ? "better" : "worse", f3(wb), \
        fm < js ? "most of what the reference's similarity predicts is which format it is; the weights add what distinguishes the models" : "the similarity metrics carry information beyond the format")
    if (ndatafree)
        print "datafree", sprintf("**Data-free** (also the BN statistics, through the analytic noise model): RMSE **%s** %s with curves (chosen: %s), %s %s with combinations: %s× js_flops.", \
            f3(N["data-free:curve", "nested_rmse"]), ci("data-free:curve"), chosen("data-free:curve"), \
            f3(N["data-free:any", "nested_rmse"]), ci("data-free:any"), sprintf("%.2f", N["data-free:curve", "nested_rmse"] / js))
    else
        print "datafree", "**Data-free**: this profile has no data-free metric yet (BN statistics only, no image), so its row repeats the weight-only one."
    print "floor", sprintf("Noise floor: on %s test images one accuracy has a binomial standard error of up to %s on the acc_loss scale; an oracle that knew every true accuracy would still score an RMSE of %s against these measurements.", images, f3(maxse), f3(floor))
    worst = ""; best = ""
    for (i = 1; i <= ng; i++) {
        v = R["weight-only:curve", groups[i]] + 0
        if (worst == "" || v > wv) { worst = groups[i]; wv = v }
        if (best == "" || v < bv) { best = groups[i]; bv = v }
    }
    if (gbest != "") {
        ga = C["agree_top1"]; gused = 0
        for (k in N) if (k ~ /chosen$/ && N[k] ~ /grad_/) gused = 1
        print "gradient", sprintf("The gradient-similarity probe (the reference's qat.py idea with its bugs fixed: the straight-through training gradient of the quantized model against the FP32 one at the checkpoint, on the calibration images, labelled by the FP32 model's own top-1): its best curve, %s, predicts a held-out model with LOMO RMSE %s [%s, %s], %s js_flops (%s) and %s× top-1 agreement on the same images (%s); %s.", \
            gbest, f3(C[gbest]), f3(CL[gbest]), f3(CH[gbest]), C[gbest] < js ? "better than" : "no better than", f3(js), \
            sprintf("%.1f", C[gbest] / ga), f3(ga), gused ? "some folds choose it" : "no fold of any tier chooses it")
    }
    print "models", sprintf("Per held-out model the weight-only curve choice errs most on %s (RMSE %s) and least on %s (%s); the label-free one between %s and %s.", \
        worst, f3(wv), best, f3(bv), f3(minmax("label-free:any", 0)), f3(minmax("label-free:any", 1)))
}
function minmax(k, wantmax,    i, v, m) {
    for (i = 1; i <= ng; i++) { v = R[k, groups[i]] + 0; if (i == 1 || (wantmax ? v > m : v < m)) m = v }
    return m
}
