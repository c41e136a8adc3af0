# pca.gp -- PCA of a classifier's penultimate features (spec §4.1): real test images, pseudo
# images of the plain (training-only) generator and of the adjusted one, projected on the test
# features' two leading principal components (PC1 on x), one colour per label (the true label
# for test images, the sampled one for generated images), the same axes in all three panels.
#
# Variables (gnuplot -e): fmt, out; data = `mta features` output; settings = its settings table.

width = 1080
height = 430
load "plots/common.gp"
array lab_rgb[10] = [0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf]
stats data using "pc1" nooutput
xlo = STATS_min; xhi = STATS_max
stats data using "pc2" nooutput
ylo = STATS_min; yhi = STATS_max
model = cell(settings, "model", "value")
set label 99 sprintf("%s: penultimate features on the test features' principal components (PC1 %.0f %%, PC2 %.0f %% of the variance)", \
    model, 100 * cell(settings, "pc1_share", "value"), 100 * cell(settings, "pc2_share", "value")) \
    at screen 0.01, screen 0.96 left font ",13"
set multiplot layout 1, 3 margins 0.05, 0.99, 0.12, 0.84 spacing 0.04, 0
set xrange [xlo:xhi]
set yrange [ylo:yhi]
set format x ""
set format y ""
unset key
srcs = "test plain adjusted"
do for [p = 1:3] {
    s = word(srcs, p)
    set title sprintf("%s (%d points)", s eq "test" ? "test images" : s . " generator", \
        int(system(sprintf("awk -F '\t' '$1 == \"%s\"' '%s' | wc -l", s, data)))) font ",12"
    set xlabel "PC1"
    set ylabel (p == 1 ? "PC2" : "")
    if (p == 2) { unset label 99 }
    plot for [c = 0:9] data using (strcol("source") eq s && column("label") == c ? column("pc1") : NaN):"pc2" \
        with points pt 2 ps 0.35 lc rgb sprintf("#%06x", lab_rgb[c + 1])
}
unset multiplot
