# verdicts_robust.awk -- the Security section's sentences, generated from the data (key, text):
#   awk -v steps=10 -v box=pixel -v classes=10 -f verdicts_robust.awk gen_summary.tsv robust.tsv \
#       fit/robust/summary.tsv ptq_gen.tsv   (summary.tsv: rows org_abs, pgd_abs, org_transfer, pgd_transfer)
# keys: formats (which formats keep the full-precision PGD accuracy), gain (quantized models that
# score above Full under attack), adjust (did the adjust loop converge; Full's pseudo vs test
# PGD gap), transfer (does pseudo data predict the test-set numbers), datafree (PTQ calibrated
# on generated images vs training images).  "Keeps" = within 2 standard errors of the
# difference of two binomial accuracies on n test images: 2 sqrt(2 p (1 - p) / n), p = Full's.
function col(name,   i) { for (i = 1; i <= NF; i++) if ($i == name) return i; return 0 }
function fam(t) { return t == "Full" ? "" : substr(t, 1, index(t, "_") - 1) }
function bits(t,   s) { s = t; sub(/^[A-Z]+_/, "", s); sub(/_.*/, "", s); return s + 0 }
function tol(p, n) { p /= 100; return 200 * sqrt(2 * p * (1 - p) / n) }
function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n == 0 ? 0 : (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2)
}
function pl(n, w) { return n == 1 ? w : w "s" }
BEGIN { FS = OFS = "\t"; if (steps == "") steps = 10; if (box == "") box = "pixel"; chance = classes > 0 ? 100 / classes : 10 }
FNR == 1 { f++; for (i = 1; i <= NF; i++) C[f, $i] = i; next }
f == 1 {   # gen_summary.tsv
    m = $C[1, "model"]; nm++; M[nm] = m
    ntest[m] = $C[1, "test_images"]; iters[m] = $C[1, "adjust_iters"]; cap_hit[m] = $C[1, "cap_hit"]; cap = $C[1, "adjust_cap"]
    pgd_gen[m] = $C[1, "pgd_gen_acc"]; pgd_test[m] = $C[1, "pgd_test_acc"]
    next
}
f == 2 {   # robust.tsv
    m = $C[2, "model"]; t = $C[2, "title"]
    org[m, t] = $C[2, "org_acc"]; pgd[m, t] = $C[2, "pgd_acc"]
    if (t != "Full" && !((t) in seen)) { seen[t] = 1; nt++; T[nt] = t }
    next
}
f == 3 { fit[$C[3, "fit"], "r2"] = $C[3, "r2"]; fit[$C[3, "fit"], "lomo"] = $C[3, "lomo_rmse"]
         fit[$C[3, "fit"], "base"] = $C[3, "baseline_rmse"]; fit[$C[3, "fit"], "skill"] = $C[3, "lomo_skill"]; next }
f == 4 {   # ptq_gen.tsv
    d = $C[4, "gen_minus_real"]; np++; DP[np] = d
    if (d >= -1) within++
    if (np == 1 || d < worst) { worst = d; worst_at = $C[4, "model"] " " $C[4, "title"] }
    t = $C[4, "title"]; nt_d[t]++; DT[t, nt_d[t]] = d
    next
}
END {
    # formats: a configuration keeps robustness when every model's PGD accuracy is within tol of Full's
    for (k = 1; k <= nt; k++) {
        t = T[k]; keep = 1
        for (j = 1; j <= nm; j++) { m = M[j]; if (!((m, t) in pgd)) continue
            d = pgd[m, t] - pgd[m, "Full"]; if (d < 0) d = -d
            if (d > tol(pgd[m, "Full"], ntest[m]) || org[m, t] < org[m, "Full"] - tol(org[m, "Full"], ntest[m])) keep = 0 }
        F = fam(t); total[F]++
        if (keep) { kept[F]++; if (F == "INT" && (!(F in minb) || bits(t) < minb[F])) minb[F] = bits(t)
                    if (F != "INT" && (!(F in narrow) || bits(t) < bits(narrow[F]))) narrow[F] = t }
    }
    s = sprintf("**Which formats keep robustness.** Under PGD-%d (ε = 8/255, %s box) on the first %d test images, ", steps, box, ntest[M[1]])
    s = s ("INT" in minb ? sprintf("INT_b keeps every model's full-precision PGD accuracy and its clean accuracy (each within 2 s.e.) from b = %d bits", minb["INT"]) \
                          : "no INT width keeps every model's full-precision PGD and clean accuracy (within 2 s.e.)")
    if (total["POT"]) s = s sprintf("; POT in %d of %d widths%s", kept["POT"] + 0, total["POT"], ("POT" in narrow) ? " (narrowest " narrow["POT"] ")" : "")
    if (total["FLOAT"]) s = s sprintf("; FLOAT in %d of %d configurations%s", kept["FLOAT"] + 0, total["FLOAT"], ("FLOAT" in narrow) ? " (narrowest " narrow["FLOAT"] ")" : "")
    s = s "."
    print "key", "text"
    print "se", sprintf("%.1f", 100 * sqrt(0.25 / ntest[M[1]]))
    print "formats", s
    # gain: above Full under attack by more than tol, among the pairs that did not collapse (a
    # collapsed model answers one class whatever the input: clean accuracy at chance, PGD = clean)
    best = -1e9; cnt = 0; pairs = 0; coll = 0
    for (j = 1; j <= nm; j++) for (k = 1; k <= nt; k++) { m = M[j]; t = T[k]; if (!((m, t) in pgd)) continue
        if (org[m, t] <= chance + tol(chance, ntest[m]) && pgd[m, t] >= org[m, t] - 1e-9) { coll++; continue }
        pairs++; d = pgd[m, t] - pgd[m, "Full"]
        if (d > tol(pgd[m, "Full"], ntest[m])) cnt++
        if (d > best) { best = d; bm = m; bt = t } }
    cs = coll ? sprintf(" (%d collapsed pairs -- clean accuracy at chance, untouched by the attack -- left out)", coll) : ""
    if (cnt > 0)
        print "gain", sprintf("**Coarse quantization can raise the measured robustness.** In %d of %d (model, configuration) pairs%s the PGD accuracy is above Full's by more than 2 s.e.; the largest: %s %s, %+.1f points (its clean accuracy %.1f %% vs %.1f %%). A quantizer whose straight-through gradient misleads the attack can look robust without being so (gradient masking): such rows may measure the attack as much as the model.", cnt, pairs, cs, bm, bt, best, org[bm, bt], org[bm, "Full"])
    else
        print "gain", sprintf("**No configuration scores above Full under attack** by more than 2 s.e. (%d pairs%s; largest difference %+.1f points, %s %s).", pairs, cs, best, bm, bt)
    # adjust
    conv = 0; nu = 0; ng = 0; gw = -1
    for (j = 1; j <= nm; j++) { m = M[j]; if (!cap_hit[m]) { conv++; U[++nu] = iters[m] }
        g = pgd_gen[m] - pgd_test[m]; G[++ng] = (g < 0 ? -g : g); if (G[ng] > gw) { gw = G[ng]; gm = m; gv = g } }
    s = sprintf("**Adjusting the generator.** The adjust loop met the reference's stop rule for %d of %d models", conv, nm)
    s = s (nu ? sprintf(" (median %g %s)", median(U, nu), pl(median(U, nu), "update")) : "")
    s = s (conv < nm ? sprintf("; the other %d stopped at the cap of %d updates", nm - conv, cap) : "")
    s = s sprintf(". On the full-precision model the pseudo set's PGD accuracy ends a median %.1f points from the test set's (largest: %s, %+.1f).", median(G, ng), gm, gv)
    print "adjust", s
    # transfer: in points (every model), and the reference's ratios (models with Full well above 0)
    sk = fit["pgd_abs", "skill"]
    word = sk > 0.5 ? "largely tracks" : sk > 0.2 ? "partly tracks" : "does not track"
    s = sprintf("**Does pseudo data predict the test set?** Under PGD it %s it: pooled over the models and configurations, the test-set PGD accuracy against the pseudo-set one has R² = %.2f and a leave-one-model-out RMSE of %.1f points against %.1f for predicting the mean (skill %.2f); clean accuracy: R² = %.2f, LOMO RMSE %.1f vs %.1f points (skill %.2f).", word, fit["pgd_abs", "r2"], fit["pgd_abs", "lomo"], fit["pgd_abs", "base"], sk, fit["org_abs", "r2"], fit["org_abs", "lomo"], fit["org_abs", "base"], fit["org_abs", "skill"])
    if (("pgd_transfer", "r2") in fit && fit["pgd_transfer", "r2"] != "nan")
        s = s sprintf(" The reference's ratios (configuration / Full), for the models whose Full accuracies stay above the floor: R² = %.2f (PGD) and %.2f (clean).", fit["pgd_transfer", "r2"], fit["org_transfer", "r2"])
    print "transfer", s
    # data-free PTQ
    if (np) {
        md = median(DP, np)
        for (i = 1; i <= nt_d["INT_8"]; i++) A8[i] = DT["INT_8", i]
        for (i = 1; i <= nt_d["POT_4"]; i++) A4[i] = DT["POT_4", i]
        sel = (nt_d["INT_8"] ? sprintf("INT_8: %+.1f", median(A8, nt_d["INT_8"])) : "") \
              (nt_d["INT_8"] && nt_d["POT_4"] ? ", " : "") \
              (nt_d["POT_4"] ? sprintf("POT_4: %+.1f", median(A4, nt_d["POT_4"])) : "")
        print "datafree", sprintf("**Data-free PTQ.** Calibrated on the adjusted generator's images instead of training images, PTQ accuracy moves by a median of %+.1f points over %d (model, configuration) pairs%s; it stays within 1 point (or gains) in %d of them; the worst: %s, %+.1f points.", md, np, (sel != "" ? " (" sel ")" : ""), within, worst_at, worst)
    }
}
