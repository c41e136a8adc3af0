#!/bin/sh
# t_layers.sh — the engine's folders depend one way: cli -> train/quant/fit -> nn -> io -> base.
# Every #include "dir/file.h" of src/DIR must name DIR itself or a folder below it.
cd "$(dirname "$0")/.." || exit 1
rank() { case $1 in base) echo 0;; io) echo 1;; nn) echo 2;; train|quant|fit) echo 3;; cli) echo 4;; *) echo 9;; esac; }
dirs="base io nn train quant fit cli"
echo "1..$(echo $dirs | wc -w)"
i=0
for d in $dirs; do
  i=$((i + 1)); bad=""
  for f in src/$d/*.[ch]; do
    for inc in $(sed -n 's/^#include "\([a-z_]*\)\/.*/\1/p' "$f" | sort -u); do
      if [ "$inc" != "$d" ] && [ "$(rank "$inc")" -ge "$(rank "$d")" ]; then bad="$bad $f->$inc"; fi
    done
  done
  if [ -z "$bad" ]; then echo "ok $i - src/$d includes only folders below it"
  else echo "not ok $i - src/$d includes only folders below it"; echo "# wrong-way includes:$bad"; fi
done
