# pred_input.awk -- the input table of the predictor comparison (experiments/fits.mk).
#
#   awk -v metrics="js_flops kl_flops ..." -v decreasing="sqnr_db_flops ..." -f pred_input.awk results.tsv
#
# Writes model, title, acc_loss and one column per metric, in the order of `metrics`.  A metric
# listed in `decreasing` (larger = closer to FP32: SQNR in dB, cosine) is negated and renamed
# neg_<metric>, so that every x column grows with the distance from the FP32 model and one
# monotone non-decreasing fit serves all of them.  Numbers are copied digit for digit; negation
# only flips the sign character.

function die(msg) { print "pred_input.awk: " FILENAME ": " msg > "/dev/stderr"; err = 1; exit 2 }
function neg(v) {
    if (v ~ /^-/) return substr(v, 2)
    if (v ~ /^[+]/) v = substr(v, 2)
    if (v !~ /[1-9]/ || v ~ /^[nN]/) return v        # zero or nan: unchanged
    return "-" v
}
BEGIN {
    FS = OFS = "\t"
    nm = split(metrics, M, " ")
    nd = split(decreasing, DL, " ")
    for (i = 1; i <= nd; i++) dec[DL[i]] = 1
    if (!nm) { print "pred_input.awk: no metrics given" > "/dev/stderr"; err = 1; exit 2 }
}
NR == 1 {
    for (i = 1; i <= NF; i++) col[$i] = i
    split("model title acc_loss", need, " ")
    for (i = 1; i <= 3; i++) if (!(need[i] in col)) die("no column " need[i])
    line = "model" OFS "title" OFS "acc_loss"
    for (i = 1; i <= nm; i++) {
        if (!(M[i] in col)) die("no column " M[i])
        line = line OFS (M[i] in dec ? "neg_" M[i] : M[i])
    }
    print line
    next
}
{
    line = $col["model"] OFS $col["title"] OFS $col["acc_loss"]
    for (i = 1; i <= nm; i++) line = line OFS (M[i] in dec ? neg($col[M[i]]) : $col[M[i]])
    print line
}
END { if (err) exit 2 }
