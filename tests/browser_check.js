// tests/browser_check.js -- run inside headless Chromium by tests/t_browser.sh, which appends
// it as a <script> to a copy of an HTML report.  Once the page has loaded it measures what a
// reader at 100 % zoom would suffer and writes one finding a line, "CLASS<TAB>what", into
// a hidden <pre> with the id mta-browser-check, ending with "done":
//   overflow  the page, or a table/figure/img/pre/div, is wider than the window (or scrolls)
//   font      an SVG figure shows text below MIN_PX at its displayed size; a table cell or a
//             figcaption has a computed font-size below MIN_PX
//   image     an image did not load (naturalWidth 0)
//   info      not a finding: the window width, what sticks out of its column but fits the
//             window, the smallest text of all SVG figures
//   error     the check itself failed (a JavaScript exception)
(function () {
    'use strict';
    var MIN_PX = 11;
    var out = [];
    function say(cls, msg) { out.push(cls + '\t' + msg); }
    function px(x) { return (Math.round(x * 10) / 10) + ' px'; }

    // a name a reader can find the element by: its id, else the id of its nearest ancestor
    // with one, else the first 60 characters of its caption, alt text or text
    function name(el) {
        var tag = el.tagName.toLowerCase();
        for (var e = el; e && e.nodeType === 1; e = e.parentElement)
            if (e.id) return e === el ? '#' + e.id : '#' + e.id + ' ' + tag;
        var cap = el.querySelector('caption, figcaption');
        var t = cap ? cap.textContent : el.getAttribute('alt') || el.textContent || el.getAttribute('src') || '';
        return tag + ' "' + t.replace(/\s+/g, ' ').trim().slice(0, 60) + '"';
    }

    function checkOverflow() {
        var vw = window.innerWidth, doc = document.documentElement.scrollWidth;
        say('info', 'window ' + vw + ' px wide');
        if (doc > vw) say('overflow', 'the page is ' + doc + ' px wide, the window ' + vw + ' px');
        document.querySelectorAll('table, figure, img, pre, div').forEach(function (el) {
            var r = el.getBoundingClientRect();
            if (r.width === 0 && r.height === 0) return;            // not rendered
            if (r.right + window.scrollX > vw + 0.5)
                say('overflow', name(el) + ': right edge at ' + px(r.right + window.scrollX) + ' > ' + vw + ' px');
            else if (getComputedStyle(el).overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1)
                say('overflow', name(el) + ': ' + el.scrollWidth + ' px of content in ' + el.clientWidth + ' px (scrolls or is cut)');
            else if (el.tagName !== 'DIV' && el.parentElement && r.right > el.parentElement.getBoundingClientRect().right + 0.5)
                say('info', name(el) + ' sticks out of its column by ' +
                    px(r.right - el.parentElement.getBoundingClientRect().right) + ' (but fits the window)');
        });
    }

    // --- font sizes inside an SVG document, in its user units ---
    var KEYWORD = { 'xx-small': 9, 'x-small': 10, small: 13, medium: 16, large: 18, 'x-large': 24, 'xx-large': 32 };
    var UNIT = { '': 1, px: 1, pt: 4 / 3, pc: 16, in: 96, cm: 96 / 2.54, mm: 96 / 25.4 };
    // a font-size value in user units (em, ex and % against the parent's), or null if unreadable
    function size(v, parent) {
        v = String(v).trim().toLowerCase();
        if (KEYWORD[v]) return KEYWORD[v];
        var m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(px|pt|pc|in|cm|mm|em|rem|ex|%)?$/.exec(v);
        if (!m) return null;
        var n = parseFloat(m[1]), u = m[2] || '';
        if (u === 'em') return n * parent;
        if (u === 'ex') return n * parent / 2;
        if (u === '%') return n * parent / 100;
        if (u === 'rem') return n * 16;
        return n * UNIT[u];
    }
    // the size part of a `font` shorthand ("italic bold 12px/1.2 Arial"); CSS requires a unit
    function shorthand(v) {
        var m = /(?:^|\s)((?:\d+\.?\d*|\.\d+)(?:px|pt|pc|in|cm|mm|em|rem|ex|%)|(?:xx?-)?(?:small|large)|medium)(?:\/\S+)?\s+\S/i.exec(v);
        return m ? m[1] : null;
    }
    // the element's own font size, if it sets one: style (the last declaration wins) before the
    // font-size attribute before the font attribute; else its parent's (16 px at the root)
    function fontSize(el, memo) {
        if (!el || el.nodeType !== 1) return 16;
        if (memo.has(el)) return memo.get(el);
        var parent = fontSize(el.parentNode, memo), spec = null;
        (el.getAttribute('style') || '').split(';').forEach(function (decl) {
            var i = decl.indexOf(':');
            if (i < 0) return;
            var prop = decl.slice(0, i).trim().toLowerCase(), v = decl.slice(i + 1).replace(/!important/i, '');
            if (prop === 'font-size') spec = v;
            else if (prop === 'font') spec = shorthand(v) || spec;
        });
        if (spec === null && el.hasAttribute('font-size')) spec = el.getAttribute('font-size');
        if (spec === null && el.hasAttribute('font')) spec = shorthand(el.getAttribute('font'));
        var s = spec === null ? null : size(spec, parent);
        s = s === null ? parent : s;
        memo.set(el, s);
        return s;
    }

    // the SVG source of a data:image/svg+xml URI (base64 or URL-encoded), or null
    function svgSource(src) {
        var m = /^data:image\/svg\+xml([^,]*),([\s\S]*)$/i.exec(src);
        if (!m) return null;
        var data = decodeURIComponent(m[2]);
        if (!/;base64$/i.test(m[1])) return data;
        var bin = atob(data.replace(/\s+/g, ''));
        return new TextDecoder().decode(Uint8Array.from(bin, function (c) { return c.charCodeAt(0); }));
    }

    var nsvg = 0, svgMin = { px: Infinity, id: '' };                 // over all SVG figures
    function checkSvgText(img) {
        var src = svgSource(img.getAttribute('src') || ''), id = name(img.closest('figure') && !img.id ? img.closest('figure') : img);
        if (src === null) return;
        if (img.clientWidth === 0) return;                          // not displayed
        var svg;
        try { svg = new DOMParser().parseFromString(src, 'image/svg+xml'); } catch (e) { svg = null; }
        if (!svg || svg.getElementsByTagName('parsererror').length) { say('font', id + ': cannot parse its SVG'); return; }
        var root = svg.documentElement;
        // user units to displayed px: viewBox (scaled to fit, preserveAspectRatio meet) if it
        // has one, else the width attribute, else the width the browser found
        var vb = (root.getAttribute('viewBox') || '').trim().split(/[\s,]+/).map(Number), scale;
        if (vb.length === 4 && vb[2] > 0 && vb[3] > 0)
            scale = Math.min(img.clientWidth / vb[2], img.clientHeight / vb[3]);
        else {
            var w = root.hasAttribute('width') && !/%/.test(root.getAttribute('width')) ? size(root.getAttribute('width'), 16) : null;
            scale = img.clientWidth / (w || img.naturalWidth);
        }
        var memo = new Map(), min = Infinity, minUnits = 0, minText = '', n = 0, small = 0;
        svg.querySelectorAll('text, tspan, textPath').forEach(function (t) {
            if (t.closest('defs')) return;                           // drawn only where <use>d
            var own = Array.prototype.some.call(t.childNodes, function (c) { return c.nodeType === 3 && c.data.trim(); });
            if (!own) return;                                        // its text is in children
            var u = fontSize(t, memo), d = u * scale;
            n++;
            if (d < MIN_PX) small++;
            if (d < min) { min = d; minUnits = u; minText = t.textContent.trim().slice(0, 30); }
        });
        if (!n) return;
        var what = id + ': smallest text ' + px(min) + ' (font-size ' + (Math.round(minUnits * 100) / 100) +
            ' x scale ' + scale.toFixed(3) + ', "' + minText + '")';
        nsvg++;
        if (min < svgMin.px) svgMin = { px: min, id: id };
        if (small) say('font', id + ': ' + small + ' of ' + n + ' texts below ' + MIN_PX + ' px, ' + what.slice(id.length + 2));
    }

    function checkHtmlText() {
        var worst = new Map();                                       // table or figure -> smallest
        document.querySelectorAll('td, th, figcaption').forEach(function (el) {
            if (!el.textContent.trim()) return;
            var s = parseFloat(getComputedStyle(el).fontSize);
            if (s >= MIN_PX) return;
            var k = name(el.closest('table, figure') || el), w = worst.get(k);
            if (!w || s < w.s) worst.set(k, { s: s, tag: el.tagName.toLowerCase() });
        });
        worst.forEach(function (w, k) { say('font', k + ': ' + w.tag + ' text ' + px(w.s) + ' < ' + MIN_PX + ' px'); });
    }

    function run() {
        try {
            checkOverflow();
            Array.prototype.forEach.call(document.images, function (img) {
                if (!img.complete || img.naturalWidth === 0)
                    say('image', name(img) + ': did not load (' + (img.getAttribute('src') || '').slice(0, 60) + ')');
                else checkSvgText(img);
            });
            checkHtmlText();
            if (nsvg) say('info', nsvg + ' SVG figures, the smallest text ' + px(svgMin.px) + ' in ' + svgMin.id);
        } catch (e) { say('error', String(e && e.stack || e).replace(/\s+/g, ' ')); }
        var pre = document.createElement('pre');
        pre.id = 'mta-browser-check';
        pre.hidden = true;
        pre.textContent = out.join('\n') + '\ndone\n';
        document.body.appendChild(pre);
    }

    // lazy images would never load in a window that does not scroll
    Array.prototype.forEach.call(document.images, function (img) { img.loading = 'eager'; });
    window.addEventListener('load', function () { document.fonts.ready.then(run, run); });
})();
