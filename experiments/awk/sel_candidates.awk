# sel_candidates.awk -- the candidate predictors of `mta select` (experiments/prediction.md),
# written as its TSV (name tier kind x options).  Variables: metrics, xs (the oriented input
# column of each metric, larger = further from FP32), tiers (each metric's tier), seed.
#   <metric>            the reference's recipe: rational P2/Q2, exactly non-decreasing
#   <metric>:logcubic   monotone cubic in log10(x + x0) (x itself for columns with negative values)
#   config_mean         the mean loss of the same format on the training models (weight-only:
#                       it needs nothing of the new model)
#   <m>+cfg:l<L>        ridge on m, the configuration mean, their squares and product
#   <m1>+<m2>:l<L>      ridge on two metrics, squares and product
#   <m1>+<m2>+cfg       ridge on two metrics and the configuration mean, linear
#   mean                the predict-the-mean baseline (tier "baseline": reported, never chosen)
# A pair's tier is the later of its two metrics' tiers (weight-only < data-free < label-free).
BEGIN {
    OFS = "\t"
    n = split(metrics, M, " "); split(xs, X, " "); split(tiers, T, " ")
    rank["weight-only"] = 0; rank["data-free"] = 1; rank["label-free"] = 2
    print "name", "tier", "kind", "x", "options"
    for (i = 1; i <= n; i++)
        print M[i], T[i], "curve", X[i], "family=rational degree=2 monotone=exact seed=" seed
    for (i = 1; i <= n; i++)
        print M[i] ":logcubic", T[i], "curve", X[i], "family=poly degree=3 monotone=exact" (X[i] ~ /^neg_/ ? "" : " transform=log10 x0=auto")
    print "config_mean", "weight-only", "config-mean", "-", "-"
    nl = split("0.01 0.1", L, " ")
    for (i = 1; i <= n; i++)
        for (l = 1; l <= nl; l++)
            print M[i] "+cfg:l" L[l], T[i], "ridge", X[i] ",@config", "lambda=" L[l] " quad=1"
    for (i = 1; i <= n; i++)
        for (j = i + 1; j <= n; j++) {
            t = rank[T[i]] >= rank[T[j]] ? T[i] : T[j]
            for (l = 1; l <= nl; l++)
                print M[i] "+" M[j] ":l" L[l], t, "ridge", X[i] "," X[j], "lambda=" L[l] " quad=1"
            print M[i] "+" M[j] "+cfg", t, "ridge", X[i] "," X[j] ",@config", "lambda=0.01 quad=0"
        }
    print "mean", "baseline", "mean", "-", "-"
}
