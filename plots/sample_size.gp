# sample_size.gp -- how many unlabelled images the label-free predictors need: the RMSE of
# predicting a held-out model's acc_loss against the number N of images the metric is computed
# on (log scale), mean over the disjoint draws with ± 1 standard deviation bars
# (data/<profile>/fit/sample_size/summary.tsv): the label-free tier's nested choice and each
# metric's fixed rational curve (plain LOMO); the noise floor (dotted) and the nested RMSE
# with the sweep's own calibration images (diamond, at their number).
#
# Variables (gnuplot -e): fmt, out; data = the summary table; floor = the noise floor's RMS s.e.;
# sweep = the sweep's label-free nested RMSE; ncal = its calibration images.

width = 1080
height = 460
load "plots/common.gp"

set datafile columnheaders
preds = system("awk -F '\t' 'NR > 1 && !s[$2]++ { printf \"%s \", $2 }' '" . data . "'")
label_of(p) = p eq "nested" ? "nested LOMO choice (label-free, curves)" : p . " (rational curve, LOMO)"
color_of(p) = p eq "nested" ? "#000000" : p eq "agree_top1" ? "#d62728" : p eq "kl_fp_q" ? "#1f77b4" : "#2ca02c"
# each series a little to the side of the others, so that the bars do not overlap
shift(k) = 2 ** ((k - (words(preds) + 1) / 2.0) * 0.06)

set title "Label-free predictors: error against the number of unlabelled images (mean ± 1 s.d. over draws)"
set logscale x 2
set logscale y 10
set xlabel "unlabelled images N the metric is computed on"
set ylabel "RMSE of a held-out model's acc_loss"
set key outside right top vertical
set rmargin 44
stats data using "n" nooutput
set xrange [STATS_min / 1.6:STATS_max * 1.6]
set format y "%.2f"
set ytics (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
# one predictor's rows, in size order (so that its points are joined by a line)
rows(p) = sprintf("< awk -F '\t' 'NR == 1 || $2 == \"%s\"' '%s'", p, data)
plot for [k = 1:words(preds)] rows(word(preds, k)) using ($1 * shift(k)):"mean_rmse":"sd_rmse" \
         with yerrorlines lw 2 pt 7 ps 0.8 lc rgb color_of(word(preds, k)) title label_of(word(preds, k)), \
     floor with lines dt 3 lw 2 lc rgb "#777777" title sprintf("noise floor (RMS s.e. %.4f)", floor), \
     "+" using (ncal):(sweep) every ::0::0 with points pt 13 ps 1.6 lc rgb "#000000" \
         title sprintf("nested, the sweep's %d calibration images", ncal)
