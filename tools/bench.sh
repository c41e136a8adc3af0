#!/bin/sh
# bench.sh — mta against PyTorch on the same cores, in one run (`make bench`).
#   tools/bench.sh MTA [PTQ_CKPT]
# Prints TSV: what, model, mta, torch, ratio (mta/torch; for the PTQ sweep: seconds, and
# the ratio torch/mta since smaller is better).  Threads: $BENCH_THREADS (2), batch 128,
# $BENCH_SECONDS (10) per measurement.  PyTorch is Debian's python3-torch (/usr/bin/python3).
set -eu
MTA=${1:?usage: bench.sh MTA [PTQ_CKPT]}
CKPT=${2:-}
T=${BENCH_THREADS:-2}
S=${BENCH_SECONDS:-10}
PY=/usr/bin/python3
HERE=$(dirname "$0")
kernel=$("$MTA" bench AlexNet_BN --seconds 0 --batch 1 --threads 1 | cut -f6)
echo "# mta vs PyTorch $($PY -c 'import torch; print(torch.__version__)' 2>/dev/null || echo missing), $T threads, batch 128, ${S}s per row"
echo "# OpenBLAS kernel: $kernel (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'what\tmodel\tmta\ttorch\tratio\n'
row() {  # mode model
    m=$("$MTA" bench "$2" --mode "$1" --batch 128 --threads "$T" --seconds "$S" | cut -f4)
    t=$($PY "$HERE/bench_torch.py" --model "$2" --mode "$1" --batch 128 --threads "$T" --seconds "$S" | cut -f4)
    awk -v w="$1 images/s" -v n="$2" -v m="$m" -v t="$t" 'BEGIN { printf "%s\t%s\t%.1f\t%.1f\t%.2f\n", w, n, m, t, m / t }'
}
for model in AlexNet_BN ResNet_18; do row forward "$model"; done
for model in AlexNet_BN ResNet_18 VGG_16; do row train "$model"; done
if [ -n "$CKPT" ] && [ -f "$CKPT" ]; then
    # the full 43-config sweep on 10,000 test images vs the oracle doing a few configs the
    # reference's way (nearest-value search over the grid), extrapolated per config
    start=$(date +%s.%N)
    "$MTA" ptq "$CKPT" --data fmnist --calib-batches "${BENCH_CALIB:-10}" --threads "$T" --quiet \
        --out /tmp/mta-bench-ptq.$$.tsv --layers /tmp/mta-bench-ptq.$$.layers.tsv
    end=$(date +%s.%N)
    rm -f /tmp/mta-bench-ptq.$$.tsv /tmp/mta-bench-ptq.$$.layers.tsv
    per=$($PY "$HERE/ptq_oracle.py" --time INT_8 POT_4 FLOAT_8_E4 --ckpt "$CKPT" --calib-batches "${BENCH_CALIB:-10}" \
          --test-images 10000 | awk '/^seconds_per_config/ {print $2}')
    awk -v a="$start" -v b="$end" -v p="$per" 'BEGIN { s = b - a; printf "ptq sweep seconds (43 configs)\tResNet_18\t%.1f\t%.1f\t%.1f\n", s, 43 * p, 43 * p / s }'
fi
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
