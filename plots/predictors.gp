# predictors.gp -- similarity metrics as predictors of acc_loss: the pooled leave-one-model-out
# RMSE of each metric's fit next to the RMSE of predicting the other models' mean (baseline)
# and the in-sample RMSE (data/<profile>/fit/predictors.tsv, one row per metric).
#
# Variables (gnuplot -e): fmt, out; data = predictors.tsv.

if (!exists("width")) width = 1000
load "plots/common.gp"

set title "Similarity metrics as predictors of acc_loss (pooled fits)"
set ylabel "RMSE of acc_loss"
set yrange [0:*]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by 45 right
set key outside top center horizontal
set bmargin 9

# the baseline (predict the mean acc_loss of the other models) is the same for every metric:
# drawn as a line across the clusters (cluster i sits at x = i)
plot data using "lomo_rmse":xtic(1) lc rgb "#1f77b4" title "leave-one-model-out RMSE", \
     data using "rmse" lc rgb "#ff7f0e" title "in-sample RMSE", \
     data using 0:"baseline_rmse" with lines dt 2 lw 2 lc rgb "#000000" title "baseline: mean of the other models"
