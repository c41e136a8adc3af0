# train_curves.gp -- validation accuracy per epoch of every model (training logs
# data/<profile>/train/<Model>.tsv, columns epoch and val_acc), one colour per model, with
# ± 1 binomial standard error from the number of validation images (the training summary's
# val_images; no bars when the summary does not record it).
#
# Variables (gnuplot -e): fmt, out; dir = the folder of the logs; models = model list;
# summary = train_summary.tsv.

width = 520
height = 460
load "plots/common.gp"
load "plots/palette.gp"

set title "Training: validation accuracy per epoch (± 1 s.e.)"
nval(m) = exists("summary") ? cell(summary, m, "val_images") + 0 : 0
se(p, n) = n > 0 ? 100 * sqrt(p / 100 * (1 - p / 100) / n) : 0
set xlabel "epoch"
set ylabel "validation accuracy (%)"
set key outside bottom center horizontal maxcols 3 font ",11" samplen 1.5 height 1
set bmargin 8
# integer epochs: one tic per epoch for short runs
maxep = 1
do for [m in models] {
    stats sprintf("%s/%s.tsv", dir, m) using "epoch" nooutput
    if (STATS_max > maxep) { maxep = STATS_max }
}
if (maxep <= 20) { set xtics 1 } else { set xtics autofreq; set format x "%.0f" }
set offsets 0.2, 0.2, 0, 0

plot for [m in models] sprintf("%s/%s.tsv", dir, m) using "epoch":"val_acc":(se(column("val_acc"), nval(m))) \
         with yerrorlines lw 2 pt model_pt(m) ps 1.2 lc rgb model_color(m) title m
