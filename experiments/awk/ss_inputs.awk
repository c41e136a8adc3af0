# ss_inputs.awk -- the sample-size study's input tables (experiments/fits.mk): one per draw
# size N and draw d, each like fit/pred/input.tsv but with the label-free columns measured on
# that draw's N unlabelled images (mta sample-size) instead of the sweep's calibration images.
#
#   awk -v dir=DIR -f ss_inputs.awk data/<P>/results.tsv data/<P>/samples/<Model>.tsv...
#
# Writes DIR/n<N>_d<d>.input.tsv: model title acc_loss neg_agree_top1 kl_fp_q neg_logit_sqnr_db
# (agreement and SQNR negated, as pred_input.awk does, so every column grows with the damage).
# acc_loss is the sweep's (results.tsv); a sample row without a results row is an error, and so
# is a (model, configuration) of results.tsv missing from some draw.
function die(msg) { print "ss_inputs.awk: " FILENAME ":" FNR ": " msg > "/dev/stderr"; bad = 1; exit 2 }
function neg(v) {
    if (v ~ /^-/) return substr(v, 2)
    if (v !~ /[1-9]/ || v ~ /^[nN]/) return v
    return "-" v
}
BEGIN { FS = OFS = "\t"; if (dir == "") { print "ss_inputs.awk: no dir given" > "/dev/stderr"; bad = 1; exit 2 } }
FNR == 1 {
    delete col
    for (i = 1; i <= NF; i++) col[$i] = i
    isres = (FILENAME ~ /results[.]tsv$/)
    split(isres ? "model title acc_loss" : "title n draw agree_top1 kl_fp_q logit_sqnr_db", need, " ")
    for (k in need) if (!(need[k] in col)) die("no column " need[k])
    if (!isres) { m = FILENAME; sub(/.*\//, "", m); sub(/[.]tsv$/, "", m); nfiles++ }
    next
}
isres { loss[$col["model"], $col["title"]] = $col["acc_loss"]; nres[$col["model"]]++; next }
{
    key = m SUBSEP $col["title"]
    if (!(key in loss)) die("no results row for " m " " $col["title"])
    f = dir "/n" $col["n"] "_d" $col["draw"] ".input.tsv"
    if (!(f in started)) {
        started[f] = 1; files[++nf] = f
        print "model", "title", "acc_loss", "neg_agree_top1", "kl_fp_q", "neg_logit_sqnr_db" > f
    }
    print m, $col["title"], loss[key], neg($col["agree_top1"]), $col["kl_fp_q"], neg($col["logit_sqnr_db"]) > f
    rows[f]++; per[f, m]++
}
END {
    if (bad) exit 2
    if (!nf) { print "ss_inputs.awk: no sample rows" > "/dev/stderr"; exit 2 }
    for (i = 1; i <= nf; i++) close(files[i])
    for (mm in nres) for (i = 1; i <= nf; i++)
        if (per[files[i], mm] != nres[mm]) {
            print "ss_inputs.awk: " files[i] ": " (per[files[i], mm] + 0) " rows of " mm ", results.tsv has " nres[mm] > "/dev/stderr"; exit 2
        }
}
