# rank.awk -- the predictor table in the order the report shows it (table and bar chart alike):
# grouped by tier (weight-only, data-free, label-free, then any other tier in order of first
# appearance), within a tier by LOMO RMSE, smallest first
# (a failed fit, nan, last); a column rank (1, 2, ... within the tier) after the key.
#
#   awk -f rank.awk F/predictors.tsv

BEGIN { FS = OFS = "\t" }
NR == 1 {
    for (i = 1; i <= NF; i++) col[$i] = i
    if (!("tier" in col) || !("lomo_rmse" in col)) { print "rank.awk: " FILENAME ": needs columns tier and lomo_rmse" > "/dev/stderr"; bad = 1; exit 2 }
    hdr = $0; next
}
{
    t = $col["tier"]
    if (!(t in nt)) { seen[++nseen] = t; nt[t] = 0 }
    row[t, ++nt[t]] = $0
    key[t, nt[t]] = $col["lomo_rmse"] ~ /nan/ ? 1e300 : $col["lomo_rmse"] + 0
}
END {
    if (bad) exit 2
    split(hdr, h, "\t"); line = h[1] OFS "rank"
    for (i = 2; i in h; i++) line = line OFS h[i]
    print line
    n = split("weight-only data-free label-free", known, " ")
    for (a = 1; a <= n; a++) if (known[a] in nt) { tiers[++ntiers] = known[a]; isknown[known[a]] = 1 }
    for (a = 1; a <= nseen; a++) if (!(seen[a] in isknown)) tiers[++ntiers] = seen[a]
    for (a = 1; a <= ntiers; a++) {
        t = tiers[a]
        for (i = 2; i <= nt[t]; i++) {   # insertion sort, stable
            r = row[t, i]; k = key[t, i]
            for (j = i - 1; j >= 1 && key[t, j] > k; j--) { row[t, j + 1] = row[t, j]; key[t, j + 1] = key[t, j] }
            row[t, j + 1] = r; key[t, j + 1] = k
        }
        for (i = 1; i <= nt[t]; i++) {
            n = split(row[t, i], f, "\t"); line = f[1] OFS i
            for (j = 2; j <= n; j++) line = line OFS f[j]
            print line
        }
    }
}
