# ptq_acc.awk -- accuracy after PTQ as a configuration x model table (the 43-row tables of the
# reference's per-model READMEs, all models side by side).
#
#   awk -f ptq_acc.awk results.tsv
#
# First row FP32 (full_acc, the accuracy the sweep measured without quantization), then one row
# per configuration in the sweep's order; one column per model in order of appearance; %.2f.

BEGIN { FS = OFS = "\t" }
NR == 1 {
    for (i = 1; i <= NF; i++) col[$i] = i
    split("model title full_acc ptq_acc", need, " ")
    for (i = 1; i <= 4; i++) if (!(need[i] in col)) { print "ptq_acc.awk: no column " need[i] > "/dev/stderr"; bad = 1; exit 2 }
    next
}
{
    m = $col["model"]; t = $col["title"]
    if (!(m in seenm)) { seenm[m] = 1; models[++nm] = m; fp[m] = $col["full_acc"] }
    if (!(t in seent)) { seent[t] = 1; titles[++nt] = t }
    acc[m, t] = $col["ptq_acc"]
}
END {
    if (bad) exit 2
    line = "config"
    for (j = 1; j <= nm; j++) line = line OFS models[j]
    print line
    line = "FP32"
    for (j = 1; j <= nm; j++) line = line OFS sprintf("%.2f", fp[models[j]])
    print line
    for (i = 1; i <= nt; i++) {
        line = titles[i]
        for (j = 1; j <= nm; j++) line = line OFS (((models[j], titles[i]) in acc) ? sprintf("%.2f", acc[models[j], titles[i]]) : "nan")
        print line
    }
}
