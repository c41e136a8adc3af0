#!/bin/sh
# scaling.sh MTA OUT -- what the paper profile's Slurm tasks cost (make cluster-scaling).
#
# Measures on this machine, at full width on 32x32 inputs (mta bench), per network: training
# steps with 2 threads and with 1 (the thread scaling: medians of three alternating runs), inference, PGD-10 attacks, generator
# steps at the paper's generator width, and for one configuration of each cost class (INT_8:
# INT <= 8 in f32; INT_16: INT > 8, binary64 where f32 is not exact; POT_4; FLOAT_8_E4) the
# quantized inference, calibration passes and the attack through the fake-quantized forward.
# Then the tail of the final job (pooled tables, fits, figures, reports) at the default
# profile's size -- nine networks and 43 configurations as in paper -- timed in a scratch copy
# of this tree (make -j<cores> -o MTA -W data/default/results.tsv fits figures reports, as the
# final task runs it with -j<cpus-per-task>), when data/default
# and build/default exist.  Writes OUT (model, mode, config, threads, batch, images_per_s) and
# OUT's .settings.tsv sibling (kernel, load, tail seconds, version); tools/slurm/scaling.awk turns them into
# the expected wall times.  Takes about 10 minutes; run it on an otherwise idle machine.
set -eu
MTA=${1:?usage: scaling.sh MTA OUT}
OUT=${2:?usage: scaling.sh MTA OUT}
MODELS=${MODELS:-"AlexNet AlexNet_BN VGG_16 VGG_19 Inception_BN ResNet_18 ResNet_50 ResNet_152 MobileNetV2"}
S=${SCALING_SECONDS:-1}
root=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/scaling.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
load0=$(cut -d' ' -f1 /proc/loadavg)
kernel=$("$MTA" bench AlexNet_BN --seconds 0 --batch 1 --threads 1 | tail -n 1 | cut -f6)
printf 'model\tmode\tconfig\tthreads\tbatch\timages_per_s\n' > "$tmp/rates"
b() { # b MODEL MODE CONFIG THREADS BATCH [flags]: one measurement, one row
    m=$1 mode=$2 c=$3 t=$4 n=$5; shift 5
    r=$("$MTA" bench "$m" --mode "$mode" ${c:+--config "$c"} --threads "$t" --batch "$n" --seconds "$S" "$@" | tail -n 1 | cut -f4)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$mode" "${c:--}" "$t" "$n" "$r" | tee -a "$tmp/rates" >&2
}
med3() { sort -g | sed -n 2p; }
for m in $MODELS; do
    # the thread scaling decides the 32-core column: three alternating 2- and 1-thread runs, medians
    for k in 1 2 3; do b "$m" train "" 2 16; b "$m" train "" 1 16; done 2> /dev/null
    for t in 2 1; do
        v=$(awk -F '\t' -v m="$m" -v t="$t" '$1 == m && $2 == "train" && $4 == t { print $6 }' "$tmp/rates" | med3)
        awk -F '\t' -v m="$m" -v t="$t" '!($1 == m && $2 == "train" && $4 == t)' "$tmp/rates" > "$tmp/rates.x" && mv "$tmp/rates.x" "$tmp/rates"
        printf '%s\ttrain\t-\t%s\t16\t%s\n' "$m" "$t" "$v" | tee -a "$tmp/rates" >&2
    done
    b "$m" forward "" 2 32
    b "$m" pgd "" 2 4
    b "$m" gen "" 2 16 --gen-width 1
    for c in INT_8 INT_16 POT_4 FLOAT_8_E4; do
        b "$m" forward "$c" 2 32
        b "$m" calibrate "$c" 2 32
        b "$m" pgd "$c" 2 4
    done
done
# the final job's tail at nine networks x 43 configurations
tail_s=-
if [ -d data/default/ptq ] && [ -d build/default/ckpt ]; then
    mkdir "$tmp/tree"
    tar cf - --exclude=./.git --exclude=./build/quick --exclude=./build/bench --exclude=./data/quick . | (cd "$tmp/tree" && tar xf -)
    t0=$(date +%s.%N)
    (cd "$tmp/tree" && make -s --no-print-directory -j"$(nproc)" PROFILE=default -o build/mta -W data/default/results.tsv fits figures reports) \
        > "$tmp/tail.out" 2>&1 || { echo "scaling: the tail at the default profile failed:" >&2; tail -20 "$tmp/tail.out" >&2; exit 1; }
    tail_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
fi
load1=$(cut -d' ' -f1 /proc/loadavg)
{
    printf 'key\tvalue\n'
    printf 'blas_kernel\t%s\n' "$kernel"
    printf 'cpus\t%s\n' "$(nproc)"
    printf 'cpu\t%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    printf 'load_before\t%s\n' "$load0"
    printf 'load_after\t%s\n' "$load1"
    printf 'tail_seconds\t%s\n' "$tail_s"
    printf 'measure_seconds\t%s\n' "$S"
    printf 'mta_version\t%s\n' "$("$MTA" --version 2> /dev/null | head -1 || echo unknown)"
    printf 'date\t%s\n' "$(date -u +%Y-%m-%d)"
} > "$tmp/settings"
mkdir -p "$(dirname "$OUT")"
cp "$tmp/rates" "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
cp "$tmp/settings" "${OUT%.tsv}.settings.tsv.tmp" && mv "${OUT%.tsv}.settings.tsv.tmp" "${OUT%.tsv}.settings.tsv"
echo "scaling: $(($(wc -l < "$OUT") - 1)) measurements in $OUT (kernel $kernel, load $load0 -> $load1, tail ${tail_s} s)"
