# join_noise.awk -- results.tsv with the data-free noise model's columns (mta noise) appended:
# each row gets nm_sqnr_db and nm_w_sqnr_db of its model and configuration.
#
#   awk -f join_noise.awk data/<P>/noise/<Model>.tsv... data/<P>/results.tsv
#
# The noise tables are named after their model; a results row without a noise row is an error.
BEGIN { FS = OFS = "\t"; split("nm_sqnr_db nm_w_sqnr_db", want, " ") }
FNR == 1 {
    file = FILENAME; delete col
    for (i = 1; i <= NF; i++) col[$i] = i
    isres = (file ~ /results[.]tsv$/)
    if (!isres) {
        m = file; sub(/.*\//, "", m); sub(/[.]tsv$/, "", m)
        for (k = 1; k <= 2; k++) if (!(want[k] in col)) { print "join_noise.awk: " file ": no column " want[k] > "/dev/stderr"; bad = 1; exit 2 }
    } else {
        if (!("model" in col) || !("title" in col)) { print "join_noise.awk: " file ": no model/title columns" > "/dev/stderr"; bad = 1; exit 2 }
        print $0, want[1], want[2]
    }
    next
}
!isres { for (k = 1; k <= 2; k++) V[m, $col["title"], k] = $col[want[k]]; next }
{
    key = $col["model"] SUBSEP $col["title"]
    if (!((key SUBSEP 1) in V)) { print "join_noise.awk: no noise-model row for " $col["model"] " " $col["title"] > "/dev/stderr"; bad = 1; exit 2 }
    print $0, V[key, 1], V[key, 2]
}
END { if (bad) exit 2 }
