# lm_verdicts.awk -- the language-model section's sentences, computed from the tables (no
# number typed by hand).  Usage:
#   awk -f lm_verdicts.awk summary.tsv ptq.tsv fit_flops.coef.tsv fit_param.coef.tsv reference_lm_setup.tsv
# Output: key, text (markdown).  Keys: model, int2pot2, pot, int8, fit, metrics.
BEGIN { FS = OFS = "\t"; print "key", "text" }
FNR == 1 { file++; for (i = 1; i <= NF; i++) col[file, $i] = i; next }
file == 1 { s[$1] = $2; next }
file == 5 { ref[$1] = $2; next }
file == 2 {
    t = $(col[2, "title"]); ppl[t] = $(col[2, "ptq_ppl"]) + 0; ratio[t] = $(col[2, "ppl_ratio"]) + 0
    full = $(col[2, "full_ppl"]) + 0
    if ($(col[2, "quant"]) == "POT" && $(col[2, "bits"]) >= 5) { npot5++; if (!(pmin <= ratio[t]) || npot5 == 1) pmin = ratio[t]; if (ratio[t] > pmax || npot5 == 1) pmax = ratio[t] }
    next
}
{ g = $1; r2[file, g] = $(col[file, "r2"]); lo[file, g] = $(col[file, "lomo_rmse"]); base[file, g] = $(col[file, "baseline_rmse"]); n[file, g] = $(col[file, "n"]); st[file, g] = $(col[file, "status"]) }
END {
    printf "model\tThe %s language model (embedding %s, hidden %s, tied output layer, %s words incl. `<unk>`, %s parameters) trained %s epoch%s on the `%s` corpus (%s training tokens); it reached test perplexity **%.2f** (best epoch %s), against %.2f for an add-one unigram model of the training split.  The reference reports %.2f on %s with %s/%s units and %.1f M parameters: a different corpus and size, so the two perplexities are not comparable, only the ratios below.\n", \
        s["corpus"] == "ptb" ? "PTB_LSTM" : "reference-shaped", s["embed"], s["hidden"], s["vocab"], s["params"], s["epochs"], s["epochs"] == 1 ? "" : "s", s["corpus"], s["train_tokens_used"], \
        s["test_ppl"], s["best_epoch"], s["unigram_test_ppl"], ref["full_ppl"], ref["corpus"], ref["embed"], ref["hidden"], ref["params"] / 1e6
    if (("INT_2" in ppl) && ("POT_2" in ppl)) {
        d = ppl["INT_2"] - ppl["POT_2"]; if (d < 0) d = -d
        printf "int2pot2\tINT_2 and POT_2 %s (perplexity %.2f and %.2f): both grids are {−1, 0, 1}.\n", \
            d <= 1e-9 * ppl["INT_2"] ? "give the same perplexity" : "**differ**", ppl["INT_2"], ppl["POT_2"]
    }
    if (npot5 >= 2 && ("INT_8" in ratio)) {
        sat = pmax <= 1.05 * pmin
        printf "pot\tPOT %s: from 5 to 8 bits its perplexity ratio stays between %.3f and %.3f%s (INT_8: %.4f) (each extra POT bit only adds levels closer to zero).\n", \
            sat ? "saturates" : "does **not** saturate", pmin, pmax, sat ? ", far above INT's at the same widths" : "", ratio["INT_8"]
    }
    if ("INT_8" in ratio) {
        p = 100 * (ratio["INT_8"] - 1)
        printf "int8\tINT_8 %s of full precision: perplexity %.2f against %.2f (%+.2f %%).\n", \
            (p <= 1 && p >= -1) ? "is within 1 %" : "is **not** within 1 %", ppl["INT_8"], full, p
    }
    if (st[3, "ALL"] ~ /^ok/)
        printf "fit\tA rational fit of ppl_ratio on js_flops over all %d configurations has R² = %.3f; fitted on two formats and asked for the third (leave one format out), it predicts with RMSE %.3f, against %.3f for predicting the mean.\n", \
            n[3, "ALL"], r2[3, "ALL"], lo[3, "ALL"], base[3, "ALL"]
    else
        printf "fit\tThe rational fit of ppl_ratio on js_flops failed (%s).\n", st[3, "ALL"]
    if (st[3, "ALL"] ~ /^ok/ && st[4, "ALL"] ~ /^ok/) {
        fi = sprintf("%.4f", r2[3, "ALL"]); pi = sprintf("%.4f", r2[4, "ALL"])
        fo = sprintf("%.4f", lo[3, "ALL"]); po = sprintf("%.4f", lo[4, "ALL"])
        ins = fi == pi ? "In sample, js_flops and js_param fit equally well (R² " fi " both, to 4 digits)" : \
              sprintf("In sample, %s fits better (R² %s for js_flops, %s for js_param)", fi + 0 > pi + 0 ? "js_flops" : "js_param", fi, pi)
        out = fo == po ? "they predict equally well left out one format at a time (RMSE " fo ")" : \
              sprintf("left out one format at a time, %s predicts better (RMSE %s and %s)", fo + 0 < po + 0 ? "js_flops" : "js_param", fo, po)
        printf "metrics\t%s; %s.\n", ins, out
    }
}
