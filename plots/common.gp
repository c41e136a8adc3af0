# common.gp -- terminal, output and table helpers shared by every figure script.
#
# Set by the caller (gnuplot -e "..."): fmt = "png" (pngcairo) or "svg"; out = output path.
# Text is not "enhanced" (model names contain underscores).

# Sizes are the size the figure is shown at in the report (reports/style.css: the text column
# is 1080 px wide; a figure in a row of two gets 530), so that 13-unit text reads as 13 px at
# 100 % zoom: a full-width figure is 1080 wide, a half-width one 520 (tests/t_browser.sh checks
# that no text is shown below 11 px).
if (!exists("fmt")) fmt = "png"
if (!exists("width")) width = 1080
if (!exists("height")) height = 560
if (!exists("fontsize")) fontsize = 13
if (fmt eq "svg") {
    set terminal svg size width, height fixed noenhanced font "DejaVu Sans,".fontsize background "white"
} else {
    set terminal pngcairo size width, height noenhanced font "DejaVu Sans,".(fontsize - 2)
}
set output out
set datafile separator "\t"
set grid back lc rgb "#dddddd"
set border 3 back
set tics nomirror

# cell(file, key, col): the cell in column `col` of the first row whose first column is `key`
# ("" when there is none).  Used to print a fit's statistics from PREFIX.coef.tsv.
cell(file, key, col) = system(sprintf("awk -F '\t' -v k='%s' -v c='%s' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) j = i; next } j && $1 == k { print $j; exit }' '%s'", key, col, file))

# The goodness-of-fit block of the reference figures (spec §1.4: SSE, R-square and RMSE with
# the divisor n - m, m = 2d + 2 for the rational), plus n and m; "fit failed: why" otherwise.
fit_ok(prefix, g) = substr(cell(prefix.".coef.tsv", g, "status"), 1, 2) eq "ok"
fit_block(prefix, g) = fit_ok(prefix, g) ? \
    sprintf("Goodness of fit:\n SSE:%.4f\n R-square:%.4f\n RMSE:%.4f\n n = %d, m = %d", \
            cell(prefix.".coef.tsv", g, "sse") + 0, cell(prefix.".coef.tsv", g, "r2") + 0, \
            cell(prefix.".coef.tsv", g, "rmse") + 0, cell(prefix.".coef.tsv", g, "n") + 0, \
            cell(prefix.".coef.tsv", g, "k_ref") + 0) : \
    "fit failed: ".cell(prefix.".coef.tsv", g, "status")
# legend entry of the curve: "Rational-Fit" as in the reference, "Poly-Fit", "Piecewise-Fit"
fit_title(prefix, g) = cell(prefix.".coef.tsv", g, "family") eq "rational" ? "Rational-Fit" : \
    cell(prefix.".coef.tsv", g, "family") eq "poly" ? "Poly-Fit" : "Piecewise-Fit"
