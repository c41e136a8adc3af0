# ptq_gen.awk -- real- vs generated-data calibration (data-free PTQ), per model and configuration.
#   awk -f ptq_gen.awk data/P/results.tsv data/P/ptq_gen/<Model>.tsv ...
# results.tsv (model title ... ptq_acc ...) gives the PTQ accuracy after calibration on training
# images; each ptq_gen/<Model>.tsv (title ... full_acc ptq_acc ...) the one after calibration on
# the adjusted generator's images.  Output, in the order of the ptq_gen files and their rows:
#   model title quant bits full_acc ptq_acc_real ptq_acc_gen gen_minus_real
function col(name,   i) { for (i = 1; i <= NF; i++) if ($i == name) return i; return 0 }
BEGIN { FS = OFS = "\t"; print "model", "title", "quant", "bits", "full_acc", "ptq_acc_real", "ptq_acc_gen", "gen_minus_real" }
FNR == 1 {
    nfile++
    cm = col("model"); ct = col("title"); cq = col("quant"); cb = col("bits"); cf = col("full_acc"); ca = col("ptq_acc")
    if (!ct || !ca || (nfile == 1 && !cm)) { printf "ptq_gen.awk: %s lacks title/ptq_acc columns\n", FILENAME > "/dev/stderr"; exit 2 }
    model = FILENAME; sub(/.*\//, "", model); sub(/[.]tsv$/, "", model)
    next
}
nfile == 1 { real[$cm SUBSEP $ct] = $ca; next }
{
    k = model SUBSEP $ct
    if (!(k in real)) { printf "ptq_gen.awk: %s %s has no real-data row in results.tsv\n", model, $ct > "/dev/stderr"; exit 2 }
    printf "%s\t%s\t%s\t%s\t%.2f\t%.2f\t%.2f\t%.2f\n", model, $ct, $cq, $cb, $cf, real[k], $ca, $ca - real[k]
}
