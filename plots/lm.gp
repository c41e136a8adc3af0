# lm.gp -- the language-model study (issue 14; the reference's MatLabScript/flops_lstm.m):
# ppl_ratio = ptq_ppl / full_ppl of every configuration against a similarity column, one
# colour per quantization type (INT/POT/FLOAT, plots/palette.gp), with the pooled rational
# fit (`mta fit --by quant`: its "ALL" row) and, in the right margin, its goodness of fit and
# the leave-one-format-out error.  logy = 1 draws ppl_ratio on a log axis (INT_2 is ~10-50x).
#
# Variables (gnuplot -e): fmt, out; data = the LM sweep table (columns quant, ppl_ratio, xcol);
# xcol; fit = PREFIX of the mta fit output; logy.

load "plots/common.gp"
load "plots/palette.gp"
if (!exists("logy")) logy = 0

deg = cell(fit.".coef.tsv", "ALL", "degree") + 0
set title sprintf("Language model: ppl ratio vs %s, rational P%d/Q%d fit over all %d configurations", xcol, deg, deg, \
    cell(fit.".coef.tsv", "ALL", "n") + 0)
set xlabel xcol
set ylabel "ppl_ratio = ptq_ppl / full_ppl"
if (logy) { set logscale y }
set rmargin at screen 0.78
set key at screen 0.80, screen 0.90 left top Left reverse samplen 1.5
lofo = cell(fit.".coef.tsv", "ALL", "lomo_rmse")
set label 1 fit_block(fit, "ALL") . sprintf("\n leave-one-format-out\n RMSE:%.4f\n (mean only:%.4f)", lofo + 0, \
    cell(fit.".coef.tsv", "ALL", "baseline_rmse") + 0) at screen 0.80, screen 0.40 left front font ",12"

yval(g) = strcol("quant") eq g ? column("ppl_ratio") : NaN

plot for [g in group_names] data using xcol:(yval(g)) with points pt 7 ps 1.2 lc rgb group_color(g) title g, \
     fit.".curve.tsv" using (strcol(1) eq "ALL" ? $2 : NaN):3 with lines lw 2 lc rgb fit_color title fit_title(fit, "ALL")
