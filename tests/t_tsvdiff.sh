#!/bin/sh
# t_tsvdiff.sh — tools/tsvdiff on small trees: a changed number is found and named; the
# environment fields (mta_version compiler blas blas_kernel threads, as columns or as rows
# of a setting/value table) are printed but never count as a change.
cd "$(dirname "$0")/.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_tsvdiff.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/a" "$tmp/b"
printf 'model\tacc\tblas_kernel\tthreads\nA\t1.5\tHaswell\t2\nB\t2\tHaswell\t2\n' > "$tmp/a/t.tsv"
printf 'model\tacc\tblas_kernel\tthreads\nA\t1.5\tCooperlake\t1\nB\t2\tCooperlake\t1\n' > "$tmp/b/t.tsv"
printf 'setting\tvalue\nSEED\t1\nblas_kernel\tHaswell\n' > "$tmp/a/s.tsv"
printf 'setting\tvalue\nSEED\t1\nblas_kernel\tSkylakeX\nmta_version\tabc\n' > "$tmp/b/s.tsv"
echo "1..4"
tools/tsvdiff "$tmp/a" "$tmp/b" > "$tmp/env.out" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q "^t.tsv	A	blas_kernel	Haswell	Cooperlake	(environment)" "$tmp/env.out" &&
   grep -q "^s.tsv	blas_kernel	value	Haswell	SkylakeX	(environment)" "$tmp/env.out"; then
  echo "ok 1 - environment columns and rows differ: exit 0, printed as (environment)"
else echo "not ok 1 - environment columns and rows differ: exit 0, printed as (environment)"; sed 's/^/# /' "$tmp/env.out"; fi
n=$(grep -c "(environment)" "$tmp/env.out")
if [ "$n" -eq 3 ]; then echo "ok 2 - each distinct environment change printed once per file ($n lines)"
else echo "not ok 2 - each distinct environment change printed once per file ($n lines, want 3)"; fi
printf 'model\tacc\tblas_kernel\tthreads\nA\t1.6\tCooperlake\t1\nB\t2\tCooperlake\t1\n' > "$tmp/b/t.tsv"
tools/tsvdiff "$tmp/a" "$tmp/b" > "$tmp/num.out" 2>&1; rc=$?
if [ $rc -eq 1 ] && grep -q "^t.tsv	A	acc	1.5	1.6	" "$tmp/num.out"; then echo "ok 3 - a changed number beside them: exit 1, named"
else echo "not ok 3 - a changed number beside them: exit 1, named"; sed 's/^/# /' "$tmp/num.out"; fi
tools/tsvdiff -i acc "$tmp/a" "$tmp/b" > "$tmp/ign.out" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q "ignoring columns acc" "$tmp/ign.out"; then echo "ok 4 - -i acc leaves that column out: exit 0"
else echo "not ok 4 - -i acc leaves that column out: exit 0"; sed 's/^/# /' "$tmp/ign.out"; fi
