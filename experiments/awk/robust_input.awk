# robust_input.awk -- the robustness sweep joined with the PTQ similarity metrics, as fit input.
#   awk -f robust_input.awk data/P/results.tsv data/P/robust.tsv
# For every (model, quantized configuration) of robust.tsv: its js_flops from results.tsv and,
# against the model's Full row, the relative losses (Full - config) / Full of clean, FGSM and PGD
# accuracy on the test images (org_loss, fgsm_loss, pgd_loss, fractions like acc_loss) and the
# relative accuracies config / Full on test and pseudo data (org_rel_test, org_rel_gen,
# pgd_rel_test, pgd_rel_gen; spec §3.5).  A ratio whose Full accuracy is 0 is "nan" and the
# row is left out (the count goes to stderr).
function col(name,   i) { for (i = 1; i <= NF; i++) if ($i == name) return i; return 0 }
function rel(a, b) { return b > 0 ? a / b : "nan" }
BEGIN {
    FS = OFS = "\t"
    print "model", "title", "quant", "bits", "js_flops", "org_loss", "fgsm_loss", "pgd_loss", "org_rel_test", "org_rel_gen",
          "pgd_rel_test", "pgd_rel_gen"
}
FNR == 1 {
    nfile++
    for (i = 1; i <= NF; i++) C[nfile, $i] = i
    next
}
nfile == 1 { js[$C[1, "model"] SUBSEP $C[1, "title"]] = $C[1, "js_flops"]; q[$C[1, "model"] SUBSEP $C[1, "title"]] = $C[1, "quant"] "\t" $C[1, "bits"]; next }
{
    m = $C[2, "model"]; t = $C[2, "title"]
    o = $C[2, "org_acc"]; og = $C[2, "org_gen_acc"]; f = $C[2, "fgsm_acc"]; p = $C[2, "pgd_acc"]; pg = $C[2, "pgd_gen_acc"]
    if (t == "Full") { FO[m] = o; FOG[m] = og; FF[m] = f; FP[m] = p; FPG[m] = pg; next }
    if (!((m SUBSEP t) in js)) { printf "robust_input.awk: %s %s has no row in results.tsv\n", m, t > "/dev/stderr"; exit 2 }
    r1 = rel(o, FO[m]); r2 = rel(og, FOG[m]); r3 = rel(p, FP[m]); r4 = rel(pg, FPG[m]); r5 = rel(f, FF[m])
    if (r1 == "nan" || r2 == "nan" || r3 == "nan" || r4 == "nan" || r5 == "nan") { skipped++; next }
    printf "%s\t%s\t%s\t%.6g\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\n", m, t, q[m SUBSEP t], js[m SUBSEP t],
           1 - r1, 1 - r5, 1 - r3, r1, r2, r3, r4
}
END { if (skipped) printf "robust_input.awk: %d rows left out (a Full accuracy of 0)\n", skipped > "/dev/stderr" }
