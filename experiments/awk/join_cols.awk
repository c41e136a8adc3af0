# join_cols.awk -- a table with columns of per-model tables appended: each row of the base table
# (the last file: results.tsv, or - for standard input) gets the columns `cols` of its model's
# row with the same title.  The per-model tables (mta noise, mta grad-sim) are named after their
# model, data/<P>/<what>/<Model>.tsv.
#
#   awk -v cols="nm_sqnr_db nm_w_sqnr_db" -f join_cols.awk data/<P>/noise/<Model>.tsv... data/<P>/results.tsv
#
# A per-model table without one of the columns, or a base row without a per-model row, is an
# error (exit 2, naming the file or the row).
BEGIN {
    FS = OFS = "\t"
    nw = split(cols, want, " ")
    if (!nw) { print "join_cols.awk: no columns given (-v cols=...)" > "/dev/stderr"; bad = 1; exit 2 }
    base = ARGV[ARGC - 1]
}
FNR == 1 {
    file = FILENAME; delete col
    for (i = 1; i <= NF; i++) col[$i] = i
    isbase = (file == base || (base == "-" && file == ""))
    if (!isbase) {
        m = file; sub(/.*\//, "", m); sub(/[.]tsv$/, "", m)
        for (k = 1; k <= nw; k++) if (!(want[k] in col)) { print "join_cols.awk: " file ": no column " want[k] > "/dev/stderr"; bad = 1; exit 2 }
    } else {
        if (!("model" in col) || !("title" in col)) { print "join_cols.awk: " file ": no model/title columns" > "/dev/stderr"; bad = 1; exit 2 }
        line = $0
        for (k = 1; k <= nw; k++) line = line OFS want[k]
        print line
    }
    next
}
!isbase { for (k = 1; k <= nw; k++) V[m, $col["title"], k] = $col[want[k]]; next }
{
    key = $col["model"] SUBSEP $col["title"]
    if (!((key SUBSEP 1) in V)) { print "join_cols.awk: no " cols " row for " $col["model"] " " $col["title"] > "/dev/stderr"; bad = 1; exit 2 }
    line = $0
    for (k = 1; k <= nw; k++) line = line OFS V[key, k]
    print line
}
END { if (bad) exit 2 }
