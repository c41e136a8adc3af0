# adv_images.gp -- adversarial examples of a trained model in pixel space (spec §4.2, quirk 16
# fixed: the trained network in eval mode, attacked with the profile's PGD in the pixel box):
# for each of the first test images, the image (top), its adversarial version (middle) and the
# perturbation (bottom, x_adv - x, grey 0 in the middle, scaled to +-eps), with the true class and
# the predictions before and after.
#
# Variables (gnuplot -e): fmt, out; data = `mta attack --dump-out` table; names = class names
# (space-separated, "_" for spaces); eps = the attack radius in pixel units; model.

stats data using "image" nooutput
n = int(STATS_max) + 1
width = 1080
height = 80 + 3 * 1080.0 / n * 0.82
load "plots/common.gp"
cname(k) = words(names) > k ? word(names, k + 1) : sprintf("%d", k)
val(i, c) = system(sprintf("awk -F '\t' -v i=%d 'NR > 1 && $1 == i { print $%d; exit }' '%s'", i, c, data)) + 0
set label 99 sprintf("%s: test images (top), PGD adversarial versions (middle), perturbations scaled to ±%.4f (bottom)", model, eps) \
    at screen 0.01, screen 1 - 18.0 / height left font ",13"
set multiplot layout 3, n margins 0.01, 0.99, 0.02, 1 - 95.0 / height spacing 0.01, 0.07
unset border
unset tics
unset key
unset colorbox
set size ratio -1
set yrange [*:*] reverse
kinds = "clean adv delta"
do for [k = 1:3] {
    kd = word(kinds, k)
    if (kd eq "delta") { set palette defined (0 "#2166ac", 0.5 "#ffffff", 1 "#b2182b"); set cbrange [-eps:eps] } \
    else { set palette gray; set cbrange [0:1] }
    do for [i = 0:n - 1] {
        lab = val(i, 2); pc = val(i, 3); pa = val(i, 4)
        set title (kd eq "clean" ? sprintf("%s\npredicted %s", cname(lab), cname(pc)) : \
                   kd eq "adv" ? sprintf("predicted %s", cname(pa)) : "") font ",11"
        plot sprintf("< awk -F '\t' -v i=%d -v k=%s 'NR > 1 && $1 == i && $5 == k { print $7 \"\\t\" $6 \"\\t\" $8 }' '%s'", i, kd, data) \
            using 1:2:3 with image
        if (k == 1 && i == 0) { unset label 99 }
    }
}
unset multiplot
