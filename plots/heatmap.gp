# heatmap.gp -- the answer at a glance: relative accuracy loss (acc_loss, in %) of every model
# (rows) in every configuration (columns, the sweep's order: INT, POT, FLOAT), each cell
# coloured by the loss and printed with it (rounded to a whole percent; negative = the quantized
# model scored higher on the test images, within their noise).
#
# Variables (gnuplot -e): fmt, out; data = the long accuracy table of reports/acc.awk (columns
# config, model, acc_loss, cfg, mdl; cfg 0 = the FP32 row, not drawn).

if (!exists("data")) data = "acc.tsv"
stats data using "mdl" nooutput
nm = int(STATS_max)
stats data using "cfg" nooutput
nc = int(STATS_max)
width = 1080
height = 190 + 28 * nm
fontsize = 12
load "plots/common.gp"

set title "Relative accuracy loss (%) per configuration and model" font ",14"
unset grid
set border 0
set tics scale 0
set xrange [0.5:nc + 0.5]
set yrange [nm + 0.5:0.5]
set xtics rotate by 90 right font ",11"
set ytics font ",12"
set cbrange [0:100]
set cbtics 20 font ",11"
set colorbox vertical user origin screen 0.955, screen 0.30 size screen 0.012, screen 0.55
set palette defined (0 "#ffffff", 10 "#fde0c5", 30 "#f59e72", 60 "#d6404e", 100 "#67001f")
set lmargin at screen 0.11
set rmargin at screen 0.945
set bmargin at screen 100.0 / height
set tmargin at screen 1 - 40.0 / height
unset key

# tic labels: the configurations (in cfg order, from the first model's rows) and the models
# (in mdl order, from the FP32 rows), as word lists
words_of(cond, name) = system("awk -F '\t' 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next } " . cond . \
    " { printf \"%s \", $h[\"" . name . "\"] }' '" . data . "'")
configs = words_of("$h[\"mdl\"] == 1 && $h[\"cfg\"] > 0", "config")
modelw = words_of("$h[\"cfg\"] == 0", "model")
set xtics ()
set ytics ()
do for [i = 1:words(configs)] { set xtics add (word(configs, i) i) }
do for [i = 1:words(modelw)] { set ytics add (word(modelw, i) i) }
# a gap between the format families: a white line before each configuration whose quant differs
# from the one before it
quants = words_of("$h[\"mdl\"] == 1 && $h[\"cfg\"] > 0", "quant")
do for [i = 2:words(quants)] {
    if (word(quants, i) ne word(quants, i - 1)) {
        set arrow from i - 0.5, graph 0 to i - 0.5, graph 1 nohead front lw 4 lc rgb "#ffffff"
    }
}

cell_loss(v) = v < 0 ? 0 : v * 100
txt(v) = sprintf("%.0f", v * 100) eq "-0" ? "0" : sprintf("%.0f", v * 100)
dark(v) = v * 100 >= 55

plot data using (column("cfg") > 0 ? column("cfg") : NaN):"mdl":(0.5):(0.5):(cell_loss(column("acc_loss"))) \
         with boxxyerror fs solid 1.0 noborder lc palette, \
     data using (column("cfg") > 0 && !dark(column("acc_loss")) ? column("cfg") : NaN):"mdl":(txt(column("acc_loss"))) \
         with labels font ",11" tc rgb "#000000", \
     data using (column("cfg") > 0 && dark(column("acc_loss")) ? column("cfg") : NaN):"mdl":(txt(column("acc_loss"))) \
         with labels font ",11" tc rgb "#ffffff"
