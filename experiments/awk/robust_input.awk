# robust_input.awk -- the robustness sweep joined with the PTQ similarity metrics, as fit input.
#   awk [-v min_full=5] -f robust_input.awk data/P/results.tsv data/P/robust.tsv
# For every (model, quantized configuration) of robust.tsv: its js_flops from results.tsv, the
# accuracies in points (org_acc org_gen_acc fgsm_acc pgd_acc pgd_gen_acc), and against the
# model's Full row the relative losses (Full - config) / Full of clean, FGSM and PGD test accuracy
# (org_loss, fgsm_loss, pgd_loss: fractions like acc_loss) and the relative accuracies config /
# Full on test and pseudo data (org_rel_test, org_rel_gen, pgd_rel_test, pgd_rel_gen; spec §3.5).
# A ratio is only meaningful when Full's accuracy is not near 0: with min_full set, only the
# models whose Full accuracies (clean and PGD, test and pseudo) are all >= min_full points are
# written (the others are named on stderr); without it every row, ratios of a Full accuracy of 0
# printed as 0.
function col(name,   i) { for (i = 1; i <= NF; i++) if ($i == name) return i; return 0 }
function rel(a, b) { return b > 0 ? a / b : 0 }
BEGIN {
    FS = OFS = "\t"
    print "model", "title", "quant", "bits", "js_flops", "org_acc", "org_gen_acc", "fgsm_acc", "pgd_acc", "pgd_gen_acc",
          "org_loss", "fgsm_loss", "pgd_loss", "org_rel_test", "org_rel_gen", "pgd_rel_test", "pgd_rel_gen"
}
FNR == 1 {
    nfile++
    for (i = 1; i <= NF; i++) C[nfile, $i] = i
    next
}
nfile == 1 { k = $C[1, "model"] SUBSEP $C[1, "title"]; js[k] = $C[1, "js_flops"]; q[k] = $C[1, "quant"] "\t" $C[1, "bits"]; next }
{
    m = $C[2, "model"]; t = $C[2, "title"]
    o = $C[2, "org_acc"]; og = $C[2, "org_gen_acc"]; f = $C[2, "fgsm_acc"]; p = $C[2, "pgd_acc"]; pg = $C[2, "pgd_gen_acc"]
    if (t == "Full") {
        FO[m] = o; FOG[m] = og; FF[m] = f; FP[m] = p; FPG[m] = pg
        if (min_full != "" && (o < min_full || og < min_full || p < min_full || pg < min_full)) {
            drop[m] = 1
            printf "robust_input.awk: %s left out of the relative table (Full: clean %s / %s, PGD %s / %s %% on test / pseudo)\n",
                   m, o, og, p, pg > "/dev/stderr"
        }
        next
    }
    if (m in drop) next
    if (!((m SUBSEP t) in js)) { printf "robust_input.awk: %s %s has no row in results.tsv\n", m, t > "/dev/stderr"; exit 2 }
    printf "%s\t%s\t%s\t%.6g\t%s\t%s\t%s\t%s\t%s\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\n", m, t, q[m SUBSEP t], js[m SUBSEP t],
           o, og, f, p, pg, 1 - rel(o, FO[m]), 1 - rel(f, FF[m]), 1 - rel(p, FP[m]), rel(o, FO[m]), rel(og, FOG[m]),
           rel(p, FP[m]), rel(pg, FPG[m])
}
