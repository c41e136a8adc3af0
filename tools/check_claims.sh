#!/bin/sh
# check_claims.sh FILE... -- no hand-typed result in the prose of a report source or the README:
# after removing what is generated or is not prose -- HTML comments, the README's generated
# results block (<!-- results:begin --> .. <!-- results:end -->), code blocks and code spans,
# the filled-in spans [ ]{.tsv ...} / [ ]{.meta ...}, fenced-div and attribute lines, image
# and link targets -- a line must not name a model (experiments/models/*.model) and must not
# hold a free-standing number (digits not part of a name such as INT_8, P2/Q2, CIFAR-10 or
# log10) or a section reference (§4.1).  In a README.md only the "## Results" section is read
# (the rest documents flags and defaults).  Allowed exceptions, each with its reason, are the
# lines of tools/claims_allow.txt (fixed strings: definitions, method constants and facts about
# the reference, not results of a run).
# Prints every offending line as FILE:LINE: TEXT and exits 1 if there is one.

here=$(dirname "$0")
allow=$here/claims_allow.txt
models=$(ls "$here/../experiments/models/"*.model 2>/dev/null | sed 's|.*/||; s|[.]model$||' | tr '\n' '|' | sed 's/|$//')
status=0
for f in "$@"; do
    readme=0
    case $f in *README.md) readme=1 ;; esac
    awk -v models="$models" -v allowf="$allow" -v file="$f" -v readme="$readme" '
        # [ ]{...} spans, whose attributes hold {NAME} placeholders: match the braces
        function strip_spans(t,    out, k, d, i, c) {
            out = ""
            while ((k = index(t, "[ ]{")) > 0) {
                out = out substr(t, 1, k - 1) " "; d = 0
                for (i = k + 3; i <= length(t); i++) {
                    c = substr(t, i, 1)
                    if (c == "{") d++
                    else if (c == "}" && --d == 0) break
                }
                t = substr(t, i + 1)
            }
            return out t
        }
        BEGIN {
            while ((getline l < allowf) > 0) if (l !~ /^#/ && l != "") { sub(/\t.*/, "", l); allow[++na] = l }
        }
        /^<!-- results:begin -->$/ { ingen = 1; next }
        /^<!-- results:end -->$/ { ingen = 0; next }
        ingen { next }
        /<!--/ { incomment = 1 }
        incomment { if (/-->/) incomment = 0; next }
        readme && /^## / { inresults = ($0 ~ /^## Results/) }
        readme && !inresults { next }
        /^(```|~~~)/ { incode = !incode; next }
        incode { next }
        /^:::/ { next }
        /^\|[-| :]*\|$/ { next }
        {
            t = $0
            for (i = 1; i <= na; i++) { while ((k = index(t, allow[i])) > 0) t = substr(t, 1, k - 1) " " substr(t, k + length(allow[i])) }
            gsub(/`[^`]*`/, " ", t)
            t = strip_spans(t)
            gsub(/§[0-9.]+/, " ", t)
            sub(/^#+ [0-9]+[.] /, "## ", t)
            gsub(/\]\([^)]*\)/, "]", t)
            gsub(/\{[#.][^}]*\}/, " ", t)
            gsub(/https?:[^ )]*/, " ", t)
            bad = ""
            if (models != "" && match(t, "(^|[^A-Za-z0-9_])(" models ")([^A-Za-z0-9_]|$)")) bad = "model name"
            # a number not glued to a name: not preceded by a letter, _, -, / or digit-letter
            # (INT_8, P2/Q2, CIFAR-10, log10, L2, FP32, x0) and not followed by a letter or _
            else if (match(t, "(^|[^A-Za-z0-9_/.^-])[0-9]+([.,:][0-9]+)*([^A-Za-z0-9_]|$)")) bad = "number"
            if (bad != "") { printf "%s:%d: %s: %s\n", file, FNR, bad, $0; found = 1 }
        }
        END { exit found ? 1 : 0 }
    ' "$f" || status=1
done
exit $status
