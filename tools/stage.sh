#!/bin/sh
# stage.sh LOG NAME COMMAND... — run one stage of `make reproduce`, append "NAME<TAB>seconds"
# to LOG and print it, so that a run leaves its wall time per stage (build/<profile>/stages.tsv).
set -eu
log=$1 name=$2
shift 2
start=$(date +%s.%N)
"$@"
end=$(date +%s.%N)
mkdir -p "$(dirname "$log")"
[ -s "$log" ] || printf 'stage\tseconds\n' > "$log"
awk -v n="$name" -v a="$start" -v b="$end" 'BEGIN { printf "%s\t%.1f\n", n, b - a }' | tee -a "$log"
