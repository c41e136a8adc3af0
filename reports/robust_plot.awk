# robust_plot.awk -- robust.tsv with a per-model row index (idx: Full = 0, then the
# configurations in spec order), a tick label (lab: Full, the first configuration of each family
# -- INT_4 for INT, INT_2 being next to Full -- and INT_8; "" elsewhere) and the 0-based data row
# (row, what gnuplot's `every` counts), for plots/robust_configs.gp.
#   awk -f robust_plot.awk data/P/robust.tsv
BEGIN { FS = OFS = "\t" }
NR == 1 { for (i = 1; i <= NF; i++) if ($i == "model") cm = i; else if ($i == "title") ct = i; print $0, "idx", "lab", "row"; next }
{
    if ($cm != last) { k = 0; last = $cm; prevfam = "" } else k++
    fam = $ct; sub(/_.*/, "", fam)
    # INT_2 sits next to Full: INT_4 labels the INT family instead
    lab = ($ct == "Full" || (fam != prevfam && $ct != "INT_2") || $ct == "INT_4" || $ct == "INT_8") ? $ct : ""
    prevfam = fam
    print $0, k, lab, NR - 2
}
