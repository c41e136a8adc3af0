# fp_acc.gp -- full-precision test accuracy per model (bars in the model's colour), with the
# value above each bar; the ALL/README.md "train full-precision models" table as a figure.
#
# Variables (gnuplot -e): fmt, out; data = train_summary.tsv (columns model, test_acc).

load "plots/common.gp"
load "plots/palette.gp"

set title "Full-precision test accuracy"
set ylabel "test accuracy (%)"
set yrange [0:105]
set xtics rotate by -30 left
set boxwidth 0.7
set style fill solid 0.85 border -1
unset key

model_rgb_int(m) = word_index(model_names, m) ? model_rgb[word_index(model_names, m)] : 0

plot data using 0:"test_acc":(model_rgb_int(strcol("model"))):xtic(1) with boxes lc rgb variable, \
     data using 0:"test_acc":(sprintf("%.2f", column("test_acc"))) with labels offset 0, 0.8
