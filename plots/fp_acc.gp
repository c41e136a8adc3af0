# fp_acc.gp -- full-precision test accuracy per model (a point in the model's colour with ± 1
# binomial standard error from the number of test images, the value printed above it); the
# ALL/README.md "train full-precision models" table as a figure.  The y axis spans the data,
# not 0-100 %, so that differences of a point are visible.
#
# Variables (gnuplot -e): fmt, out; data = train_summary.tsv (columns model, test_acc,
# test_images).

width = 520
height = 420
load "plots/common.gp"
load "plots/palette.gp"

se(p, n) = 100 * sqrt(p / 100 * (1 - p / 100) / n)
stats data using "test_acc" nooutput
set yrange [floor(STATS_min - 2):ceil(STATS_max + 1.5)]
set title "Full-precision test accuracy (± 1 s.e.)"
set ylabel "test accuracy (%)"
set xtics rotate by -40 left font ",12"
set xrange [-0.6:STATS_records - 0.4]
set bmargin 6
unset key

model_rgb_int(m) = word_index(model_names, m) ? model_rgb[word_index(model_names, m)] : 0

plot data using 0:"test_acc":(se(column("test_acc"), column("test_images"))):(model_rgb_int(strcol("model"))):xtic(1) \
         with yerrorbars pt 7 ps 1.3 lc rgb variable, \
     data using 0:"test_acc":(sprintf("%.2f", column("test_acc"))) with labels offset 0, 1.3 font ",11"
