# pooled.gp -- all models pooled: acc_loss against a similarity column, one colour and point
# type per model (plots/palette.gp) with the legend in stacking order, one fitted curve, and --
# in the right margin, outside the data -- its goodness of fit plus the leave-one-model-out
# error (spec §1.5, §2.4 flops_all.m; the reference's legend bug of §2.4 cannot happen: the
# legend is the list that drives the plot, and it names only what is drawn).
#
# Variables (gnuplot -e): fmt, out; data = a table with columns model, acc_loss and xcol;
# models = the models in stacking order; xcol; fit = PREFIX of `mta fit --by model` output
# (its pooled row is "ALL"); logx = 1 for a logarithmic x axis (points with x <= 0 are left
# out, and the title says how many).

load "plots/common.gp"
load "plots/palette.gp"
if (!exists("logx")) logx = 0

fam = cell(fit.".coef.tsv", "ALL", "family")
deg = cell(fit.".coef.tsv", "ALL", "degree") + 0
famname = fam eq "rational" ? sprintf("rational P%d/Q%d", deg, deg) : sprintf("%s degree %d", fam, deg)
nzero = 0
if (logx) {
    stats data using (column(xcol) <= 0 ? 1 : 0) nooutput
    nzero = int(STATS_sum)
}
set title sprintf("%d models pooled: acc_loss vs %s%s, %s fit%s", words(models), xcol, logx ? " (log x)" : "", \
    famname, nzero ? sprintf(" (%d points with %s = 0 not drawn)", nzero, xcol) : "")
set xlabel xcol
set ylabel "acc_loss"
set rmargin at screen 0.78
set key at screen 0.80, screen 0.90 left top Left reverse samplen 1.5
if (logx) { set logscale x; set format x "1e%T" }
lomo = cell(fit.".coef.tsv", "ALL", "lomo_rmse")
set label 1 fit_block(fit, "ALL") . sprintf("\n LOMO RMSE:%.4f\n (mean only:%.4f)", lomo + 0, \
    cell(fit.".coef.tsv", "ALL", "baseline_rmse") + 0) at screen 0.80, screen 0.34 left front font ",12"

xval(m) = strcol("model") eq m && (!logx || column(xcol) > 0) ? column(xcol) : NaN

plot for [m in models] data using (xval(m)):"acc_loss" \
         with points pt model_pt(m) ps 1.1 lc rgb model_color(m) title m, \
     fit.".curve.tsv" using (strcol(1) eq "ALL" && (!logx || $2 > 0) ? $2 : NaN):3 \
         with lines lw 2 lc rgb fit_color title fit_title(fit, "ALL")
