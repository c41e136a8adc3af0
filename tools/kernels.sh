#!/bin/sh
# kernels.sh -- how far results move when OpenBLAS picks another kernel for the same CPU.
#
#   tools/kernels.sh MTA OUT.tsv KERNEL_A KERNEL_B MODEL... 
#
# For each MODEL of the default profile, trains it and runs its PTQ sweep once under each
# kernel (OPENBLAS_CORETYPE=KERNEL; "auto" = unset, OpenBLAS autodetects), with the default
# profile's arguments (read from `make -n`), then writes one row per model: the kernels
# OpenBLAS reported, both test accuracies, and over the 43 configurations the largest and the
# median |ptq_acc difference| (points) and the largest and median relative js_flops
# difference; then the same sweep differences for kernel A's checkpoint swept under kernel B
# (the sweep alone, without retraining: sweep_acc_maxdiff, sweep_js_maxrel).  Work files in
# build/kernels/ (KERNELS_REUSE=1 keeps the runs found there).  Seeds and threads are the profile's: only the
# kernel differs.
set -eu
[ $# -ge 5 ] || { echo "usage: tools/kernels.sh MTA OUT.tsv KERNEL_A KERNEL_B MODEL..." >&2; exit 2; }
mta=$1 out=$2 ka=$3 kb=$4; shift 4
W=build/kernels
mkdir -p $W
run_kernel() { # kernel cmd...
  k=$1; shift
  if [ "$k" = auto ]; then env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@"; else OPENBLAS_CORETYPE=$k "$@"; fi
}
args_of() { # model stage(train|ptq): the profile's arguments without the output flags
  make -n --no-print-directory PROFILE=default "data/default/$2/$1.tsv" 2>/dev/null |
    sed -n "s|.*mta $2 [^ ]* \(.*\)|\1|p" | head -1 |
    sed 's/ --out [^ ]*//; s/ --log [^ ]*//; s/ --layers [^ ]*//; s/ --quiet//; s/ \\$//'
}
tmp=$W/rows.tmp
printf 'model\tkernel_a\tkernel_b\ttest_acc_a\ttest_acc_b\tptq_acc_maxdiff\tptq_acc_mediandiff\tjs_flops_maxrel\tjs_flops_medianrel\tsweep_acc_maxdiff\tsweep_js_maxrel\tconfigs\n' > $tmp
for m in "$@"; do
  ta=$(args_of $m train) pa=$(args_of $m ptq)
  [ -n "$ta" ] && [ -n "$pa" ] || { echo "kernels.sh: no default-profile arguments for $m" >&2; exit 2; }
  for k in $ka $kb; do
    d=$W/$k; mkdir -p $d
    if [ -n "${KERNELS_REUSE:-}" ] && [ -s $d/$m.ptq.tsv ] && [ -s $d/kernel ]; then continue; fi   # KERNELS_REUSE=1: keep earlier runs
    echo "kernels.sh: $m under $k: mta train $m $ta" >&2
    run_kernel $k $mta train $m $ta --out $d/$m.safetensors --log $d/$m.log.tsv --quiet > $d/$m.summary
    run_kernel $k $mta ptq $d/$m.safetensors $pa --quiet --out $d/$m.ptq.tsv --layers $d/$m.layers.tsv
    run_kernel $k $mta env --threads 1 | awk -F '\t' '$1 == "blas_kernel" { print $2 }' > $d/kernel
  done
  echo "kernels.sh: $m: kernel $ka's checkpoint swept under $kb" >&2
  run_kernel $kb $mta ptq $W/$ka/$m.safetensors $pa --quiet --out $W/$kb/$m.cross.tsv --layers $W/$kb/$m.cross.layers.tsv
  awk -F '\t' -v m=$m -v ka="$(cat $W/$ka/kernel)" -v kb="$(cat $W/$kb/kernel)" '
    function col(name, f) { return C[f, name] }
    function abs(x) { return x < 0 ? -x : x }
    FNR == 1 { f++; for (i = 1; i <= NF; i++) C[f, $i] = i; next }
    f == 1 { acc[1] = $col("test_acc", 1); next }
    f == 2 { acc[2] = $col("test_acc", 2); next }
    f == 3 { pa[$1] = $col("ptq_acc", 3); ja[$1] = $col("js_flops", 3); next }
    f == 4 { n++; d = abs($col("ptq_acc", 4) - pa[$1]); D[n] = d; if (d > dmax) dmax = d
             j = $col("js_flops", 4); mx = abs(j) > abs(ja[$1]) ? abs(j) : abs(ja[$1])
             r = mx > 0 ? abs(j - ja[$1]) / mx : 0; R[n] = r; if (r > rmax) rmax = r; next }
    f == 5 { d = abs($col("ptq_acc", 5) - pa[$1]); if (d > smax) smax = d
             j = $col("js_flops", 5); mx = abs(j) > abs(ja[$1]) ? abs(j) : abs(ja[$1])
             r = mx > 0 ? abs(j - ja[$1]) / mx : 0; if (r > sjmax) sjmax = r }
    function median(A, n,   i, j, t) { for (i = 2; i <= n; i++) { t = A[i]; for (j = i - 1; j >= 1 && A[j] > t; j--) A[j + 1] = A[j]; A[j + 1] = t }
                                       return n % 2 ? A[(n + 1) / 2] : (A[n / 2] + A[n / 2 + 1]) / 2 }
    END { printf "%s\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t%.3g\t%.3g\t%.2f\t%.3g\t%d\n", m, ka, kb, acc[1], acc[2], dmax, median(D, n), rmax,
                 median(R, n), smax, sjmax, n }
  ' $W/$ka/$m.summary $W/$kb/$m.summary $W/$ka/$m.ptq.tsv $W/$kb/$m.ptq.tsv $W/$kb/$m.cross.tsv >> $tmp
done
mv $tmp "$out"
cat "$out"
