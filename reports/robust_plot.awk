# robust_plot.awk -- robust.tsv with a per-model row index (idx: Full = 0, then the
# configurations in spec order) and a tick label for the first configuration of each family and
# INT_8 (lab, "" elsewhere), for plots/robust_configs.gp.
#   awk -f robust_plot.awk data/P/robust.tsv
BEGIN { FS = OFS = "\t" }
NR == 1 { for (i = 1; i <= NF; i++) if ($i == "model") cm = i; else if ($i == "title") ct = i; print $0, "idx", "lab"; next }
{
    if ($cm != last) { k = 0; last = $cm; prevfam = "" } else k++
    fam = $ct; sub(/_.*/, "", fam)
    lab = ($ct == "Full" || fam != prevfam || $ct == "INT_8") ? $ct : ""
    prevfam = fam
    print $0, k, lab
}
