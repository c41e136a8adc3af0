# nested_scatter.gp -- predicted against observed acc_loss under nested leave-one-model-out:
# each model predicted by the predictor chosen on the other models alone, one panel per
# information tier (reports/nested_scatter.awk), the model's colour, the format's marker
# (INT circle, POT square, FLOAT triangle), the diagonal y = x (a perfect prediction) and the
# panel's nested RMSE with its bootstrap interval over models.
#
# Variables (gnuplot -e): fmt, out; data = the table of reports/nested_scatter.awk.

width = 1080
height = 470
load "plots/common.gp"
load "plots/palette.gp"

stats data using "panel" nooutput
np = int(STATS_max)
stats data using "observed" nooutput
lo = STATS_min < -0.05 ? STATS_min - 0.05 : -0.05
hi = STATS_max + 0.05
mnames = system("awk -F '\t' 'NR > 1 && !s[$6]++ { printf \"%s \", $6 }' '" . data . "'")
ptitle(p) = system(sprintf("awk -F '\t' '$1 == %d { printf \"%%s: nested RMSE %%.3f [%%.3f, %%.3f]\", $2, $3, $4, $5; exit }' '%s'", p, data))
quant_pt(q) = q eq "INT" ? 7 : q eq "POT" ? 5 : 9
qnames = "INT POT FLOAT"

set label 98 "Nested leave one model out: predicted against observed acc_loss" at screen 0.01, screen 0.96 left font ",14"
set multiplot layout 1, np margins 0.07, 0.82, 0.14, 0.82 spacing 0.07, 0
set xrange [lo:hi]
set yrange [lo:hi]
set size ratio -1
unset key
do for [p = 1:np] {
    set title ptitle(p) font ",12"
    set xlabel "observed acc_loss"
    set ylabel (p == 1 ? "predicted acc_loss" : "")
    if (p == 1) {
        do for [k = 1:words(mnames)] {
            m = word(mnames, k)
            set label 100 + k m at screen 0.845, screen 0.82 - 0.06 * k left point pt 7 ps 1.1 \
                lc rgb model_color(m) offset 1.2, 0 font ",11"
        }
        do for [k = 1:3] {
            set label 120 + k word(qnames, k) at screen 0.845, screen 0.22 - 0.05 * k left point pt quant_pt(word(qnames, k)) ps 1.1 \
                lc rgb "#444444" offset 1.2, 0 font ",11"
        }
    }
    if (p == 2) { do for [k = 1:words(mnames)] { unset label 100 + k }; do for [k = 1:3] { unset label 120 + k }; unset label 98 }
    plot x with lines dt 2 lc rgb "#777777", \
         for [k = 1:words(mnames)] for [q = 1:3] data using (column("panel") == p && strcol("model") eq word(mnames, k) && \
             strcol("quant") eq word(qnames, q) ? column("observed") : NaN):"predicted" with points \
             pt quant_pt(word(qnames, q)) ps 0.6 lc rgb model_color(word(mnames, k))
}
unset multiplot
