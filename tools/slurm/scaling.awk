# scaling.awk -- the expected wall time of a profile's Slurm run on N nodes (make
# cluster-scaling-table; experiments/cluster.md).
#
#   awk -f scaling.awk -v <profile variables> RATES.tsv RATES.settings.tsv ADJUST_ITERS
#
# RATES: tools/slurm/scaling.sh's measurements (images/s per network, mode, configuration class,
# threads).  ADJUST_ITERS: model, iterations of the adjust phase (the profile has no cap; the
# reference's CIFAR-10 counts, spec training-generator-robustness §2.7).  The cost of every task
# of the plan (experiments/cluster.mk) is its image count per kind of pass divided by the
# measured rate of that pass (the work of spec §7):
#   train    epochs x (train images / training rate + validation images / inference rate)
#            + test images / inference rate
#   ptq k    per configuration of chunk k: calib_batches x ptq_batch / calibration rate +
#            test images / quantized inference rate
#   gen      epochs x iters x batch / generator rate; adjust: the test set's clean, FGSM and
#            PGD scores once, then per iteration adjust_batches x batch pseudo images scored and
#            one generator step with a PGD batch
#   robust   (attack_test + 2 x robust_pseudo) images (test, adjusted and plain pseudo sets) x
#            (the full-precision model and every configuration): per image 3 forwards (clean,
#            FGSM, PGD evaluation) + 1.1 PGD-10 attacks (FGSM is one of its ten gradient steps);
#            with rchunk > 0 one task per chunk of rchunk configurations (each also attacks the
#            full-precision model)
#   ptq_gen  as the PTQ sweep, all configurations in one task
#   box      as robust for the four box configurations (AlexNet_BN, ResNet_18)
#   pca      (pca_test + 2 x classes x pca_per_class) forwards of the PCA model
#   final    the tail measured at the default profile's size (scaling.sh)
# Image counts: nimages (50,000: CIFAR's training set, split by valfrac) and ntest (10,000).
# Ignored: the generator forwards that make pseudo images (119 M MACs an image, spec §7), the
# complexity tables, the chunk merge.  A configuration is priced by its class (INT <= 8: INT_8;
# INT > 8: INT_16; POT_4; FLOAT_8_E4).  Nodes of 32 cores: each network's time on 2 cores
# divided by the speedup Amdahl's law gives from its measured 1 -> 2 thread training speedup
# (an optimistic bound: no memory-bandwidth or NUMA limits).  A task holds one node
# (--cpus-per-task = the node's cores); the schedule is list scheduling, the task with the
# longest remaining path first, as Slurm with the plan's dependencies would at best do it.
BEGIN { FS = "\t"; nn = split(nodes, NODES, " "); ncr = split(cores, CORES, " ") }
FILENAME == ARGV[1] { if (FNR > 1) { rate[$1, $2, $3, $4] = $6; if (!($1 in seen)) { seen[$1]; order[++nm] = $1 } } next }
FILENAME == ARGV[2] { if (FNR > 1) set[$1] = $2; next }
FILENAME == ARGV[3] { if (FNR > 1) iters[$1] = $2; next }
function cls(c,   b) { if (c ~ /^INT_/) { b = substr(c, 5) + 0; return b <= 8 ? "INT_8" : "INT_16" }
    return c ~ /^POT_/ ? "POT_4" : "FLOAT_8_E4" }
function r(m, mode, c, t,   v) { v = rate[m, mode, c, t]
    if (v == "" || v <= 0) { printf "scaling: no rate for %s %s %s %s threads\n", m, mode, c, t > "/dev/stderr"; bad = 1; exit 1 }
    return v }
function rob(m, c) { return c == "-" ? 3 / r(m, "forward", "-", 2) + 1.1 / r(m, "pgd", "-", 2) \
                                     : 3 / r(m, "calibrate", cls(c), 2) + 1.1 / r(m, "pgd", cls(c), 2) }
function sweep(m, cfgs,   n, a, i, s) { n = split(cfgs, a, " "); s = 0
    for (i = 1; i <= n; i++) s += calib * pbatch / r(m, "calibrate", cls(a[i]), 2) + ntest / r(m, "forward", cls(a[i]), 2)
    return s }
function robsweep(m, cfgs,   n, a, i, s) { n = split(cfgs, a, " "); s = rob(m, "-")
    for (i = 1; i <= n; i++) s += rob(m, a[i])
    return s * (natk + 2 * npseudo) }
function task(name, model, d, deps) { nt++; tn[nt] = name; tm[nt] = model; td2[nt] = d; tdep[nt] = deps; id[name] = nt; return nt }
function hours(s) { return s / 3600 }
function fmt(s) { return s < 3600 ? sprintf("%.0f min", s / 60) : s < 172800 ? sprintf("%.1f h", s / 3600) : sprintf("%.1f days", s / 86400) }
function bottom(i,   j, b, best) { if (i in bl) return bl[i]; best = 0
    for (j = 1; j <= nt; j++) if (index(" " tdep[j] " ", " " i " ")) { b = bottom(j); if (b > best) best = b }
    return bl[i] = dur[i] + best }
function schedule(N,   i, j, t, free, left, best, ok, k, a, nd, fin, st, next_t) {
    for (i = 1; i <= nt; i++) { st[i] = 0; fin[i] = -1 }
    t = 0; free = N; left = nt
    while (left > 0) {
        while (free > 0) {   # start the ready task with the longest remaining path
            best = 0
            for (i = 1; i <= nt; i++) {
                if (st[i]) continue
                ok = 1; nd = split(tdep[i], a, " ")
                for (k = 1; k <= nd; k++) if (fin[a[k]] < 0 || fin[a[k]] > t) { ok = 0; break }
                if (ok && (!best || bl[i] > bl[best])) best = i
            }
            if (!best) break
            st[best] = 1; fin[best] = t + dur[best]; free--
        }
        next_t = -1
        for (i = 1; i <= nt; i++) if (st[i] == 1 && (next_t < 0 || fin[i] < next_t)) next_t = fin[i]
        t = next_t
        for (i = 1; i <= nt; i++) if (st[i] == 1 && fin[i] <= t) { st[i] = 2; free++; left-- }
    }
    return t }
END {
    if (bad) exit 1
    if (nimages == "") nimages = 50000   # CIFAR's training set; its test set:
    if (ntest == "") ntest = 10000
    ntrain = nimages * (1 - valfrac); nval = nimages * valfrac
    nc = split(configs, C, " ")
    nchunks = int((nc + chunk - 1) / chunk)
    for (mi = 1; mi <= nm; mi++) {
        m = order[mi]
        s2 = r(m, "train", "-", 2) / r(m, "train", "-", 1)
        serial = 2 / s2 - 1; if (serial < 0) serial = 0; if (serial > 1) serial = 1
        speed[m] = 1 / (s2 * (serial + (1 - serial) / 32)) # 2-core time / 32-core time
        sp2[m] = s2
        tr = task("train " m, m, epochs * (ntrain / r(m, "train", "-", 2) + nval / r(m, "forward", "-", 2)) + ntest / r(m, "forward", "-", 2), "")
        pmax = 0
        for (k = 1; k <= nchunks; k++) {
            cf = ""; for (i = (k - 1) * chunk + 1; i <= k * chunk && i <= nc; i++) cf = cf " " C[i]
            x = task("ptq " m " chunk " k, m, sweep(m, cf), tr); if (td2[x] > pmax) pmax = td2[x]
        }
        it = m in iters ? iters[m] : 0; if (cap > 0 && it > cap) it = cap
        rf = rob(m, "-")
        g = task("gen " m, m, gepochs * giters * gbatch / r(m, "gen", "-", 2) + ntest * rf \
                 + it * (adjb * gbatch * rf + gbatch / r(m, "gen", "-", 2) + gbatch / r(m, "pgd", "-", 2)), tr)
        allc = ""; for (i = 1; i <= nc; i++) allc = allc " " C[i]
        if (rchunk > 0) { # chunks of rchunk configurations, each with the full-precision model
            rmax = 0
            for (k = 1; (k - 1) * rchunk < nc; k++) {
                cf = ""; for (i = (k - 1) * rchunk + 1; i <= k * rchunk && i <= nc; i++) cf = cf " " C[i]
                rb = task("robust " m " chunk " k, m, robsweep(m, cf), g); if (td2[rb] > rmax) { rmax = td2[rb]; rbmax = rb }
            }
            rb = rbmax
        } else rb = task("robust " m, m, robsweep(m, allc), g)
        pg = task("ptq_gen " m, m, sweep(m, allc), g)
        bx = pc = 0
        if (index(" " boxmodels " ", " " m " ")) bx = task("box " m, m, robsweep(m, boxconfigs), g)
        if (m == pcamodel) pc = task("pca " m, m, (pcatest + 2 * 10 * pcaper) / r(m, "forward", "-", 2), g)
        row[m] = sprintf("| %s | %s | %s | %s | %s | %s | %s | %.2f | %.1f |", m, fmt(td2[tr]), fmt(pmax), fmt(td2[g]),
            fmt(td2[rb]), fmt(td2[pg]), bx ? fmt(td2[bx]) : (pc ? "pca " fmt(td2[pc]) : "—"), s2, 1 / (serial + (1 - serial) / 32))
        if (bx && pc) row[m] = sprintf("| %s | %s | %s | %s | %s | %s | %s, pca %s | %.2f | %.1f |", m, fmt(td2[tr]), fmt(pmax), fmt(td2[g]),
            fmt(td2[rb]), fmt(td2[pg]), fmt(td2[bx]), fmt(td2[pc]), s2, 1 / (serial + (1 - serial) / 32))
    }
    deps = ""; for (i = 1; i <= nt; i++) deps = deps (deps == "" ? "" : " ") i
    tailsec = set["tail_seconds"] == "-" ? 0 : set["tail_seconds"]
    fi = task("final", "-", tailsec, deps)
    if (raw) { # tests: task seconds on 2 cores, then makespans
        for (i = 1; i <= nt; i++) printf "task\t%s\t%.2f\n", tn[i], td2[i]
        for (c = 1; c <= ncr; c++) {
            for (i = 1; i <= nt; i++) dur[i] = (CORES[c] == 2 || tm[i] == "-") ? td2[i] : td2[i] / speed[tm[i]]
            delete bl; for (i = 1; i <= nt; i++) bottom(i)
            for (n = 1; n <= nn; n++) printf "makespan\t%s\t%s\t%.2f\n", CORES[c], NODES[n], schedule(NODES[n] + 0)
        }
        exit 0
    }
    print "Per task on one node of this machine (" set["cpus"] " cores, 2 threads, OpenBLAS " set["blas_kernel"] "; " set["cpu"] \
          "; load " set["load_before"] " → " set["load_after"] "), and the measured 1 → 2 thread speedup of training with the 32-core speedup Amdahl's law gives from it:"
    print ""
    print "| network | train | PTQ chunk (longest of " nchunks ") | generator + adjust | " (rchunk > 0 ? "robustness chunk (longest of " int((nc + rchunk - 1) / rchunk) ")" : "robustness sweep") " | data-free PTQ | box sweep, PCA | 1→2 threads | 32 cores |"
    print "|---|---|---|---|---|---|---|---|---|"
    for (mi = 1; mi <= nm; mi++) print row[order[mi]]
    print ""
    total2 = 0; for (i = 1; i <= nt; i++) total2 += td2[i]
    printf "Adjust iterations: the reference's CIFAR-10 counts (%s). The final job's tail (pooled tables, fits, figures, reports): %s, measured at the default profile's size.\n", \
        iterlist(), (tailsec > 0 ? fmt(tailsec) : "not measured (no default profile here)")
    print ""
    print "Expected wall time of `make reproduce PROFILE=paper CLUSTER=slurm` (one task per node, longest remaining path first):"
    print ""
    printf "| nodes |"; for (c = 1; c <= ncr; c++) printf " %s cores a node |", CORES[c]; print ""
    printf "|---|"; for (c = 1; c <= ncr; c++) printf "---|"; print ""
    for (c = 1; c <= ncr; c++) {
        for (i = 1; i <= nt; i++) { dur[i] = (CORES[c] == 2 || tm[i] == "-") ? td2[i] : td2[i] / speed[tm[i]] }
        delete bl; for (i = 1; i <= nt; i++) bottom(i)
        cp[c] = 0; for (i = 1; i <= nt; i++) if (bl[i] > cp[c]) { cp[c] = bl[i]; cps[c] = i }
        for (n = 1; n <= nn; n++) ms[c, n] = schedule(NODES[n] + 0)
        work[c] = 0; for (i = 1; i <= nt; i++) work[c] += dur[i]
        # the critical path, for the sentence
        path[c] = ""; i = cps[c]
        while (i) { path[c] = path[c] (path[c] == "" ? "" : ", ") tn[i] " " fmt(dur[i]); nx = 0
            for (j = 1; j <= nt; j++) if (index(" " tdep[j] " ", " " i " ") && (!nx || bl[j] > bl[nx])) nx = j
            i = nx }
    }
    for (n = 1; n <= nn; n++) {
        printf "| %s |", NODES[n]
        for (c = 1; c <= ncr; c++) printf " %s |", fmt(ms[c, n])
        print ""
    }
    print ""
    for (c = 1; c <= ncr; c++)
        printf "With %s cores a node: %d tasks, %s of work in all; the longest chain (%s) is %s, so no number of nodes finishes sooner; %d nodes take %.2f× that.\n", \
            CORES[c], nt, fmt(work[c]), path[c], fmt(cp[c]), NODES[nn], ms[c, nn] / cp[c]
}
function iterlist(   s, mi) { s = ""; for (mi = 1; mi <= nm; mi++) s = s (s == "" ? "" : ", ") order[mi] " " (order[mi] in iters ? iters[order[mi]] : 0); return s }
