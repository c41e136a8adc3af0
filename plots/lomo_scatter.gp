# lomo_scatter.gp -- predicted against observed acc_loss when each model is left out of the fit
# and predicted by the curve fitted on the others: one panel per predictor (the reference's
# js_flops, then the best metric of each tier; reports/lomo_scatter.awk), a point per (model,
# configuration) in the model's colour, the diagonal y = x (a perfect prediction) and the
# panel's LOMO RMSE with that of predicting the other models' mean.
#
# Variables (gnuplot -e): fmt, out; data = the table of reports/lomo_scatter.awk.

width = 1080
height = 430
load "plots/common.gp"
load "plots/palette.gp"

stats data using "panel" nooutput
np = int(STATS_max)
stats data using "observed" nooutput
lo = STATS_min < -0.05 ? STATS_min - 0.05 : -0.05
hi = STATS_max + 0.05
mnames = system("awk -F '\t' 'NR > 1 && !s[$7]++ { printf \"%s \", $7 }' '" . data . "'")
ptitle(p) = system(sprintf("awk -F '\t' '$1 == %d { print $2; exit }' '%s'", p, data))
pstat(p) = system(sprintf("awk -F '\t' '$1 == %d { printf \"LOMO RMSE %%.3f (baseline %%.3f)\", $5, $6; exit }' '%s'", p, data))

set label 98 "Leave one model out: predicted against observed acc_loss" at screen 0.01, screen 0.96 left font ",14"
set multiplot layout 1, np margins 0.06, 0.84, 0.15, 0.80 spacing 0.06, 0
set xrange [lo:hi]
set yrange [lo:hi]
set size ratio -1
unset key
do for [p = 1:np] {
    set title ptitle(p) . "\n" . pstat(p) font ",12"
    set xlabel "observed acc_loss"
    set ylabel (p == 1 ? "predicted acc_loss" : "")
    if (p == 1) {
        do for [k = 1:words(mnames)] {
            m = word(mnames, k)
            set label 100 + k m at screen 0.865, screen 0.80 - 0.075 * k left point pt model_pt(m) ps 1.1 \
                lc rgb model_color(m) offset 1.2, 0 font ",12"
        }
    }
    if (p == 2) { do for [k = 1:words(mnames)] { unset label 100 + k }; unset label 98 }
    plot x with lines dt 2 lc rgb "#777777", \
         for [k = 1:words(mnames)] data using (column("panel") == p && strcol("model") eq word(mnames, k) ? \
             column("observed") : NaN):"predicted" with points pt model_pt(word(mnames, k)) ps 0.7 \
             lc rgb model_color(word(mnames, k))
}
unset multiplot
