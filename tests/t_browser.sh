#!/bin/sh
# t_browser.sh -- the HTML reports as a reader sees them.  Each page is rendered by headless
# Chromium in a 1280 px wide window at 100 % zoom, and tests/browser_check.js (appended to a
# copy of the page) measures, once it has loaded:
#   1. horizontal overflow: the page wider than the window, or a table, figure, img, pre or div
#      whose right edge is past it, or that scrolls (or cuts) its content sideways;
#   2. text below 11 px: the text of each embedded SVG figure at its displayed size (font-size,
#      inherited from <g>, times the figure's displayed width over its viewBox width), and the
#      computed font-size of table cells and figcaptions;
#   3. images that did not load.
# Why: t_pipeline.sh greps the HTML, which cannot see that a 800-unit gnuplot figure squeezed
# into half a column prints 6 px tick labels, or that an 11-column table runs off the screen.
# Each offender is named by its id (or its nearest ancestor's id, or its caption).
# Usage: tests/t_browser.sh [--screenshot DIR] [--width PX] [HTML...]
#   no HTML: reports/default/main.html and fit_bkp.html, and those of reports/quick if built;
#   --screenshot DIR: also write DIR/<name>-top.png, the first 1000 px, for a human to look at
#   (it does not change the result); --width PX: another window width (default 1280).
# TAP, run by prove --exec '': "chromium is installed", then three tests per file.  A few
# seconds a file.  Needs the Debian package chromium (CHROMIUM=path to use another binary).

width=1280 shots=
while [ $# -gt 0 ]; do
    case $1 in
    --screenshot) [ $# -ge 2 ] || { echo "$0: --screenshot needs a directory" >&2; exit 2; }; shots=$2; shift 2 ;;
    --screenshot=*) shots=${1#*=}; shift ;;
    --width) [ $# -ge 2 ] || { echo "$0: --width needs a number" >&2; exit 2; }; width=$2; shift 2 ;;
    --width=*) width=${1#*=}; shift ;;
    --) shift; break ;;
    -*) echo "usage: $0 [--screenshot DIR] [--width PX] [HTML...]" >&2; exit 2 ;;
    *) break ;;
    esac
done
# the arguments are relative to where we were called from, the rest to the repo root
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
[ -z "$shots" ] || shots=$(abs "$shots")
i=0 nargs=$#
while [ $i -lt $nargs ]; do f=$(abs "$1"); shift; set -- "$@" "$f"; i=$((i + 1)); done
cd "$(dirname "$0")/.." || exit 1
root=$PWD
JS=$root/tests/browser_check.js
if [ $# -eq 0 ]; then
    set -- reports/default/main.html reports/default/fit_bkp.html
    for f in reports/quick/main.html reports/quick/fit_bkp.html; do [ -e "$f" ] && set -- "$@" "$f"; done
fi

n=0 failed=0
ok() { # cond-status description
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
diag() { sed 's/^/# /'; }
T=$(printf '\t')                     # the findings are CLASS<tab>what

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_browser.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
# a path as a file:// URL (the characters a path may hold that a URL may not)
url() { printf 'file://%s' "$1" | sed 's/%/%25/g; s/ /%20/g; s/#/%23/g; s/?/%3F/g; s/"/%22/g'; }
CHROMIUM=${CHROMIUM:-$(command -v chromium || echo /usr/bin/chromium)}
chrome() { # chromium args... (100 % zoom, no scrollbars taking width, its own profile)
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --force-device-scale-factor=1 --no-first-run --user-data-dir="$tmp/profile" \
        --window-size="$width",1000 --virtual-time-budget=10000 "$@"
}

echo "1..$((1 + 3 * $#))"
[ -x "$CHROMIUM" ]; have=$?
ok $have "chromium is installed ($CHROMIUM)"
[ $have -eq 0 ] || echo "apt-get install chromium (make deps)" | diag

k=0
for f; do
    k=$((k + 1)) w=$tmp/$k
    mkdir -p "$w"
    shown=${f#"$root"/} page=
    t0=$(date +%s)
    if [ $have -ne 0 ]; then
        echo "chromium is missing: apt-get install chromium (make deps)" > "$w/why"
    elif [ ! -f "$f" ]; then
        echo "no such file: $f" > "$w/why"
    else
        # the copy: a <base> after <head> so that relative links still resolve, the check
        # appended after </html> (the parser puts it at the end of <body>)
        dir=$(cd "$(dirname "$f")" && pwd) page=$dir/$(basename "$f")
        awk -v base="<base href=\"$(url "$dir")/\">" '
            !done && match(tolower($0), /<head([ \t][^>]*)?>/) {
                $0 = substr($0, 1, RSTART + RLENGTH - 1) base substr($0, RSTART + RLENGTH); done = 1 }
            { print }' "$f" > "$w/page.html"
        { echo '<script>'; cat "$JS"; echo '</script>'; } >> "$w/page.html"
        chrome --dump-dom "$(url "$w/page.html")" > "$w/dom" 2> "$w/log"
        rc=$?
        # the findings, unescaped (the DOM dump writes &, <, > and no-break space as entities)
        # (the last such <pre>: the text of the script, dumped as it is, may mention one)
        awk '{ s = $0
               while (i = index(s, "<pre id=\"mta-browser-check\"")) { s = substr(s, i); sub(/^[^>]*>/, "", s); on = 1; b = "" }
               if (!on) next
               if (j = index(s, "</pre>")) { last = b substr(s, 1, j - 1); on = 0 } else b = b s "\n" }
             END { printf "%s", last }' "$w/dom" |
            sed 's/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&nbsp;/ /g; s/&amp;/\&/g' > "$w/found"
        if [ $rc -ne 0 ] || ! grep -qx "done" "$w/found"; then
            { echo "chromium did not report on $shown (exit $rc$([ $rc -eq 124 ] && echo ', timed out after 120 s')); its log:"
              tail -n 30 "$w/log"; } > "$w/why"
        elif grep -q "^error$T" "$w/found"; then
            { echo "the check failed inside the page:"; sed -n "s/^error$T//p" "$w/found"; } > "$w/why"
        fi
    fi
    # one test per class of finding; when the page could not be checked, all three fail
    check() { # class description
        if [ -s "$w/why" ]; then
            ok 1 "$shown: $2"; diag < "$w/why"
            [ -e "$w/said" ] || { echo "$(head -n 1 "$w/why" | sed 's/;* *its log:$//; s/:$//') (as above)" > "$w/said"; cp "$w/said" "$w/why"; }
        else
            grep -q "^$1$T" "$w/found"; ok $((1 - $?)) "$shown: $2"
            sed -n "s/^$1$T//p" "$w/found" | diag
        fi
    }
    check overflow "nothing wider than the $width px window (page, table, figure, img, pre, div)"
    check font "no text below 11 px (SVG figures as displayed, table cells, figcaptions)"
    check image "every image loaded"
    [ -s "$w/why" ] || { sed -n "s/^info$T//p" "$w/found"; echo "checked in $(($(date +%s) - t0)) s"; } | diag

    if [ -n "$shots" ] && [ -n "$page" ]; then
        name=$(basename "$f" .html)
        [ -e "$tmp/shot-$name" ] && name=$(basename "$(dirname "$f")")-$name   # default/main, quick/main
        : > "$tmp/shot-$name"
        if mkdir -p "$shots" && chrome --screenshot="$shots/$name-top.png" "$(url "$page")" > "$w/shot.log" 2>&1 &&
            [ -s "$shots/$name-top.png" ]; then echo "screenshot: $shots/$name-top.png" | diag
        else { echo "screenshot of $shown failed:"; tail -n 10 "$w/shot.log"; } | diag; fi
    fi
done

[ $failed -eq 0 ]
