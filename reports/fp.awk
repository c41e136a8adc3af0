# fp.awk -- the full-precision training table with the standard errors of its accuracies
# (binomial, from the number of validation and test images the summary records).
#
#   awk -f fp.awk train_summary.tsv
#
# Columns: model, data, width, params, epochs, best_epoch, val_acc, val_se, test_acc, test_se,
# val_images, test_images, seconds; "-" for a standard error the summary cannot give.

function se(acc, n) { return n > 0 ? sprintf("%.2f", 100 * sqrt((acc / 100) * (1 - acc / 100) / n)) : "-" }
BEGIN { FS = OFS = "\t" }
NR == 1 {
    for (i = 1; i <= NF; i++) col[$i] = i
    split("model data width params epochs best_epoch val_acc test_acc seconds", need, " ")
    for (i = 1; i in need; i++) if (!(need[i] in col)) { print "fp.awk: no column " need[i] > "/dev/stderr"; bad = 1; exit 2 }
    print "model", "data", "width", "params", "epochs", "best_epoch", "val_acc", "val_se", "test_acc", "test_se", "val_images", "test_images", "seconds"
    next
}
{
    nv = ("val_images" in col) ? $col["val_images"] : 0; nt = ("test_images" in col) ? $col["test_images"] : 0
    print $col["model"], $col["data"], $col["width"], $col["params"], $col["epochs"], $col["best_epoch"], \
          $col["val_acc"], se($col["val_acc"], nv), $col["test_acc"], se($col["test_acc"], nt), nv ? nv : "-", nt ? nt : "-", $col["seconds"]
}
END { if (bad) exit 2 }
