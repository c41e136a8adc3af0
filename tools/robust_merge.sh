#!/bin/sh
# robust_merge.sh OUT CONFIGS CHUNK... -- merge the chunks of one model's robustness sweep
# (cluster.mk) into OUT.tsv and OUT.settings.tsv: the bytes one `mta robust` run over all of
# CONFIGS (comma-separated, canonical order) writes.  Each CHUNK is a path prefix with
# CHUNK.tsv and CHUNK.settings.tsv, a run with a slice of CONFIGS.  Every chunk begins with the
# full-precision row (Full): it must be the same in every chunk but for its wall time (the
# attacks are seeded, so a difference means the chunks did not run the same model, data or
# settings), and the merge keeps the first chunk's.  The configurations must come exactly once,
# in order; the chunks must agree on the header and on every setting but `models` (1 + their
# configurations).  Anything else is an error naming the chunk, and nothing is written.
set -eu
[ $# -ge 3 ] || { echo "usage: robust_merge.sh OUT CONFIGS CHUNK..." >&2; exit 2; }
out=$1 configs=$2
shift 2
for c in "$@"; do
    for s in .tsv .settings.tsv; do
        [ -s "$c$s" ] || { echo "robust_merge: missing chunk $c$s (for $out.tsv)" >&2; exit 1; }
    done
done
tmp=$out.merge.tmp
trap 'rm -f "$tmp".tsv "$tmp".settings.tsv' EXIT

for c in "$@"; do printf '%s\n' "$c.tsv"; done | awk -v configs="$configs" -v out="$out.tsv" '
BEGIN { FS = "\t"; n = split(configs, want, ","); k = 0; bad = 0 }
function strip(s,   a, i, m, r) { m = split(s, a, "\t"); r = ""; for (i = 1; i <= m; i++) if (i != sec) r = r "\t" a[i]; return r }
{
    f = $0; row = 0
    while ((getline line < f) > 0) {
        row++
        if (row == 1) {
            if (header == "") { header = line; print line; m = split(line, h, "\t"); for (i = 1; i <= m; i++) if (h[i] == "seconds") sec = i }
            else if (line != header) { print "robust_merge: " f ": header differs from the first chunk'\''s" > "/dev/stderr"; bad = 1; exit 1 }
            continue }
        split(line, a, "\t"); t = a[1]
        if (row == 2) {
            if (t != "Full") { print "robust_merge: " f ": the first row is " t ", not the full-precision model (Full)" > "/dev/stderr"; bad = 1; exit 1 }
            if (full == "") { full = strip(line); first = f; print line }
            else if (strip(line) != full) { print "robust_merge: " f ": its full-precision row differs from " first "'\''s (not the same model, data or settings)" > "/dev/stderr"; bad = 1; exit 1 }
            continue }
        if (t in seen) { print "robust_merge: configuration " t " appears twice: in " seen[t] " and " f > "/dev/stderr"; bad = 1; exit 1 }
        seen[t] = f; k++
        if (k > n) { print "robust_merge: " f ": configuration " t " is not in the sweep (" n " expected)" > "/dev/stderr"; bad = 1; exit 1 }
        if (t != want[k]) { print "robust_merge: " f ": configuration " t " where " want[k] " was expected (configuration " k " of " n ")" > "/dev/stderr"; bad = 1; exit 1 }
        print line
    }
    close(f)
    if (row < 2) { print "robust_merge: " f ": no rows" > "/dev/stderr"; bad = 1; exit 1 }
}
END { if (!bad && k < n) { print "robust_merge: " out ": " n - k " configurations missing, from " want[k + 1] " on (is a chunk missing from the list?)" > "/dev/stderr"; exit 1 } }
' > "$tmp.tsv"

# the settings: equal in every chunk except models (Full and the chunk's configurations)
awk -F '\t' -v OFS='\t' '
FNR == 1 { nf++ }
{ key[FNR] = $1; if (nf == 1) { val[FNR] = $2; rows = FNR }
  else if (FNR > rows || key[FNR] != $1) { print "robust_merge: " FILENAME ": setting rows differ from the first chunk'\''s" > "/dev/stderr"; exit 1 }
  else if ($1 == "models") val[FNR] += $2 - 1
  else if (val[FNR] != $2) { print "robust_merge: " FILENAME ": setting " $1 " is " $2 ", the first chunk has " val[FNR] > "/dev/stderr"; exit 1 } }
END { for (i = 1; i <= rows; i++) print key[i], val[i] }' \
    $(for c in "$@"; do printf '%s ' "$c.settings.tsv"; done) > "$tmp.settings.tsv"

mv "$tmp.settings.tsv" "$out.settings.tsv"
mv "$tmp.tsv" "$out.tsv"
trap - EXIT
