# pooled.gp -- all models pooled: acc_loss against a similarity column, one colour and point
# type per model (plots/palette.gp) with the legend in stacking order, one fitted curve and its
# goodness-of-fit block plus the leave-one-model-out error (spec §1.5, §2.4 flops_all.m; the
# reference's legend bug of §2.4 cannot happen: the legend is the list that drives the plot).
#
# Variables (gnuplot -e): fmt, out; data = a table with columns model, acc_loss and xcol;
# models = the models in stacking order; xcol; fit = PREFIX of `mta fit --by model` output
# (its pooled row is "ALL"); logx = 1 for a logarithmic x axis (points with x <= 0 are left out).

load "plots/common.gp"
load "plots/palette.gp"
if (!exists("logx")) logx = 0

set title sprintf("%d models pooled: acc_loss vs %s%s", words(models), xcol, logx ? " (log x)" : "")
set xlabel xcol
set ylabel "acc_loss"
set key outside right top
if (logx) { set logscale x; set format x "1e%T" }
lomo = cell(fit.".coef.tsv", "ALL", "lomo_rmse")
set label 1 fit_block(fit, "ALL") . sprintf("\n LOMO RMSE:%.4f\n (mean only:%.4f)", lomo + 0, \
    cell(fit.".coef.tsv", "ALL", "baseline_rmse") + 0) left front font ",11"
if (logx) { set label 1 at graph 0.03, 0.95 } else { set label 1 at graph 0.65, 0.25 }

xval(m) = (m eq "" || strcol("model") eq m) && (!logx || column(xcol) > 0) ? column(xcol) : NaN

plot for [m in models] data using (xval(m)):"acc_loss" \
         with points pt model_pt(m) ps 1.1 lc rgb model_color(m) title m, \
     data using (xval("")):"acc_loss" with points pt 7 ps 0.3 lc rgb all_color title "ALL", \
     fit.".curve.tsv" using (strcol(1) eq "ALL" && (!logx || $2 > 0) ? $2 : NaN):3 \
         with lines lw 2 lc rgb fit_color title fit_title(fit, "ALL")
