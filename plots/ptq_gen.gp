# ptq_gen.gp -- data-free PTQ: the PTQ accuracy after calibration on the adjusted generator's
# images against the one after calibration on training images, a point per (model,
# configuration) in the model's colour, the diagonal y = x (no change).
#
# Variables (gnuplot -e): fmt, out; data = ptq_gen.tsv; models.

width = 520
height = 470
load "plots/common.gp"
load "plots/palette.gp"
set size ratio -1
set xrange [0:100]
set yrange [0:100]
set xtics 0, 20, 100
set ytics 0, 20, 100
set xlabel "PTQ accuracy, real calibration (%)"
set ylabel "PTQ accuracy, generated calibration (%)"
set key top left font ",11" spacing 0.9
plot x with lines dt 2 lc rgb "#999999" notitle, \
     for [k = 1:words(models)] data using (strcol("model") eq word(models, k) ? column("ptq_acc_real") : NaN):"ptq_acc_gen" \
         with points pt model_pt(word(models, k)) ps 0.7 lc rgb model_color(word(models, k)) title word(models, k)
