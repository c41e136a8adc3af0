# layer_sqnr.gp -- the analytic noise model per layer: each conv/linear layer's predicted output
# SQNR (the noise-to-signal ratios added up to that layer) against the SQNR measured in the
# quantized network calibrated as the sweep does, a panel per configuration, the model's colour,
# the diagonal (a perfect prediction; below it the model is optimistic) and the panel's median
# of measured - predicted (reports/layer_sqnr.awk).
#
# Variables (gnuplot -e): fmt, out; data = the points table; summary = the summary table.

width = 1080
height = 330
load "plots/common.gp"
load "plots/palette.gp"

stats data using "panel" nooutput
np = int(STATS_max)
stats data using "predicted" nooutput
plo = STATS_min; phi = STATS_max
stats data using "measured" nooutput
lo = (STATS_min < plo ? STATS_min : plo) - 2
hi = (STATS_max > phi ? STATS_max : phi) + 2
mnames = system("awk -F '\t' 'NR > 1 && !s[$3]++ { printf \"%s \", $3 }' '" . data . "'")
cfg(p) = system(sprintf("awk -F '\t' '$1 == %d { printf \"%%s\", $2; exit }' '%s'", p, data))
ptitle(p) = sprintf("%s: median %+.1f dB", cfg(p), cell(summary, cfg(p), "median_diff_db") + 0)

set label 98 "Noise model per layer: predicted against measured output SQNR (dB)" at screen 0.01, screen 0.95 left font ",14"
set multiplot layout 1, np margins 0.06, 0.84, 0.17, 0.84 spacing 0.035, 0
set xrange [lo:hi]
set yrange [lo:hi]
set size ratio -1
unset key
do for [p = 1:np] {
    set title ptitle(p) font ",12"
    set xlabel "predicted"
    set ylabel (p == 1 ? "measured" : "")
    if (p == 1) {
        do for [k = 1:words(mnames)] {
            m = word(mnames, k)
            set label 100 + k m at screen 0.875, screen 0.86 - 0.075 * k left point pt 7 ps 1.1 \
                lc rgb model_color(m) offset 1.2, 0 font ",11"
        }
    }
    if (p == 2) { do for [k = 1:words(mnames)] { unset label 100 + k }; unset label 98 }
    plot x with lines dt 2 lc rgb "#777777", \
         for [k = 1:words(mnames)] data using (column("panel") == p && strcol("model") eq word(mnames, k) ? \
             column("predicted") : NaN):"measured" with points pt 7 ps 0.45 lc rgb model_color(word(mnames, k))
}
unset multiplot
