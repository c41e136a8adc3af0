# lm_table.awk -- the language model's sweep next to the reference's published PTB numbers
# (reports/reference_lm.tsv, spec §5.7).  Usage: awk -f lm_table.awk reference_lm.tsv ptq.tsv
# Output: title, quant, ptq_ppl, ppl_ratio, js_flops, ref_ptq_ppl, ref_ppl_ratio ("-" where
# the reference has no row).
BEGIN { FS = OFS = "\t" }
FNR == 1 { for (i = 1; i <= NF; i++) col[FILENAME, $i] = i; next }
FILENAME == ARGV[1] { rp[$1] = $(col[FILENAME, "ref_ptq_ppl"]); rr[$1] = $(col[FILENAME, "ref_ppl_ratio"]); next }
!hdr++ { print "title", "quant", "ptq_ppl", "ppl_ratio", "js_flops", "ref_ptq_ppl", "ref_ppl_ratio" }
{
    f = FILENAME
    t = $(col[f, "title"])
    print t, $(col[f, "quant"]), $(col[f, "ptq_ppl"]), $(col[f, "ppl_ratio"]), $(col[f, "js_flops"]),
          (t in rp) ? rp[t] : "-", (t in rr) ? rr[t] : "-"
}
