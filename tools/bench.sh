#!/bin/sh
# bench.sh — mta against PyTorch on the same cores, in one run (`make bench`).
#   tools/bench.sh MTA [PTQ_CKPT]
# Throughput rows: mta and PyTorch measured alternately $BENCH_REPEAT (3) times, medians (one
# run of a full-width ResNet_18 training is only a few iterations, and the machine is shared).
# Prints TSV: what, model, mta, torch, ratio (mta/torch for throughput; for PTQ seconds the
# ratio oracle/mta, since smaller is better: per timed config, and over all 43 configs with the
# oracle extrapolated per config from its timed ones); when mta has oneDNN (mta version says
# so with MTA_CONV=dnnl), the throughput rows add mta_dnnl and its ratio, measured in the same
# alternation (mta, mta with MTA_CONV=dnnl, PyTorch).  Threads: $BENCH_THREADS (2), batch 128,
# $BENCH_SECONDS (10) per measurement; PTQ: $BENCH_CALIB calibration batches (4), $BENCH_TEST
# images (256) for the per-config comparison, BENCH_FULL=0 skips the full 43-config sweep.  PyTorch is Debian's python3-torch (/usr/bin/python3).
set -eu
MTA=${1:?usage: bench.sh MTA [PTQ_CKPT]}
CKPT=${2:-}
T=${BENCH_THREADS:-2}
S=${BENCH_SECONDS:-10}
PY=/usr/bin/python3
HERE=$(dirname "$0")
kernel=$("$MTA" bench AlexNet_BN --seconds 0 --batch 1 --threads 1 | tail -n 1 | cut -f6)
echo "# mta vs PyTorch $($PY -c 'import torch; print(torch.__version__)' 2>/dev/null || echo missing), $T threads, batch 128, ${S}s per row"
peak=$("$MTA" bench AlexNet_BN --layers --width 0.25 --batch 1 --seconds 0 --threads "$T" | sed -n 's/.*FMA peak \([^)]*)\).*/\1/p')
dnnl=$(MTA_CONV=dnnl "$MTA" version 2>/dev/null | sed -n 's/^convolutions: \(.*\) (MTA_CONV=dnnl)$/\1/p')
echo "# backend: OpenBLAS sgemm for convolutions (im2col) and linear layers, mta's own kernels for the rest"
[ -n "$dnnl" ] && echo "# mta_dnnl: MTA_CONV=dnnl, ungrouped spatial convolutions through $dnnl (1x1, grouped and stem convs stay on OpenBLAS)"
echo "# OpenBLAS kernel: $kernel (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}); measured FMA peak: $peak; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# per-layer time, GFLOP/s and share of that peak: $MTA bench MODEL --layers [--mode train] [--width W]"
if [ -n "$dnnl" ]; then printf 'what\tmodel\tmta\ttorch\tratio\tmta_dnnl\tratio_dnnl\n'; else printf 'what\tmodel\tmta\ttorch\tratio\n'; fi
median() { echo $* | tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
row() {  # mode model [width]: mta (and mta_dnnl) and PyTorch alternately, $BENCH_REPEAT (3) times each; medians
    R=${BENCH_REPEAT:-3} ms="" ds="" ts="" W=${3:-1}
    i=0
    while [ $i -lt "$R" ]; do
        ms="$ms $("$MTA" bench "$2" --mode "$1" --width "$W" --batch 128 --threads "$T" --seconds "$S" | tail -n 1 | cut -f4)"
        [ -z "$dnnl" ] || ds="$ds $(MTA_CONV=dnnl "$MTA" bench "$2" --mode "$1" --width "$W" --batch 128 --threads "$T" --seconds "$S" | tail -n 1 | cut -f4)"
        ts="$ts $($PY "$HERE/bench_torch.py" --model "$2" --mode "$1" --width "$W" --batch 128 --threads "$T" --seconds "$S" | tail -n 1 | cut -f4)"
        i=$((i + 1))
    done
    m=$(median $ms) t=$(median $ts) d=$([ -z "$dnnl" ] || median $ds)
    awk -v w="$1 images/s$( [ "$W" = 1 ] || echo " (width $W)")" -v n="$2" -v m="$m" -v t="$t" -v d="$d" -v ms="$ms" -v ts="$ts" -v ds="$ds" \
        'BEGIN { if (d == "") printf "%s\t%s\t%.1f\t%.1f\t%.2f\t# runs mta%s, torch%s\n", w, n, m, t, m / t, ms, ts
                 else printf "%s\t%s\t%.1f\t%.1f\t%.2f\t%.1f\t%.2f\t# runs mta%s, mta_dnnl%s, torch%s\n", w, n, m, t, m / t, d, d / t, ms, ds, ts }'
}
for model in AlexNet_BN ResNet_18; do row forward "$model"; done
for model in AlexNet_BN ResNet_18 VGG_16; do row train "$model"; done
# training at the default profile's widths (experiments/profiles/default.mk): the networks
# make reproduce trains, thin (1/32 to 1/4), where BN, pooling and copies weigh as much as the convs
row train AlexNet_BN 0.25
row train ResNet_18 0.0625
row train Inception_BN 0.0625
row train ResNet_50 0.0625
row train ResNet_152 0.03125
row train MobileNetV2 0.125
# PGD-10 attacks (eval-mode input gradients) at the default profile's widths
row pgd AlexNet_BN 0.25
row pgd ResNet_18 0.0625
# data-free generator training steps (generator at the default profile's width 0.25), samples/s
row gen AlexNet_BN 0.25
row gen ResNet_18 0.0625
# the language model (issue 14) at the default profile's sizes (LM_EMBED/LM_HIDDEN 128,
# 10,001 words, batch 20, BPTT 35): tokens/s against PyTorch's nn.LSTM model of the same shape
lmrow() {  # mode
    R=${BENCH_REPEAT:-3} ms="" ts="" i=0
    while [ $i -lt "$R" ]; do
        ms="$ms $("$MTA" bench PTB_LSTM --mode "$1" --vocab 10001 --embed 128 --hidden 128 --threads "$T" --seconds "$S" | tail -n 1 | cut -f4)"
        ts="$ts $($PY "$HERE/bench_lm_torch.py" --mode "$1" --vocab 10001 --embed 128 --hidden 128 --threads "$T" --seconds "$S" | tail -n 1 | cut -f4)"
        i=$((i + 1))
    done
    m=$(median $ms) t=$(median $ts)
    awk -v w="lm $1 tokens/s (128/128, 10001 words)" -v m="$m" -v t="$t" -v ms="$ms" -v ts="$ts" -v d="$dnnl" \
        'BEGIN { printf "%s\tPTB_LSTM\t%.1f\t%.1f\t%.2f%s\t# runs mta%s, torch%s\n", w, m, t, m / t, d == "" ? "" : "\t-\t-", ms, ts }'
}
lmrow train
lmrow forward
if [ -n "$CKPT" ] && [ -f "$CKPT" ]; then
    # PTQ: mta's sweep in the reference's mode against the oracle doing the same configs the
    # reference's way (full nearest-value search over the grid), same images, per config;
    # then the wall time of the full 43-config sweep on the 10,000 test images.
    CB=${BENCH_CALIB:-4} TI=${BENCH_TEST:-256}
    "$MTA" ptq "$CKPT" --data fmnist --configs all --calib-batches "$CB" --limit "$TI" \
        --select first --compat reference --threads "$T" --quiet --out /tmp/mta-bench-ptq.$$.tsv \
        --layers /tmp/mta-bench-ptq.$$.layers.tsv
    $PY "$HERE/ptq_oracle.py" --time INT_8 POT_4 FLOAT_8_E4 --nearest brute --ckpt "$CKPT" --calib-batches "$CB" \
        --test-images "$TI" --threads "$T" > /tmp/mta-bench-oracle.$$.txt
    for title in INT_8 POT_4 FLOAT_8_E4; do
        m=$(awk -F '\t' -v t="$title" '$1 == t { print $NF }' /tmp/mta-bench-ptq.$$.tsv)
        o=$(awk -v t="$title" '$1 == t { print $2 }' /tmp/mta-bench-oracle.$$.txt)
        awk -v t="$title" -v m="$m" -v o="$o" 'BEGIN { printf "ptq s/config (%s, reference way)\tResNet_18\t%.2f\t%.2f\t%.1f\n", t, m, o, o / m }'
    done
    # all 43 configs: mta measured; the oracle extrapolated per config from its three timed ones --
    # INT (no search) as INT_8, POT/FLOAT as POT_4 plus a cost per grid value (the search is
    # linear in the grid size 2^b - 1) fitted between POT_4 (15 values) and FLOAT_8_E4 (255)
    awk -F '\t' -v of=/tmp/mta-bench-oracle.$$.txt '
        BEGIN { while ((getline l < of) > 0) { split(l, f, " "); o[f[1]] = f[2] }
                c = (o["FLOAT_8_E4"] - o["POT_4"]) / 240; if (c < 0) c = 0 }
        NR > 1 && $1 != "title" { m += $NF; n++
            if ($2 == "INT") e += o["INT_8"]; else e += o["POT_4"] + c * (2 ^ $3 - 1 - 15) }
        END { printf "ptq s, all %d configs (oracle extrapolated)\tResNet_18\t%.1f\t%.1f\t%.1f\n", n, m, e, e / m }' \
        /tmp/mta-bench-ptq.$$.tsv
    if [ "${BENCH_FULL:-1}" = 1 ]; then
        start=$(date +%s.%N)
        "$MTA" ptq "$CKPT" --data fmnist --calib-batches "$CB" --threads "$T" --quiet \
            --out /tmp/mta-bench-ptq.$$.tsv --layers /tmp/mta-bench-ptq.$$.layers.tsv
        end=$(date +%s.%N)
        awk -v a="$start" -v b="$end" 'BEGIN { printf "ptq full sweep s (43 configs, 10000 images)\tResNet_18\t%.1f\t-\t-\n", b - a }'
    fi
    rm -f /tmp/mta-bench-ptq.$$.tsv /tmp/mta-bench-ptq.$$.layers.tsv /tmp/mta-bench-oracle.$$.txt
fi
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
