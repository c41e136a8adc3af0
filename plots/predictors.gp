# predictors.gp -- similarity metrics as predictors of acc_loss: the pooled leave-one-model-out
# RMSE of each metric's fit (bars coloured by tier: what computing the metric needs), its
# in-sample RMSE, and the RMSE of predicting the other models' mean (baseline, dashed), in the
# order of the report's table (reports/rank.awk: by tier, then by LOMO RMSE).
#
# Variables (gnuplot -e): fmt, out; data = the ranked predictor table.

width = 1080
height = 520
load "plots/common.gp"

set title "Similarity metrics as predictors of acc_loss (pooled fits, ordered as the table)"
set ylabel "RMSE of acc_loss"
set yrange [0:*]
set style fill solid 0.85 border -1
set boxwidth 0.4
set xtics rotate by 45 right font ",12"
set key outside top center horizontal
set bmargin 9
set xrange [-0.6:*]
set datafile columnheaders

lomo_of(t) = strcol("tier") eq t ? column("lomo_rmse") : NaN
plot data using ($0 - 0.2):(lomo_of("weight-only")):xtic(1) with boxes lc rgb "#1f77b4" \
         title "LOMO RMSE, weight-only metric", \
     data using ($0 - 0.2):(lomo_of("data-free")) with boxes lc rgb "#2ca02c" \
         title "LOMO RMSE, data-free (BN statistics, no image)", \
     data using ($0 - 0.2):(lomo_of("label-free")) with boxes lc rgb "#d62728" \
         title "LOMO RMSE, label-free (runs the quantized model)", \
     data using ($0 + 0.2):"rmse" with boxes lc rgb "#ffbb78" title "in-sample RMSE", \
     data using 0:"baseline_rmse" with lines dt 2 lw 2 lc rgb "#000000" title "baseline: mean of the other models"
