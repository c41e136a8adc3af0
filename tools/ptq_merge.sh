#!/bin/sh
# ptq_merge.sh OUT CONFIGS CHUNK... -- merge the chunks of one model's PTQ sweep (cluster.mk)
# into OUT.tsv, OUT.layers.tsv and OUT.settings.tsv: the bytes one `mta ptq` run over all of
# CONFIGS (comma-separated, canonical order) writes.  Each CHUNK is a path prefix with
# CHUNK.tsv, CHUNK.layers.tsv and CHUNK.settings.tsv.  The chunks' rows are taken in the order
# given; every configuration of CONFIGS must come exactly once, in order, and the chunks must
# agree on the header and on every setting but `configs` (their count, summed).  Anything else
# is an error naming the chunk; nothing is written then (outputs go to temporary files first).
set -eu
[ $# -ge 3 ] || { echo "usage: ptq_merge.sh OUT CONFIGS CHUNK..." >&2; exit 2; }
out=$1 configs=$2
shift 2
for c in "$@"; do
    for s in .tsv .layers.tsv .settings.tsv; do
        [ -s "$c$s" ] || { echo "ptq_merge: missing chunk $c$s (for $out.tsv)" >&2; exit 1; }
    done
done
tmp=$out.merge.tmp
trap 'rm -f "$tmp".tsv "$tmp".layers.tsv "$tmp".settings.tsv' EXIT

# the result rows: header once, titles checked against CONFIGS
for c in "$@"; do printf '%s\n' "$c.tsv"; done | awk -v configs="$configs" -v out="$out.tsv" '
BEGIN { FS = "\t"; n = split(configs, want, ","); k = 0; bad = 0 }
{
    f = $0
    first = 1
    while ((getline line < f) > 0) {
        if (first) { first = 0
            if (header == "") { header = line; print line }
            else if (line != header) { print "ptq_merge: " f ": header differs from the first chunk'\''s" > "/dev/stderr"; bad = 1; exit 1 }
            continue }
        split(line, a, "\t"); t = a[1]
        if (t in seen) { print "ptq_merge: configuration " t " appears twice: in " seen[t] " and " f > "/dev/stderr"; bad = 1; exit 1 }
        seen[t] = f; k++
        if (k > n) { print "ptq_merge: " f ": configuration " t " is not in the sweep (" n " expected)" > "/dev/stderr"; bad = 1; exit 1 }
        if (t != want[k]) { print "ptq_merge: " f ": configuration " t " where " want[k] " was expected (configuration " k " of " n ")" > "/dev/stderr"; bad = 1; exit 1 }
        print line
    }
    close(f)
    if (first) { print "ptq_merge: " f ": empty" > "/dev/stderr"; bad = 1; exit 1 }
}
END { if (!bad && k < n) { print "ptq_merge: " out ": " n - k " configurations missing, from " want[k + 1] " on (is a chunk missing from the list?)" > "/dev/stderr"; exit 1 } }
' > "$tmp.tsv"

# the layer rows: header once, then every chunk's rows in order
awk 'FNR == 1 { if (NR == 1) { h = $0; print; next } if ($0 != h) { print "ptq_merge: " FILENAME ": layer header differs" > "/dev/stderr"; exit 1 } next } { print }' \
    $(for c in "$@"; do printf '%s ' "$c.layers.tsv"; done) > "$tmp.layers.tsv"

# the settings: equal in every chunk except configs, which adds up
awk -F '\t' -v OFS='\t' '
FNR == 1 { nf++ }
{ key[FNR] = $1; if (nf == 1) { val[FNR] = $2; rows = FNR }
  else if (FNR > rows || key[FNR] != $1) { print "ptq_merge: " FILENAME ": setting rows differ from the first chunk'\''s" > "/dev/stderr"; exit 1 }
  else if ($1 == "configs") val[FNR] += $2
  else if (val[FNR] != $2) { print "ptq_merge: " FILENAME ": setting " $1 " is " $2 ", the first chunk has " val[FNR] > "/dev/stderr"; exit 1 } }
END { for (i = 1; i <= rows; i++) print key[i], val[i] }' \
    $(for c in "$@"; do printf '%s ' "$c.settings.tsv"; done) > "$tmp.settings.tsv"

mv "$tmp.settings.tsv" "$out.settings.tsv"
mv "$tmp.layers.tsv" "$out.layers.tsv"
mv "$tmp.tsv" "$out.tsv"
trap - EXIT
