# model_fit.gp -- one model: acc_loss against a similarity column, points coloured by
# quantization group (INT/POT/FLOAT), the fitted curve over the data's x range and the
# goodness-of-fit block (spec fitting-and-reports §1.5, §2.1 flops.m, §2.2 param.m).
#
# Variables (gnuplot -e): fmt, out; data = a table with columns model, quant, acc_loss and xcol
# (results.tsv); model; xcol = the x column; fit = PREFIX of `mta fit --by model` output.

load "plots/common.gp"
load "plots/palette.gp"

set title sprintf("%s: acc_loss vs %s", model, xcol)
set xlabel xcol
set ylabel "acc_loss"
set key outside right top
set label 1 fit_block(fit, model) at graph 0.65, 0.2 left front font ",11"

in_group(g) = strcol("model") eq model && strcol("quant") eq g

plot for [g in group_names] data using (in_group(g) ? column(xcol) : NaN):"acc_loss" \
         with points pt 7 ps 1.2 lc rgb group_color(g) title g, \
     data using (strcol("model") eq model ? column(xcol) : NaN):"acc_loss" \
         with points pt 7 ps 0.35 lc rgb all_color title "ALL", \
     fit.".curve.tsv" using (strcol(1) eq model ? $2 : NaN):3 \
         with lines lw 2 lc rgb fit_color title fit_title(fit, model)
