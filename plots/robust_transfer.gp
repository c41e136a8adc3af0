# robust_transfer.gp -- does pseudo data predict the test set (spec §3.5, in points rather than
# ratios: a Full PGD accuracy near 0 makes ratios noise)?  Two panels, clean and PGD: a point per
# (model, configuration) at (accuracy on the adjusted generator's pseudo images, accuracy on the
# test images), in the model's colour; the pooled straight-line fit (fit/robust/<v>_abs) and the
# diagonal y = x (pseudo data predicting exactly).
#
# Variables (gnuplot -e): fmt, out; data = fit/robust/input.tsv; fit = its folder; models.

width = 1080
height = 470
load "plots/common.gp"
load "plots/palette.gp"

set multiplot layout 1, 2 margins 0.07, 0.84, 0.13, 0.86 spacing 0.08, 0
set size ratio -1
set xrange [0:100]
set yrange [0:100]
unset key
what = "org pgd"
label(w) = w eq "org" ? "clean" : "PGD"
do for [p = 1:2] {
    w = word(what, p)
    pre = fit . "/" . w . "_abs"
    set title sprintf("%s: pooled line R² %.2f, LOMO RMSE %.1f (mean %.1f) points", label(w), \
        cell(pre . ".coef.tsv", "ALL", "r2") + 0, cell(pre . ".coef.tsv", "ALL", "lomo_rmse") + 0, \
        cell(pre . ".coef.tsv", "ALL", "baseline_rmse") + 0) font ",12"
    set xlabel "accuracy on pseudo images (%)"
    set ylabel (p == 1 ? "accuracy on test images (%)" : "")
    if (p == 1) {
        do for [k = 1:words(models)] {
            m = word(models, k)
            set label 100 + k m at screen 0.865, screen 0.86 - 0.07 * k left point pt model_pt(m) ps 1.1 \
                lc rgb model_color(m) offset 1.2, 0 font ",12"
        }
    }
    if (p == 2) { do for [k = 1:words(models)] { unset label 100 + k } }
    plot x with lines dt 2 lc rgb "#999999", \
         for [k = 1:words(models)] data using (strcol("model") eq word(models, k) ? column(w . "_gen_acc") : NaN):(column(w . "_acc")) \
             with points pt model_pt(word(models, k)) ps 0.7 lc rgb model_color(word(models, k)), \
         pre . ".curve.tsv" using (strcol(1) eq "ALL" ? $2 : NaN):3 with lines lw 2 lc rgb fit_color
}
unset multiplot
