# ptq_acc.awk -- accuracy after PTQ as a configuration x model table (the 43-row tables of the
# reference's per-model READMEs, all models side by side), each cell "accuracy ± standard error"
# in points.
#
#   awk -f ptq_acc.awk acc.tsv        (the long table of reports/acc.awk)
#
# First row FP32 (the accuracy the sweep measured without quantization), then one row per
# configuration in the sweep's order; one column per model in order of appearance; "—" where a
# model lacks a configuration.

BEGIN { FS = OFS = "\t" }
NR == 1 {
    for (i = 1; i <= NF; i++) col[$i] = i
    split("model config ptq_acc se", need, " ")
    for (i = 1; i <= 4; i++) if (!(need[i] in col)) { print "ptq_acc.awk: no column " need[i] > "/dev/stderr"; bad = 1; exit 2 }
    next
}
{
    m = $col["model"]; t = $col["config"]
    if (!(m in seenm)) { seenm[m] = 1; models[++nm] = m }
    if (!(t in seent)) { seent[t] = 1; titles[++nt] = t }
    cell[m, t] = sprintf("%.1f ± %.1f", $col["ptq_acc"], $col["se"])
}
END {
    if (bad) exit 2
    line = "config"
    for (j = 1; j <= nm; j++) line = line OFS models[j]
    print line
    for (i = 1; i <= nt; i++) {
        line = titles[i]
        for (j = 1; j <= nm; j++) line = line OFS (((models[j], titles[i]) in cell) ? cell[models[j], titles[i]] : "—")
        print line
    }
}
