# models_fit.gp -- every model's own fit in one figure, a panel per model: acc_loss against a
# similarity column, points coloured by quantization group (INT/POT/FLOAT), the model's fitted
# curve (spec fitting-and-reports §1.5, §2.1 flops.m, §2.2 param.m).  The goodness of fit
# (R², RMSE, n) is the panel's title, outside the data; every panel has the same y range (the
# range of acc_loss over all models), so the panels compare at a glance; one legend for all.
#
# Variables (gnuplot -e): fmt, out; data = a table with columns model, quant, acc_loss and xcol
# (results.tsv); models = the models, in panel order; xcol = the x column; fit = PREFIX of
# `mta fit --by model` output; logx = 1 for a logarithmic x axis (points with x <= 0 are left
# out, and the title says how many).

if (!exists("logx")) logx = 0
ncols = words(models) < 3 ? words(models) : 3
nrows = (words(models) + ncols - 1) / ncols
width = 1080
height = 70 + 300 * nrows
load "plots/common.gp"
load "plots/palette.gp"

stats data using "acc_loss" nooutput
ylo = STATS_min < -0.05 ? STATS_min - 0.05 : -0.05
yhi = STATS_max + 0.05
if (logx) {
    stats data using (column(xcol) <= 0 ? 1 : 0) nooutput
    nzero = int(STATS_sum)
}
fam = cell(fit.".coef.tsv", "ALL", "family")
deg = cell(fit.".coef.tsv", "ALL", "degree") + 0
famname = fam eq "rational" ? sprintf("rational P%d/Q%d", deg, deg) : sprintf("%s degree %d", fam, deg)

# the figure's title at the top left, the one legend in the right margin
set label 99 sprintf("Per-model fits: acc_loss vs %s%s, %s%s", xcol, logx ? " (log x)" : "", famname, \
    logx && nzero ? sprintf("; %d points with %s = 0 not drawn", nzero, xcol) : "") \
    at screen 0.01, screen 1 - 20.0 / height left font ",13"
set multiplot layout nrows, ncols margins 0.07, 0.87, 55.0 / height, 1 - 70.0 / height spacing 0.07, 0.12
# the one legend, drawn in the right margin next to the first row (a key per panel would repeat it)
ky(i) = 1 - (80.0 + 24 * i) / height
do for [i = 1:words(group_names)] {
    set label 100 + i word(group_names, i) at screen 0.895, screen ky(i) left point pt 7 ps 1.1 \
        lc rgb group_color(word(group_names, i)) offset 1.2, 0
}
set label 104 fit_title(fit, "ALL") at screen 0.915, screen ky(4) left offset 0.2, 0
set arrow 1 from screen 0.885, screen ky(4) to screen 0.91, screen ky(4) nohead lw 2 lc rgb fit_color
set yrange [ylo:yhi]
if (logx) { set logscale x; set format x "1e%T"; set xtics 100 } else { set format x "%g"; set xtics autofreq }
set xtics font ",11"
set ytics font ",11"
unset key
do for [k = 1:words(models)] {
    m = word(models, k)
    ok = fit_ok(fit, m)
    set title (ok ? sprintf("%s: R² %.3f, RMSE %.3f", m, cell(fit.".coef.tsv", m, "r2") + 0, \
        cell(fit.".coef.tsv", m, "rmse") + 0) : m . ": fit failed") font ",12"
    if (k == 2) { unset label 99; unset label 101; unset label 102; unset label 103; unset label 104; unset arrow 1 }
    set ylabel ((k - 1) % ncols == 0 ? "acc_loss" : "")
    set xlabel ((k - 1) / ncols == nrows - 1 ? xcol : "")
    in_group(g) = strcol("model") eq m && strcol("quant") eq g && (!logx || column(xcol) > 0)
    plot for [g in group_names] data using (in_group(g) ? column(xcol) : NaN):"acc_loss" \
             with points pt 7 ps 0.9 lc rgb group_color(g) title g, \
         fit.".curve.tsv" using (strcol(1) eq m && (!logx || $2 > 0) ? $2 : NaN):3 \
             with lines lw 2 lc rgb fit_color title fit_title(fit, m)
}
unset multiplot
