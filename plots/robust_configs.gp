# robust_configs.gp -- robust accuracy against the configuration, a panel per model: clean,
# FGSM and PGD accuracy on the real test images (solid) and on the adjusted generator's pseudo
# images (dashed), Full first, then the configurations in spec order (spec §4, "robust accuracy
# vs config per model").  One legend in the right margin; every panel 0..100 %.
#
# Variables (gnuplot -e): fmt, out; data = reports/robust_plot.awk's table; models = panel order.

ncols = words(models) < 3 ? words(models) : 3
nrows = (words(models) + ncols - 1) / ncols
width = 1080
height = 90 + 300 * nrows
load "plots/common.gp"

# Each model's rows are contiguous: plot only them (every), so that no tic is added at an
# undefined position for another model's rows (the ranges are found before any axis range is set).
array r0[words(models)]
array r1[words(models)]
do for [k = 1:words(models)] {
    stats data using (strcol("model") eq word(models, k) ? column("row") : NaN) nooutput
    r0[k] = int(STATS_min); r1[k] = int(STATS_max)
}

series = "org_acc fgsm_acc pgd_acc org_gen_acc fgsm_gen_acc pgd_gen_acc"
names = "clean FGSM PGD"
array rgb[3] = ["#222222", "#e69f00", "#d62728"]
set label 99 "Robust accuracy per configuration: test images (solid) and pseudo images of the adjusted generator (dashed)" \
    at screen 0.01, screen 1 - 20.0 / height left font ",13"
set multiplot layout nrows, ncols margins 0.07, 0.84, 90.0 / height, 1 - 70.0 / height spacing 0.07, 0.16
ky(i) = 1 - (80.0 + 24 * i) / height
do for [i = 1:3] {
    set label 100 + i word(names, i) . " test" at screen 0.885, screen ky(2 * i - 1) left
    set arrow 100 + i from screen 0.855, screen ky(2 * i - 1) to screen 0.88, screen ky(2 * i - 1) nohead lw 2 lc rgb rgb[i]
    set label 110 + i word(names, i) . " pseudo" at screen 0.885, screen ky(2 * i) left
    set arrow 110 + i from screen 0.855, screen ky(2 * i) to screen 0.88, screen ky(2 * i) nohead lw 2 dt 2 lc rgb rgb[i]
}
set yrange [0:100]
set ytics 0, 25, 100 font ",11"
set xtics rotate by 45 right font ",11"
unset key
do for [k = 1:words(models)] {
    m = word(models, k)
    set title m font ",12"
    if (k == 2) { unset label 99; do for [i = 1:3] { unset label 100 + i; unset arrow 100 + i; unset label 110 + i; unset arrow 110 + i } }
    set ylabel ((k - 1) % ncols == 0 ? "accuracy (%)" : "")
    plot for [s = 1:6] data every ::r0[k]::r1[k] using "idx":(column(word(series, s))):xtic(strcol("lab")) \
        with linespoints pt 7 ps 0.35 lw 1.5 dt 1 + (s > 3) lc rgb rgb[(s - 1) % 3 + 1]
}
unset multiplot
