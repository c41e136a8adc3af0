# robust_box.awk -- the two attack boxes side by side (spec §3.1, quirk 10).
#   awk -f robust_box.awk data/P/robust.tsv data/P/robust_box/<Model>.tsv ...
# robust.tsv (model title ..., pixel box, the profile's) gives the pixel-box rows; each
# robust_box/<Model>.tsv (title ..., normalized box) the same model's rows in the reference's box.
# Output, for the rows of the robust_box files: model title org_acc, then fgsm/pgd accuracy on
# test and pseudo images in the pixel box and in the normalized box.
function col(name,   i) { for (i = 1; i <= NF; i++) if ($i == name) return i; return 0 }
BEGIN {
    FS = OFS = "\t"
    print "model", "title", "org_acc", "fgsm_pixel", "fgsm_gen_pixel", "pgd_pixel", "pgd_gen_pixel", "fgsm_normalized",
          "fgsm_gen_normalized", "pgd_normalized", "pgd_gen_normalized"
}
FNR == 1 {
    nfile++; m = FILENAME; sub(/.*\//, "", m); sub(/[.]tsv$/, "", m)
    cm = col("model"); ct = col("title"); co = col("org_acc"); cf = col("fgsm_acc"); cfg = col("fgsm_gen_acc")
    cp = col("pgd_acc"); cpg = col("pgd_gen_acc")
    next
}
nfile == 1 { k = $cm SUBSEP $ct; P[k] = $cf "\t" $cfg "\t" $cp "\t" $cpg; O[k] = $co; next }
{
    k = m SUBSEP $ct
    if (!(k in P)) { printf "robust_box.awk: %s %s is not in robust.tsv\n", m, $ct > "/dev/stderr"; exit 2 }
    print m, $ct, O[k], P[k], $cf, $cfg, $cp, $cpg
}
