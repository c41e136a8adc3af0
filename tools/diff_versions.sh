#!/bin/sh
# diff_versions.sh DIR TABLE META -- what changed between the last two versions of the result
# tables in DIR (data/<profile>): when DIR holds results not committed yet (a run just made
# them), those against the last commit that touched DIR -- once committed, they are the last
# two committed versions; otherwise the two most recent commits that touched DIR.  Each commit
# is extracted into a temporary folder; tools/tsvdiff compares them as `make diff` does (wall
# times left out).  Writes, for the report's appendix:
#   TABLE  one row per changed file: file, cells_changed, rows_changed (rows added or removed),
#          columns (the changed columns and added/removed columns or file, up to 6),
#          largest_rel_change
#   META   key/text rows: old, new (revision, date, subject), verdict (one sentence)
# Both are written to temporary files and renamed.  DIFF_IGNORE (comma-separated columns) as in
# `make diff`.  Exit 0 unless git or tsvdiff fail to run.

dir=${1:?usage: diff_versions.sh DIR TABLE META}
table=${2:?usage: diff_versions.sh DIR TABLE META}
meta=${3:?usage: diff_versions.sh DIR TABLE META}
ignore=${DIFF_IGNORE:-seconds,train_seconds,ptq_seconds,total_seconds}
here=$(dirname "$0")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mta-diffv.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

finish() { # verdict text
    printf 'file\tcells_changed\trows_changed\tcolumns\tlargest_rel_change\n' > "$tmp/table.head"
    cat "$tmp/table.head" "$tmp/table.body" > "$table.tmp" 2>/dev/null || cp "$tmp/table.head" "$table.tmp"
    { printf 'key\ttext\n'; printf 'old\t%s\nnew\t%s\nverdict\t%s\n' "$old_txt" "$new_txt" "$1"; } > "$meta.tmp"
    mv "$table.tmp" "$table" && mv "$meta.tmp" "$meta"
}
old_txt="-" new_txt="-"
: > "$tmp/table.body"
if ! git rev-parse --git-dir >/dev/null 2>&1; then finish "Not a git checkout: no committed versions of $dir to compare."; exit 0; fi
set -- $(git log -n 2 --format=%h -- "$dir" 2>/dev/null)
# results not committed yet (a run that regenerated DIR): they are the newest version, and the
# last commit the one before; otherwise the last two commits
if [ $# -ge 1 ] && [ -n "$(git status --porcelain -- "$dir" 2>/dev/null)" ]; then
    old=$1 new=
elif [ $# -ge 2 ]; then
    old=$2 new=$1
else
    shallow=""
    [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ] && shallow=" (this clone is shallow: its history is cut off)"
    finish "Fewer than two versions of $dir to compare ($# committed)$shallow."
    exit 0
fi
old_txt="$old $(git log -1 --format='%cs: %s' "$old" | cut -c1-120)"
mkdir -p "$tmp/$old"
git archive --format=tar "$old" -- "$dir" | tar -x -C "$tmp/$old" || exit 2
if [ -n "$new" ]; then
    new_txt="$new $(git log -1 --format='%cs: %s' "$new" | cut -c1-120)"
    mkdir -p "$tmp/$new"
    git archive --format=tar "$new" -- "$dir" | tar -x -C "$tmp/$new" || exit 2
    newdir=$tmp/$new/$dir
else
    new_txt="this run (not committed yet: it becomes the next committed version)"
    newdir=$dir
fi
"$here/tsvdiff" -i "$ignore" -m 0 "$tmp/$old/$dir" "$newdir" > "$tmp/diff.out" 2> "$tmp/diff.err"
rc=$?
if [ $rc -gt 1 ]; then cat "$tmp/diff.err" >&2; exit 2; fi
# tsvdiff lines: file key column old new abs rel (a changed cell), or a "(row added)",
# "(column removed)", "(file added)" ... note in the old or new field; environment rows and
# columns are never counted; its own messages start with "tsvdiff:"
awk -F '\t' '
    $1 ~ /^tsvdiff:/ || $1 == "file" || NF < 2 { next }
    NF >= 7 && $7 ~ /^[0-9.eE+-]+$/ {
        f = $1; if (!(f in n)) order[++k] = f
        n[f]++; if (!((f, $3) in seen)) { seen[f, $3] = 1; nc[f]++; if (nc[f] <= 6) cols[f] = cols[f] (nc[f] > 1 ? " " : "") $3 }
        if ($7 + 0 > mx[f]) mx[f] = $7 + 0
        next
    }
    $4 ~ /environment/ || $5 ~ /environment/ { next }
    {   # a row, column or file added or removed: "(row added)" etc. in the old or new field
        f = $1; what = $4 != "" ? $4 : $5
        if (!(f in n)) { order[++k] = f; n[f] = 0 }
        if (what ~ /row/) other[f]++
        else {
            if ($3 ~ /^(mta_version|compiler|blas|blas_kernel|threads)$/) next
            name = what ~ /file added/ ? "(new file)" : what ~ /file/ ? "(file removed)" : (what ~ /added/ ? "+" : "−") $3
            if (!((f, name) in seen)) { seen[f, name] = 1; nc[f]++; if (nc[f] <= 6) cols[f] = cols[f] (nc[f] > 1 ? " " : "") name }
        }
    }
    END {
        for (i = 1; i <= k; i++) { f = order[i]
            if (!n[f] && !other[f] && !(f in cols)) continue
            printf "%s\t%d\t%d\t%s\t%s\n", f, n[f], other[f] + 0, (f in cols) ? cols[f] (nc[f] > 6 ? " …" : "") : "-", (f in mx) ? sprintf("%.3g", mx[f]) : "-" }
    }' "$tmp/diff.out" > "$tmp/table.body"
nfiles=$(wc -l < "$tmp/table.body")
ncells=$(awk -F '\t' '{ s += $2 } END { print s + 0 }' "$tmp/table.body")
if [ $rc -eq 0 ]; then
    finish "The two versions agree: no cell of $dir changed beyond the tolerance of make diff (wall times left out)."
else
    ncf=$(awk -F '\t' '$2 > 0' "$tmp/table.body" | wc -l)
    if [ "$ncells" -eq 0 ]; then
        finish "No cell changed beyond the tolerance of make diff (wall times left out); $nfiles files gained or lost rows or columns, or are new or gone: the table lists them."
    else
        finish "$ncells cells changed in $ncf files, and $((nfiles - ncf)) more files only gained or lost rows or columns or are new or gone (wall times left out): the table lists them."
    fi
fi
exit 0
