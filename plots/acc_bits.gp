# acc_bits.gp -- accuracy against bit width, one panel per scheme (INT, POT, FLOAT at each
# model's best exponent), a line per model with ± 1 standard error bars (binomial, from the
# number of test images; the models are spread slightly along x so that the bars do not hide
# each other) and the majority-class floor (dashed: a model that always answers the most
# frequent class scores this much).
#
# Variables (gnuplot -e): fmt, out; data = the table of reports/acc_bits.awk.

width = 1080
height = 440
load "plots/common.gp"
load "plots/palette.gp"

stats data using "mdl" nooutput
nm = int(STATS_max)
stats data using "majority_pct" nooutput
floor = STATS_max
mnames = system("awk -F '\t' 'NR > 1 && !s[$3]++ { printf \"%s \", $3 }' '" . data . "'")

set label 98 "Test accuracy against bit width (± 1 standard error)" at screen 0.01, screen 0.96 left font ",14"
set multiplot layout 1, 3 margins 0.06, 0.83, 0.13, 0.84 spacing 0.05, 0
set yrange [0:100]
set ytics 20
set mxtics 1
unset key
jit(m) = (m - (nm + 1) / 2.0) * 0.05
do for [p = 1:3] {
    q = word("INT POT FLOAT", p)
    set title (q eq "FLOAT" ? "FLOAT (best exponent per model)" : q) font ",13"
    set xlabel "bits"
    set ylabel (p == 1 ? "test accuracy (%)" : "")
    set format y (p == 1 ? "%g" : "")
    stats data using (strcol("scheme") eq q ? column("bits") : NaN) nooutput
    set xrange [STATS_min - 0.5:STATS_max + 0.5]
    xstep = STATS_max - STATS_min > 8 ? 2 : 1
    set xtics xstep font ",11"
    if (p == 1) {
        do for [k = 1:words(mnames)] {
            m = word(mnames, k)
            set label 100 + k m at screen 0.845, screen 0.84 - 0.06 * k left point pt model_pt(m) ps 1.1 \
                lc rgb model_color(m) offset 1.2, 0 font ",12"
        }
        set label 99 "majority class" at screen 0.872, screen 0.84 - 0.06 * (words(mnames) + 1) left font ",12"
        set arrow 99 from screen 0.838, screen 0.84 - 0.06 * (words(mnames) + 1) \
            to screen 0.862, screen 0.84 - 0.06 * (words(mnames) + 1) nohead dt 2 lw 1.5 lc rgb "#555555"
    }
    if (p == 2) { do for [k = 1:words(mnames)] { unset label 100 + k }; unset label 99; unset label 98; unset arrow 99 }
    plot floor with lines dt 2 lw 1.5 lc rgb "#555555", \
         for [k = 1:words(mnames)] data using (strcol("scheme") eq q && strcol("model") eq word(mnames, k) ? \
             column("bits") + jit(column("mdl")) : NaN):"ptq_acc":"se" \
             with yerrorlines pt model_pt(word(mnames, k)) ps 0.8 lw 1.2 lc rgb model_color(word(mnames, k))
}
unset multiplot
