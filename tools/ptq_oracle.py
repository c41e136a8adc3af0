#!/usr/bin/python3
"""PTQ oracle: an independent PyTorch implementation of the PTQ semantics of
/work/shared/spec/ptq-engine.md in the reference's mode (compat=reference), and the fixture
it writes for the C engine's tests.

Regenerate (no make needed):
    /usr/bin/python3 tools/ptq_oracle.py --fixture tests/fixtures/ptq_oracle.bin
Timing peer for `make bench` (the reference's procedure per config: calibrate on N batches of
128 training images in index order, freeze, quantized inference on the test images in batches
of 128, fakefreeze, JS of every conv/fc parameter in f32 and f64):
    /usr/bin/python3 tools/ptq_oracle.py --time INT_8 POT_4 FLOAT_8_E4 \\
        --model tests/fixtures/ptq_small.model --ckpt tests/fixtures/ptq_small.safetensors \\
        --calib-batches 100 --test-images 10000
    prints one line `<TITLE> <seconds> s  acc <%>  js_flops <f64>` per config.  --nearest fast
    (default) = the O(1) neighbour search, no cross-checks; --nearest brute = the reference's
    literal search (|v - g| against every grid value; ~30x slower for 8-bit grids);
    --threads N (default 1); --model defaults to the checkpoint's model_text.  Fashion-MNIST
    checkpoints only (the data the machine has).

Inputs of the fixture
---------------------
* model tests/fixtures/ptq_small.model and its mta checkpoint tests/fixtures/ptq_small.safetensors
  (safetensors parsed by hand: u64 LE header length, JSON header with "__metadata__" holding
  model_text, classes, input "1x32x32", norm_mean, norm_std; F32/I64 tensors under the
  reference's state_dict names).  The model text of the .model file is used; `out=classes`
  is replaced by the metadata's class count.
* Fashion-MNIST IDX files /usr/share/datasets/fashion-mnist/*.gz.  Each 28x28 image is
  zero-padded by 2 pixels on every side to 32x32 (raw pixels, before normalisation), then
  normalised EXACTLY as mta's dataset_batch does (src/io/data.c):
      a = f32(1 / (255 * (double)mean_std)),  b = f32(-(double)mean / (double)std)
      x = f32(f32(pixel) * a) + b                 (two f32 roundings, no FMA)
  where mean/std are the f32 values of the checkpoint's norm_mean / norm_std strings.

Fixed data selection (reproducible by the C engine)
---------------------------------------------------
* calibration = training images 0..511 in index order, no augmentation, 4 batches of 128
  (batch j = images 128j .. 128j+127);
* evaluation  = test images 0..999 in index order.

Semantics (spec section numbers), compat=reference everywhere
-------------------------------------------------------------
* 43 configs in the order of 2.1; qmax of 2.2; grids of 2.5; bias formats of 2.7 (INT bias
  qmax 2^63 with rne, POT bias on the POT_8 grid with qmax 1, FLOAT bias b=16 e=7).
* Observers (2.3): min/max over every observation, range always containing 0 (stored min/max
  are clamped: max >= 0 >= min), scale = f32(max(|min|, |max|) / qmax).
* quantize (2.4): nearest(clamp(0 + f32(x / scale), -qmax, qmax)), a true f32 division;
  dequantize = scale * q; fake_quantize = dequantize(quantize(x)).
* INT nearest = round half to even.  POT/FLOAT nearest = the reference's search (2.6): the grid
  list is `list(set(values))` built in the build order of 2.6 step 1 (CPython 3.11 iteration
  order; gives the reference's tie winners, Q5); for every v the distances |v - g| are computed
  in f32, the first minimum in list order wins, and (g - v) + v is returned (f32).
  Implementation: the neighbour form of 2.6 (lo <= |v| <= hi from a table indexed by the top
  8+m bits of |v|; f32 distances to both; equal distances -> the one earlier in the set list,
  sign dependent; (g - v) + v) which is equivalent to the full search for
  |v| < 2^(23-m)*qmax; elements at or beyond 2^(22-m)*qmax (never seen) and a deterministic
  sample of up to 512 elements of every call are run through the literal full search and the
  two must agree (asserted).  `--nearest brute` uses the literal full search everywhere.
* Modules (3.2-3.5): QConv2d / QConvBN / QConvBNReLU / QConvBNReLU6 / QLinear / QReLU /
  QReLU6 / QMaxPool / QAdaptiveAvgPool / QElementwiseAdd / QConcat; calibrate -> freeze
  (wiring of 3.1) -> integer-domain inference -> fakefreeze.  BN folding of 3.3 in f32 with
  eps f32(1e-5): std = sqrt(var + eps), g = gamma / std, W' = W * g[o],
  b' = (g*b - g*mu) + beta (conv with bias) or beta - g*mu.  The bias is unquantized during
  calibration.  M = f32(f32(s_w * s_i) / s_o); bias scale f32(s_i * s_w).
* Q6 no clamp after INT requantization; Q8 ReLU6 bound q6 = quantize(6, qo); Q9 add/concat
  output observers are fed the LAST input (the fake quantization still applies to the
  sum/concatenation); Q10 argmax ties -> lowest class index.
* Integer-domain accumulation (interpretation of Q7): conv/linear of the codes, bias code
  included, is computed in float64 (exact for integer codes: every partial sum is far below
  2^53; for POT/FLOAT codes the float64 sum is the spec's default), then converted ONCE to f32;
  y = nearest(f32(M * acc)) + 0.  The reference accumulates in f32 on a GPU, which is
  order-dependent and not reproducible.
* AdaptiveAvgPool inference: mean = f32(sum of the codes in float64) / f32(H*W) (f32 division);
  y = nearest(f32(M * mean)) + 0.  Add: nearest(f32(f32(M0*q0) + f32(M1*q1))) + 0.
  Concat: nearest(cat(f32(M_i*q_i))) + 0.  Logits = f32(s_o * q) with the last qo.
* Calibration runs in f32 with torch's CPU conv (the reference's GPU conv is f32 too); its
  results, hence observer ranges, are summation-order dependent at the ulp level: compare the
  obs.* entries with a relative tolerance (~1e-5), not bit for bit.
* JS (4.4): softmax axis 0 for rank 0/1/3, else 1 (Q11); P, Q softmaxes, Mx = (P+Q)/2; f32 mode =
  the reference's torch code (KLDivLoss(reduction='sum')(ln Mx, P) + same for Q) / 2 in f32 on the
  CPU, then float64 (this reproduces the spec's f32 test vectors bit for bit); f64 mode = the
  tensors converted to float64, softmax in float64, 0.5*sum(P*(ln P - ln Mx)) +
  0.5*sum(Q*(ln Q - ln Mx)); each clamped at 0 (Q13); every element summed (Q12).
  js_flops = sum over conv/fc params in module order (weight then bias) of js * flop%(layer),
  binary64, starting at 0; js_param likewise with par%.  The quantized params are the
  fakefrozen s_w*W_code and f32(s_i*s_w)*b_code; the full-precision params are the BN-folded
  ones (3.7, same folding formulas, bias created if absent).
* Ratios (1.8/1.9): per-module params/MACs with the ptflops rules for one input image
  (C x H x W from the checkpoint), percentages printed as ptflops does ('{:.3%}' of
  layer/total, which equals '%.3f' of 100*layer/total here -- asserted), parsed back as floats,
  folded: a conv with a BN partner gets conv+bn (+relu, else +relus) added in binary64 in that
  order; a bare conv and the FC keep their own.

Fixture tests/fixtures/ptq_oracle.bin (MTAF, tools/mtaf.py).  "text" = u8 bytes of Python's
repr(float) (shortest round-trip decimal; parse with strtod for an exact binary64).
  calib_images                 i64 [1]  512
  test_images                  i64 [1]  1000
  full_correct                 i64 [1]  full-precision (unfused, f32) correct count
  full_pred                    u8 [1000] full-precision predicted class per test image
  flop_ratio.<layer>           text     folded flop % of every conv/fc layer (e.g. conv0)
  par_ratio.<layer>            text     folded param %
  then for each of the 43 configs in spec order, prefix <TITLE>. (e.g. INT_8.):
  <TITLE>.correct              i64 [1]  correct test images out of 1000 (quantized inference)
  <TITLE>.pred                 u8 [1000] predicted class per test image
  <TITLE>.js_flops_f32         text
  <TITLE>.js_param_f32         text
  <TITLE>.js_flops_f64         text
  <TITLE>.js_param_f64         text
  <TITLE>.obs.<observer>       f32 [2]  (min, max) after calibration; observers in module order,
                                        named q_<module>.qi|qw|qo, q_ml<s>_blk<k>_add0.qo,
                                        q_inc<n>_concat.qo, q_aap<i>.qo
  <TITLE>.js.<param>           text     per-parameter JS, f64 mode (e.g. INT_8.js.conv0.weight)
  <TITLE>.js_f32.<param>       text     per-parameter JS, f32 mode
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True     # keep tools/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtaf  # noqa: E402
import reference_models as rm  # noqa: E402
from gen_fixtures import parse_model  # noqa: E402

F32 = torch.float32
F64 = torch.float64
FMNIST_DIR = '/usr/share/datasets/fashion-mnist'
CALIB_BATCH = 128
NEAREST_MODE = 'fast'         # 'fast' (neighbour search, sampled cross-check) or 'brute'
BRUTE_SAMPLE = 512            # elements of every fast nearest call re-done by full search
STATS = {'nearest_calls': 0, 'brute_checked': 0, 'brute_fallback': 0}


def f32(v):
    return np.float32(v)


# =============================================================================================
# Inputs: checkpoint, data
# =============================================================================================

_ST_DT = {'F32': (np.float32, F32), 'I64': (np.int64, torch.int64), 'F64': (np.float64, F64)}


def read_checkpoint(path):
    """Hand-parsed safetensors -> (metadata dict, {name: tensor})."""
    with open(path, 'rb') as f:
        buf = f.read()
    (n,) = struct.unpack('<Q', buf[:8])
    header = json.loads(buf[8:8 + n].decode('utf-8'))
    data = buf[8 + n:]
    meta = header.pop('__metadata__', {}) or {}
    tensors = {}
    for name, info in header.items():
        s, e = info['data_offsets']
        npdt, tdt = _ST_DT[info['dtype']]
        a = np.frombuffer(data[s:e], dtype=np.dtype(npdt).newbyteorder('<')).astype(npdt)
        tensors[name] = torch.from_numpy(a.copy()).reshape(info['shape']).to(tdt)
    return meta, tensors


def _idx_read(path, count=None):
    """First `count` items of a gzipped IDX file -> numpy uint8 array (n, *dims)."""
    with gzip.open(path, 'rb') as f:
        magic = struct.unpack('>I', f.read(4))[0]
        assert magic >> 8 == 0x08, '%s: not an unsigned-byte IDX file' % path
        ndim = magic & 0xff
        dims = struct.unpack('>%dI' % ndim, f.read(4 * ndim))
        n = dims[0] if count is None else min(count, dims[0])
        per = 1
        for d in dims[1:]:
            per *= d
        raw = f.read(n * per)
        assert len(raw) == n * per, '%s: truncated' % path
    return np.frombuffer(raw, dtype=np.uint8).reshape((n,) + tuple(dims[1:]))


def load_fmnist(split, count, mean, std, data_dir=FMNIST_DIR):
    """`count` images (index order) of split 'train' or 't10k', padded to 32x32 and normalised
    like mta's dataset_batch -> (float32 tensor [n,1,32,32], int64 labels [n])."""
    img = _idx_read(os.path.join(data_dir, '%s-images-idx3-ubyte.gz' % split), count)
    lab = _idx_read(os.path.join(data_dir, '%s-labels-idx1-ubyte.gz' % split), count)
    n, h, w = img.shape
    assert h <= 32 and w <= 32
    top, left = (32 - h) // 2, (32 - w) // 2
    pad = np.zeros((n, 1, 32, 32), dtype=np.uint8)
    pad[:, 0, top:top + h, left:left + w] = img
    m64, s64 = float(f32(mean)), float(f32(std))
    a = f32(1.0 / (255.0 * s64))
    b = f32(-m64 / s64)
    x = (pad.astype(np.float32) * a).astype(np.float32) + b
    assert x.dtype == np.float32
    return torch.from_numpy(x.astype(np.float32)), torch.from_numpy(lab.astype(np.int64))


def scale_channels(text, width):
    """Apply the width multiplier of experiments/models/README.md to every channel count:
    max(1, floor(c*width + 0.5)); `classes`, kernels, strides and expand ratios unchanged."""
    if width == 1.0:
        return text
    keys = ('out', 'mid', 'c1', 'c3r', 'c3', 'c5r', 'c5', 'pool')

    def tok(t):
        k, eq, v = t.partition('=')
        if eq and k in keys and v.isdigit():
            return '%s=%d' % (k, max(1, math.floor(int(v) * width + 0.5)))
        return t
    out = []
    for line in text.splitlines():
        body, hash_, comment = line.partition('#')
        out.append(' '.join(tok(t) for t in body.split()) + (' #' + comment if hash_ else ''))
    return '\n'.join(out) + '\n'


def load_model(model_path, ckpt_path):
    """-> (RefNet in eval mode with the checkpoint loaded, plan, meta, (C, H, W), model text)."""
    meta, tensors = read_checkpoint(ckpt_path)
    if model_path:
        with open(model_path) as f:
            text = f.read()
    else:
        text = meta['model_text']
    classes = int(meta.get('classes', '10'))
    text = scale_channels(text, float(meta.get('width', '1')))
    c, h, w = (int(v) for v in meta.get('input', '1x32x32').split('x'))
    plan = parse_model(text.replace('out=classes', 'out=%d' % classes), c, (h, w))
    model = rm.RefNet(plan)
    sd = model.state_dict()
    missing = set(sd) - set(tensors)
    extra = set(tensors) - set(sd)
    assert not missing and not extra, ('checkpoint/model mismatch', sorted(missing), sorted(extra))
    for k in sd:
        assert tuple(sd[k].shape) == tuple(tensors[k].shape), (k, sd[k].shape, tensors[k].shape)
    model.load_state_dict({k: tensors[k].to(sd[k].dtype) for k in sd})
    model.eval()
    return model, plan, meta, (c, h, w), text


# =============================================================================================
# Complexity report (ptflops rules, spec 1.8) and ratio folding (1.9)
# =============================================================================================


def complexity(model, chw):
    """[(name, params, macs)] for every child module in registration order (batch of 1)."""
    rows = []
    macs = {}

    def hook(name):
        def f(mod, inp, out):
            x = inp[0]
            if isinstance(mod, torch.nn.Conv2d):
                k = mod.kernel_size[0] * mod.kernel_size[1]
                hw = out.shape[2] * out.shape[3]
                v = k * (mod.in_channels // mod.groups) * mod.out_channels * hw
                v += mod.out_channels * hw if mod.bias is not None else 0
            elif isinstance(mod, torch.nn.BatchNorm2d):
                v = 2 * x.numel()
            elif isinstance(mod, (torch.nn.ReLU, torch.nn.ReLU6)):
                v = out.numel()
            elif isinstance(mod, (torch.nn.MaxPool2d, torch.nn.AdaptiveAvgPool2d)):
                v = x.numel()
            elif isinstance(mod, torch.nn.Linear):
                v = mod.in_features * mod.out_features + \
                    (mod.out_features if mod.bias is not None else 0)
            else:
                v = 0
            macs[name] = macs.get(name, 0) + v
        return f

    hs = [m.register_forward_hook(hook(n)) for n, m in model.named_children()]
    with torch.no_grad():
        model(torch.zeros((1,) + tuple(chw)))
    for h in hs:
        h.remove()
    for n, m in model.named_children():
        rows.append((n, sum(p.numel() for p in m.parameters()), macs.get(n, 0)))
    return rows


def _pct(v, total):
    """The printed 3-decimal percentage (ptflops '{:.3%}'), parsed back."""
    s = '{:.3%}'.format(v / total)
    alt = '%.3f%%' % (100.0 * v / total)
    assert s == alt, ('percentage formats disagree', v, total, s, alt)
    return float(s[:-1])


def folded_ratios(model, chw):
    """-> (par%, flop%) dicts for every module (printed values), folded for conv layers."""
    rows = complexity(model, chw)
    tp = sum(r[1] for r in rows)
    tm = sum(r[2] for r in rows)
    names = [r[0] for r in rows]
    par = {n: _pct(p, tp) for n, p, _ in rows}
    flop = {n: _pct(m, tm) for n, _, m in rows}
    for n in names:
        if 'conv' not in n:
            continue
        pre, suf = n.split('conv', 1)
        bn = pre + 'bn' + suf
        if bn in par:
            par[n] += par[bn]
            flop[n] += flop[bn]
            for act in (pre + 'relu' + suf, pre + 'relus' + suf):
                if act in par:
                    par[n] += par[act]
                    flop[n] += flop[act]
                    break
    return par, flop, rows


# =============================================================================================
# Formats, grids, nearest-value search (spec 2.2, 2.5, 2.6, 2.7)
# =============================================================================================


def pot_values(b):
    """POT_b in the reference's build order."""
    vals = [0.0]
    for i in range(2 - 2 ** (b - 1), 1):
        vals += [2.0 ** i, -(2.0 ** i)]
    return vals


def float_values(b, e):
    """FLOAT_b_Ee in the reference's build order (subnormals at exponent e_min - 1, Q4)."""
    m = b - 1 - e
    e_min, e_max = 2 - 2 ** (e - 1), 2 ** (e - 1)
    vals = [0.0]
    for k in range(1, 2 ** m):
        v = k * 2.0 ** -m * 2.0 ** (e_min - 1)
        vals += [v, -v]
    for E in range(e_min, e_max + 1):
        for k in range(2 ** m):
            v = (1 + k * 2.0 ** -m) * 2.0 ** E
            vals += [v, -v]
    return vals


def float_qmax(b, e):
    m = b - 1 - e
    return (2 - 2.0 ** -m) * 2.0 ** (2 ** (e - 1))


class Grid:
    """A POT/FLOAT value grid: `lst` in CPython set order (the reference's list), plus the sorted
    values with their list positions for the neighbour search."""

    def __init__(self, build_values, m):
        lst = list(set(build_values))          # CPython 3.11 set iteration order
        self.values = lst
        self.lst = torch.tensor(lst, dtype=F32)
        assert [float(v) for v in self.lst] == lst, 'grid value not exact in f32'
        order = sorted(range(len(lst)), key=lambda i: lst[i])
        self.sorted = torch.tensor([lst[i] for i in order], dtype=F32)
        self.rank = torch.tensor(order, dtype=torch.int64)
        self.qmax = max(lst)
        self.m = m
        self.bound = 2.0 ** (22 - m) * self.qmax
        self.lo_tab = None

    def brute(self, v):
        """The reference's full search on a flat f32 tensor: f32 distances to every list entry,
        first minimum in list order, result (g - v) + v."""
        out = torch.empty_like(v)
        K = self.lst.numel()
        step = max(1, (1 << 22) // K)
        ar = torch.arange(K, dtype=torch.int64)
        for s in range(0, v.numel(), step):
            c = v[s:s + step]
            d = (c[:, None] - self.lst[None, :]).abs()
            mn = d.min(dim=1, keepdim=True).values
            idx = torch.where(d == mn, ar[None, :], torch.full_like(d, K, dtype=torch.int64))
            idx = idx.min(dim=1).values
            g = self.lst[idx]
            out[s:s + step] = (g - c) + c
        return out

    def _build_tables(self):
        """Neighbour tables indexed by the top 8 + m bits of |v| (exponent and m leading mantissa
        bits): every such f32 bucket lies between two consecutive grid values (asserted), so the
        bucket gives lo <= |v| <= hi directly."""
        m = self.m
        shift = 23 - m
        nb = 1 << (8 + m)
        pos = np.array(sorted(v for v in self.values if v >= 0), dtype=np.float64)
        starts = (np.arange(nb, dtype=np.uint64) << shift).astype(np.uint32).view(np.float32)
        ends_bits = (np.arange(1, nb + 1, dtype=np.uint64) << shift)
        finite = np.arange(nb) < (255 << m)            # exponent field < 255
        ends = np.where(finite, np.minimum(ends_bits, 0x7f800000), 0x7f800000)
        ends = ends.astype(np.uint32).view(np.float32).astype(np.float64)
        with np.errstate(invalid='ignore'):
            st = starts.astype(np.float64)          # NaN for the exponent-255 buckets (unused)
        lo_i = np.searchsorted(pos, np.where(finite, st, np.inf), side='right') - 1
        hi_i = np.minimum(lo_i + 1, len(pos) - 1)
        inside = (hi_i > lo_i) & (pos[hi_i] < ends)
        assert not inside[finite].any(), 'a grid value inside an f32 bucket'
        lo, hi = pos[lo_i], pos[hi_i]
        rank = {v: i for i, v in enumerate(self.values)}
        tie = np.zeros(2 * nb, dtype=bool)
        for k in np.nonzero(hi > lo)[0]:
            l, h = float(lo[k]), float(hi[k])
            tie[2 * k] = rank[h] < rank[l]
            tie[2 * k + 1] = rank[-h] < rank[-l]
        self.shift = shift
        self.lo_tab = torch.from_numpy(lo.astype(np.float32))
        self.hi_tab = torch.from_numpy(hi.astype(np.float32))
        self.tie_tab = torch.from_numpy(tie)

    def fast(self, v):
        """Neighbour form of the reference's search: the two grid neighbours lo <= |v| <= hi from
        the bucket tables, f32 distances |v - g| to both (computed on |v|, exactly symmetric),
        equal distances -> the one earlier in the set list (sign dependent), result (g - v) + v."""
        if self.lo_tab is None:
            self._build_tables()
        bits = v.view(torch.int32)
        neg = bits < 0
        bucket = torch.bitwise_right_shift(torch.bitwise_and(bits, 0x7fffffff), self.shift)
        bucket = bucket.to(torch.int64)
        lo = self.lo_tab.index_select(0, bucket)
        hi = self.hi_tab.index_select(0, bucket)
        tie = self.tie_tab.index_select(0, bucket * 2 + neg.to(torch.int64))
        a = v.abs()
        dlo, dhi = (a - lo).abs(), (a - hi).abs()
        pick_hi = (dhi < dlo) | ((dhi == dlo) & tie)
        gm = torch.where(pick_hi, hi, lo)
        g = torch.where(neg, -gm, gm)
        return (g - v) + v

    def nearest(self, x):
        STATS['nearest_calls'] += 1
        v = x.reshape(-1).contiguous()
        assert v.dtype == F32
        if NEAREST_MODE == 'brute':
            return self.brute(v).reshape(x.shape)
        out = self.fast(v)
        far = v.abs() >= self.bound
        if bool(far.any()):
            STATS['brute_fallback'] += int(far.sum())
            out[far] = self.brute(v[far])
        n = v.numel()
        if BRUTE_SAMPLE <= 0:
            return out.reshape(x.shape)
        if n <= BRUTE_SAMPLE:
            idx = torch.arange(n)
        else:
            idx = torch.linspace(0, n - 1, BRUTE_SAMPLE).round().to(torch.int64)
        ref = self.brute(v[idx])
        got = out[idx]
        same = (ref == got) | (torch.isnan(ref) & torch.isnan(got))
        assert bool(same.all()), 'fast nearest disagrees with the full search'
        STATS['brute_checked'] += idx.numel()
        return out.reshape(x.shape)


_GRIDS = {}


def grid_for(kind, b, e=None):
    key = (kind, b, e)
    if key not in _GRIDS:
        if kind == 'POT':
            _GRIDS[key] = Grid(pot_values(b), 0)
        else:
            _GRIDS[key] = Grid(float_values(b, e), b - 1 - e)
    return _GRIDS[key]


class Fmt:
    """A quantization format: kind INT/POT/FLOAT, bits b, exponent bits e; qmax; nearest."""

    def __init__(self, kind, b, e=None, bias=False):
        self.kind, self.b, self.e, self.bias = kind, b, e, bias
        if kind == 'INT':
            self.qmax = float(2 ** 63) if bias else float(2 ** (b - 1) - 1)
            self.grid = None
        elif kind == 'POT':
            self.qmax = 1.0
            self.grid = grid_for('POT', 8 if bias else b)
        else:
            if bias:
                b, e = 16, 7
            self.qmax = float_qmax(b, e)
            self.grid = grid_for('FLOAT', b, e)
            assert self.grid.qmax == self.qmax
        assert float(f32(self.qmax)) == self.qmax
        self.qmax_f32 = f32(self.qmax)

    def nearest(self, t):
        if self.grid is None:
            return torch.round(t)               # ties to even
        return self.grid.nearest(t)


def configs():
    """The 43 (title, kind, b, e) of spec 2.1 in order."""
    out = [('INT_%d' % b, 'INT', b, None) for b in range(2, 17)]
    out += [('POT_%d' % b, 'POT', b, None) for b in range(2, 9)]
    for b in range(3, 9):
        for e in range(1, b - 1):
            out.append(('FLOAT_%d_E%d' % (b, e), 'FLOAT', b, e))
    assert len(out) == 43
    return out


# =============================================================================================
# Observers and (fake) quantization (spec 2.3, 2.4)
# =============================================================================================


class QParam:
    def __init__(self, name, fmt):
        self.name, self.fmt = name, fmt
        self.min = self.max = self.scale = None

    def update(self, t):
        tmax, tmin = f32(t.max().item()), f32(t.min().item())
        if self.max is None or self.max < tmax:
            self.max = tmax
        self.max = f32(max(self.max, f32(0)))
        if self.min is None or self.min > tmin:
            self.min = tmin
        self.min = f32(min(self.min, f32(0)))
        self.scale = f32(f32(max(abs(self.min), abs(self.max))) / self.fmt.qmax_f32)

    def scale_t(self):
        assert self.scale is not None and self.scale > 0, '%s: scale %r' % (self.name, self.scale)
        return torch.tensor(self.scale, dtype=F32)


def quantize(x, qp, fmt=None, scale=None):
    fmt = fmt or qp.fmt
    s = torch.tensor(scale, dtype=F32) if scale is not None else qp.scale_t()
    q = (x / s) + 0.0
    q = q.clamp(-fmt.qmax, fmt.qmax)
    return fmt.nearest(q)


def dequantize(q, qp):
    return qp.scale_t() * (q - 0.0)


def fake_quantize(x, qp):
    return dequantize(quantize(x, qp), qp)


def requant(fmt, y):
    """nearest(y) + 0 on unclamped values (INT: no clamp, Q6; POT/FLOAT: grid saturates)."""
    return fmt.nearest(y) + 0.0


# =============================================================================================
# Quantized modules (spec 3.2-3.5)
# =============================================================================================


def bn_fold(W, b, bn):
    """Spec 3.3, all f32: std = sqrt(var + eps); g = gamma / std; W' = W * g[o];
    b' = (g*b - g*mu) + beta, or beta - g*mu without a conv bias."""
    eps = torch.tensor(bn.eps, dtype=F32)
    std = torch.sqrt(bn.running_var + eps)
    g = bn.weight / std
    Wf = W * g.reshape(-1, *([1] * (W.dim() - 1)))
    if b is not None:
        bf = (g * b - g * bn.running_mean) + bn.bias
    else:
        bf = bn.bias - g * bn.running_mean
    return Wf.detach().clone(), bf.detach().clone()


class QLayer:
    """QConv2d / QConvBN / QConvBNReLU / QConvBNReLU6 (kind 'conv') and QLinear (kind 'fc')."""

    def __init__(self, name, mod, bn, act, own_qi, fmt, bfmt):
        self.name, self.mod, self.bn, self.act = name, mod, bn, act
        self.fmt, self.bfmt = fmt, bfmt
        self.is_conv = isinstance(mod, torch.nn.Conv2d)
        qn = 'q_' + name
        self.qi = QParam(qn + '.qi', fmt) if own_qi else None
        self.qw = QParam(qn + '.qw', fmt)
        self.qo = QParam(qn + '.qo', fmt)

    def observers(self):
        return [o for o in (self.qi, self.qw, self.qo) if o is not None]

    def params(self):
        W = self.mod.weight.detach().clone()
        b = self.mod.bias.detach().clone() if self.mod.bias is not None else None
        if self.bn is not None:
            return bn_fold(W, b, self.bn)
        return W, b

    def op(self, x, W, b):
        if self.is_conv:
            m = self.mod
            return F.conv2d(x, W, b, m.stride, m.padding, m.dilation, m.groups)
        return F.linear(x, W, b)

    def activation(self, y):
        if self.act == 'RL':
            return F.relu(y)
        if self.act == 'RS':
            return torch.clamp(torch.clamp(y, min=0.0), max=6.0)
        return y

    def calibrate(self, x):
        if self.qi is not None:
            self.qi.update(x)
            x = fake_quantize(x, self.qi)
        W, b = self.params()
        self.qw.update(W)
        y = self.op(x, fake_quantize(W, self.qw), b)
        y = self.activation(y)
        self.qo.update(y)
        return fake_quantize(y, self.qo)

    def freeze(self, qi):
        self.qin = self.qi if self.qi is not None else qi
        assert self.qin is not None, self.name
        si, sw, so = self.qin.scale, self.qw.scale, self.qo.scale
        self.M = f32(f32(sw * si) / so)
        self.sb = f32(si * sw)
        W, b = self.params()
        self.Wc = quantize(W, self.qw) - 0.0
        self.bc = quantize(b, None, fmt=self.bfmt, scale=self.sb) if b is not None else None
        if self.act == 'RS':
            self.q6 = quantize(torch.tensor([6.0], dtype=F32), self.qo)
        return self.qo

    def infer(self, q):
        if self.qi is not None:
            q = quantize(q, self.qi)
        acc = self.op(q.to(F64) - 0.0, self.Wc.to(F64),
                      self.bc.to(F64) if self.bc is not None else None).to(F32)
        y = requant(self.fmt, torch.tensor(self.M, dtype=F32) * acc)
        if self.act == 'RL':
            y = torch.clamp(y, min=0.0)
        elif self.act == 'RS':
            y = torch.minimum(torch.clamp(y, min=0.0), self.q6)
        return y

    def fakefreeze(self):
        self.Wf = torch.tensor(self.qw.scale, dtype=F32) * self.Wc
        self.bf = torch.tensor(self.sb, dtype=F32) * self.bc if self.bc is not None else None


class QReLU:
    def __init__(self, name):
        self.name = name

    def observers(self):
        return []

    def calibrate(self, x):
        return F.relu(x)

    def freeze(self, qi):
        self.qin = qi
        return qi

    def infer(self, q):
        return torch.clamp(q, min=0.0)


class QReLU6(QReLU):
    def calibrate(self, x):
        return torch.clamp(torch.clamp(x, min=0.0), max=6.0)

    def freeze(self, qi):
        self.qin = qi
        self.q6 = quantize(torch.tensor([6.0], dtype=F32), qi)
        return qi

    def infer(self, q):
        return torch.minimum(torch.clamp(q, min=0.0), self.q6)


class QMaxPool(QReLU):
    def __init__(self, name, k, s, p):
        self.name, self.k, self.s, self.p = name, k, s, p

    def calibrate(self, x):
        return F.max_pool2d(x, self.k, self.s, self.p)

    infer = calibrate


class QAAP:
    def __init__(self, name, fmt):
        self.name, self.fmt = name, fmt
        self.qo = QParam('q_%s.qo' % name, fmt)

    def observers(self):
        return [self.qo]

    def calibrate(self, x):
        y = F.adaptive_avg_pool2d(x, 1)
        self.qo.update(y)
        return fake_quantize(y, self.qo)

    def freeze(self, qi):
        self.qin = qi
        self.M = f32(qi.scale / self.qo.scale)
        return self.qo

    def infer(self, q):
        hw = q.shape[2] * q.shape[3]
        mean = q.to(F64).sum(dim=(2, 3), keepdim=True).to(F32) / torch.tensor(float(hw), dtype=F32)
        return requant(self.fmt, torch.tensor(self.M, dtype=F32) * mean)


class QMerge:
    """QElementwiseAdd (2 inputs) and QConcat (channel axis); qo observes the LAST input (Q9)."""

    def __init__(self, name, fmt, concat):
        self.name, self.fmt, self.concat = name, fmt, concat
        self.qo = QParam('q_%s.qo' % name, fmt)

    def observers(self):
        return [self.qo]

    def calibrate(self, xs):
        y = torch.cat(xs, 1) if self.concat else xs[0] + xs[1]
        self.qo.update(xs[-1])
        return fake_quantize(y, self.qo)

    def freeze(self, qis):
        self.qis = qis
        self.Ms = [f32(qi.scale / self.qo.scale) for qi in qis]
        return self.qo

    def infer(self, qs):
        parts = [torch.tensor(M, dtype=F32) * q for M, q in zip(self.Ms, qs)]
        y = torch.cat(parts, 1) if self.concat else parts[0] + parts[1]
        return requant(self.fmt, y)


class QInception:
    def __init__(self, n, branches, concat):
        self.branches, self.cat = branches, concat

    def modules(self):
        return [m for br in self.branches for m in br] + [self.cat]

    def _through(self, step, v):
        """Apply method `step` along every branch from v, then the concat to the results."""
        outs = []
        for br in self.branches:
            t = v
            for m in br:
                t = getattr(m, step)(t)
            outs.append(t)
        return getattr(self.cat, step)(outs)

    def calibrate(self, x):
        return self._through('calibrate', x)

    def freeze(self, last_qo):
        return self._through('freeze', last_qo)

    def infer(self, q):
        return self._through('infer', q)


class QBlock:
    def __init__(self, main, short, add, relu):
        self.main, self.short, self.add, self.relu = main, short, add, relu

    def modules(self):
        return self.main + (self.short or []) + [m for m in (self.add, self.relu) if m]

    def _run(self, x, fn, merge):
        t = x
        for m in self.main:
            t = fn(m, t)
        s = x
        for m in self.short or []:
            s = fn(m, s)
        y = merge([t, s]) if self.add else t
        if self.relu:
            y = fn(self.relu, y)
        return y

    def calibrate(self, x):
        return self._run(x, lambda m, t: m.calibrate(t), self.add.calibrate if self.add else None)

    def infer(self, q):
        return self._run(q, lambda m, t: m.infer(t), self.add.infer if self.add else None)

    def freeze(self, last_qo):
        lq = last_qo
        for m in self.main:
            lq = m.freeze(lq)
        qos = [lq, last_qo]
        if self.short:
            sq = last_qo
            for m in self.short:
                sq = m.freeze(sq)
            qos[1] = sq
        out = self.add.freeze(qos) if self.add else qos[0]
        if self.relu:
            self.relu.freeze(out)
        return out


class Flatten:
    def observers(self):
        return []

    def calibrate(self, x):
        return x.reshape(x.size(0), -1)

    infer = calibrate

    def freeze(self, qi):
        return qi


class Dropout(Flatten):
    def calibrate(self, x):
        return x

    infer = calibrate


class Softmax(Flatten):
    def calibrate(self, x):
        return F.softmax(x, dim=1)

    def infer(self, q):
        return q                              # handled by QNet.infer (dequantize first)


class QNet:
    """The quantized model of a RefNet for one format (compat=reference)."""

    def __init__(self, model, fmt, bfmt):
        self.items = []
        self.layers = []                      # every QLayer, module order
        first = True
        g = lambda n: getattr(model, n)       # noqa: E731

        def conv(prefix, j, variant, own_qi=False):
            name = '%sconv%d' % (prefix, j)
            bn = g('%sbn%d' % (prefix, j)) if 'B' in variant else None
            act = 'RL' if (bn is not None and 'RL' in variant) else \
                'RS' if (bn is not None and 'RS' in variant) else ''
            q = QLayer(name, g(name), bn, act, own_qi, fmt, bfmt)
            self.layers.append(q)
            return q

        for i, e in enumerate(model.plan):
            op = e[0]
            if op == 'C':
                self.items.append(conv('', i, e[1], own_qi=first))
                first = False
                continue
            assert not first, 'the first entry must be a conv (it owns the input quantizer)'
            if op == 'RL':
                self.items.append(QReLU('relu%d' % i))
            elif op == 'RS':
                self.items.append(QReLU6('relus%d' % i))
            elif op == 'MP':
                self.items.append(QMaxPool('pool%d' % i, e[1], e[2], e[3]))
            elif op == 'AAP':
                self.items.append(QAAP('aap%d' % i, fmt))
            elif op == 'VW':
                self.items.append(Flatten())
            elif op == 'D':
                self.items.append(Dropout())
            elif op == 'SM':
                self.items.append(Softmax())
            elif op == 'FC':
                q = QLayer('fc%d' % i, g('fc%d' % i), None, '', False, fmt, bfmt)
                self.layers.append(q)
                self.items.append(q)
            elif op == 'Inc':
                n = e[1]
                branches = []
                for b, branch in enumerate(rm.INC_BRANCHES):
                    prefix = 'inc%d_br%d_' % (n, b)
                    br = []
                    for j, it in enumerate(branch):
                        if it[0] == 'C':
                            br.append(conv(prefix, j, 'BRL'))
                        elif it[0] == 'MP':
                            br.append(QMaxPool('%spool%d' % (prefix, j), it[1], it[2], it[3]))
                        elif it[0] == 'RL':
                            br.append(QReLU('%srelu%d' % (prefix, j)))
                    branches.append(br)
                self.items.append(QInception(n, branches, QMerge('inc%d_concat' % n, fmt, True)))
            elif op == 'ML':
                btype, s, rows = e[1], e[2], e[3]
                main_t, short_t, post_t = rm.BLOCK_TEMPLATES[btype]
                for k, row in enumerate(rows):
                    blk = 'ml%d_blk%d_' % (s, k)
                    main = [conv(blk + 'ma_', j, it[1]) for j, it in enumerate(main_t)]
                    short = None
                    if row[0] and short_t:
                        short = [conv(blk + 'ds_', j, it[1]) for j, it in enumerate(short_t)]
                    add = relu = None
                    for j, it in enumerate(post_t):
                        if it[0] == 'AD' and (it[1] or row[0]):
                            add = QMerge('%sadd%d' % (blk, j), fmt, False)
                        elif it[0] == 'RL':
                            relu = QReLU('%srelu%d' % (blk, j))
                    self.items.append(QBlock(main, short, add, relu))
            else:
                raise ValueError('unsupported plan op %r' % op)

    def observers(self):
        obs = []

        def walk(m):
            if isinstance(m, (QInception, QBlock)):
                for c in m.modules():
                    walk(c)
            else:
                obs.extend(m.observers())
        for m in self.items:
            walk(m)
        return obs

    def calibrate(self, x):
        with torch.no_grad():
            for m in self.items:
                x = m.calibrate(x)
        return x

    def freeze(self):
        last_qo = None
        self.qo_after = []                    # last_qo after each item (for SM dequantization)
        for m in self.items:
            last_qo = m.freeze(last_qo)
            self.qo_after.append(last_qo)
        self.out_qo = last_qo

    def infer(self, x):
        """Integer-domain inference -> real logits (f32): the codes are dequantized with the last
        qo seen, just before an SM entry if there is one (softmax on real values), else at the
        end."""
        with torch.no_grad():
            q, real = x, False
            for i, m in enumerate(self.items):
                if isinstance(m, Softmax):
                    if not real:
                        q = dequantize(q, self.qo_after[i])
                        real = True
                    q = F.softmax(q, dim=1)
                    continue
                assert not real, 'layers after a softmax are not supported'
                q = m.infer(q)
            return q if real else dequantize(q, self.out_qo)

    def fakefreeze(self):
        for q in self.layers:
            q.fakefreeze()


# =============================================================================================
# JS divergence (spec 4.4)
# =============================================================================================


def _sm_dim(nd):
    return 0 if nd in (0, 1, 3) else 1


def js_f32(a, b):
    """The reference's computation, f32 on the CPU, returned as a Python float (no clamp)."""
    d = _sm_dim(a.dim())
    p, q = F.softmax(a.to(F32), dim=d), F.softmax(b.to(F32), dim=d)
    lm = ((p + q) / 2).log()
    kl = torch.nn.KLDivLoss(reduction='sum')
    return ((kl(lm, p) + kl(lm, q)) / 2).item()


def js_f64(a, b):
    d = _sm_dim(a.dim())
    p, q = F.softmax(a.to(F64), dim=d), F.softmax(b.to(F64), dim=d)
    lm = ((p + q) / 2).log()
    t1 = torch.where(p > 0, p * (p.log() - lm), torch.zeros_like(p)).sum()
    t2 = torch.where(q > 0, q * (q.log() - lm), torch.zeros_like(q)).sum()
    return (0.5 * t1 + 0.5 * t2).item()


def folded_full_params(model):
    """[(param name, layer name, folded f32 tensor)] for every conv/fc in module order (spec 3.7:
    a conv with a BN partner gets W', b' with a bias created if absent)."""
    out = []
    mods = dict(model.named_children())
    for name, m in model.named_children():
        if not isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            continue
        W = m.weight.detach().clone()
        b = m.bias.detach().clone() if m.bias is not None else None
        if isinstance(m, torch.nn.Conv2d):
            pre, suf = name.split('conv', 1)
            bn = mods.get(pre + 'bn' + suf)
            if bn is not None:
                W, b = bn_fold(W, b, bn)
        out.append((name + '.weight', name, W))
        if b is not None:
            out.append((name + '.bias', name, b))
    return out


# =============================================================================================
# Running one configuration
# =============================================================================================


def predict(logits):
    """Class index of the maximum logit, lowest index on ties (Q10)."""
    mx = logits.max(dim=1, keepdim=True).values
    C = logits.shape[1]
    ar = torch.arange(C).expand_as(logits)
    return torch.where(logits == mx, ar, torch.full_like(ar, C)).min(dim=1).values


def run_config(model, full_params, par, flop, kind, b, e, calib, test_x, test_y,
               test_batch=500):
    fmt = Fmt(kind, b, e)
    bfmt = Fmt(kind, b, e, bias=True)
    q = QNet(model, fmt, bfmt)
    for xb in calib:
        q.calibrate(xb)
    q.freeze()
    preds = []
    for s in range(0, test_x.shape[0], test_batch):
        preds.append(predict(q.infer(test_x[s:s + test_batch])))
    pred = torch.cat(preds)
    correct = int((pred == test_y).sum())
    q.fakefreeze()
    byname = {l.name: l for l in q.layers}
    res = {'correct': correct, 'pred': pred, 'obs': q.observers(), 'js': [], 'js32': []}
    jf32 = jp32 = jf64 = jp64 = 0
    for pname, lname, full in full_params:
        ql = byname[lname]
        qt = ql.Wf if pname.endswith('.weight') else ql.bf
        assert qt is not None and qt.shape == full.shape, pname
        j32 = max(0.0, js_f32(qt, full))
        j64 = max(0.0, js_f64(qt, full))
        res['js'].append((pname, j64))
        res['js32'].append((pname, j32))
        jf32 += j32 * flop[lname]
        jp32 += j32 * par[lname]
        jf64 += j64 * flop[lname]
        jp64 += j64 * par[lname]
    res.update(js_flops_f32=float(jf32), js_param_f32=float(jp32),
               js_flops_f64=float(jf64), js_param_f64=float(jp64))
    return res


# =============================================================================================
# Self-tests against the spec's test vectors (2.2, 2.4, 2.5, 2.6, 4.4)
# =============================================================================================


def self_test():
    # 2.6 set order of small grids
    orders = {
        ('POT', 2, None): [0, 1, -1],
        ('POT', 3, None): [0, 0.25, -0.5, -0.25, 0.5, 1, -1],
        ('POT', 4, None): [0, 1 / 64, -1 / 32, -1 / 64, 1 / 32, 1 / 16, -1 / 16, 1 / 8, -1 / 8,
                           1 / 4, -1 / 4, 1 / 2, -1 / 2, 1, -1],
        ('FLOAT', 3, 1): [0, 0.5, 2, -0.5, 3, -3, -2],
        ('FLOAT', 4, 1): [0, 0.25, -0.5, -0.25, 0.5, 0.75, -0.75, 2, 2.5, 3, 3.5, -3.5, -2.5,
                          -3, -2],
        ('FLOAT', 4, 2): [0, 0.25, -0.25, 1, 1.5, 2, 3, 4, 6, -2, -6, -4, -3, -1, -1.5],
        ('FLOAT', 5, 2): [0, 0.125, -0.25, -0.125, 0.25, 0.375, -0.375, 1, 1.25, 1.5, 1.75, 2,
                          2.5, 4, 5, 6, 3, 3.5, 7, -1.25, -5, -3.5, -2.5, -1, -7, -6, -1.5, -4,
                          -3, -2, -1.75],
    }
    for (k, b, e), want in orders.items():
        got = grid_for(k, b, e).values
        assert got == [float(v) for v in want], ('set order', k, b, e, got)
    # 2.5 positive halves, sizes
    halves = {
        (3, 1): [0.5, 2, 3], (4, 1): [0.25, 0.5, 0.75, 2, 2.5, 3, 3.5],
        (4, 2): [0.25, 1, 1.5, 2, 3, 4, 6],
        (5, 1): [k / 8 for k in range(1, 8)] + [2 + k / 4 for k in range(8)],
        (5, 2): [0.125, 0.25, 0.375, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6, 7],
        (5, 3): [0.0625, 0.25, 0.375, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24],
        (6, 3): [0.03125, 0.0625, 0.09375, 0.25, 0.3125, 0.375, 0.4375, 0.5, 0.625, 0.75,
                 0.875, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20,
                 24, 28],
    }
    for (b, e), want in halves.items():
        got = sorted(v for v in grid_for('FLOAT', b, e).values if v > 0)
        assert got == [float(v) for v in want], ('half', b, e, got)
    for _, kind, b, e in configs():
        if kind != 'INT':
            g = grid_for(kind, b, e)
            assert len(g.values) == 2 ** b - 1 and sorted(g.values) == sorted(-v for v in g.values)
    assert len(grid_for('FLOAT', 16, 7).values) == 65535
    g8 = sorted(v for v in grid_for('FLOAT', 8, 4).values if v > 0)
    assert g8[0] == 2.0 ** -10 and g8[-1] == 480 and 2.0 ** -6 in g8
    assert sorted(v for v in grid_for('POT', 8).values if v > 0)[0] == 2.0 ** -126
    # 2.2 qmax
    qm = {(3, 1): 3, (4, 1): 3.5, (4, 2): 6, (5, 1): 3.75, (5, 2): 7, (5, 3): 24, (6, 1): 3.875,
          (6, 2): 7.5, (6, 3): 28, (6, 4): 384, (7, 1): 3.9375, (7, 2): 7.75, (7, 3): 30,
          (7, 4): 448, (7, 5): 98304, (8, 1): 3.96875, (8, 2): 7.875, (8, 3): 31, (8, 4): 480,
          (8, 5): 114688, (8, 6): 6442450944}
    for (b, e), v in qm.items():
        assert Fmt('FLOAT', b, e).qmax == v, (b, e)
    assert Fmt('FLOAT', 8, 4, bias=True).qmax == 3.6821430553381175e19
    assert Fmt('INT', 8, bias=True).qmax == 9.223372036854776e18
    assert Fmt('INT', 16).qmax == 32767 and Fmt('POT', 5).qmax == 1
    # 2.4 quantize vectors (one observation, then quantize)
    vecs = [
        (('INT', 8, None), [-0.6, 0.25, 1.27, -1.0, 0.005, 0.015],
         (-1.0, 1.27, 0.009999999776482582), [-60, 25, 127, -100, 0, 2]),
        (('INT', 4, None), [0.3, 0.7, 0.1, 0.5], (0, 0.7, 0.10000000149011612), [3, 7, 1, 5]),
        (('POT', 3, None), [0.75, -0.375, 0.1, -1.0, 0.125, 0.3], (-1, 0.75, 1.0),
         [0.5, -0.5, 0, -1, 0, 0.25]),
        (('FLOAT', 4, 2), [6, 5, -2.5, 0.6, 0.625, 0.1, 0.125, -1.25], (-2.5, 6, 1.0),
         [6, 4, -2, 0.25, 0.25, 0, 0, -1]),
        (('FLOAT', 3, 1), [3, 1.25, 1.2, -2.5, 0.25, 0.26], (-2.5, 3, 1.0),
         [3, 0.5, 0.5, -3, 0, 0.5]),
    ]
    for (k, b, e), inp, (mn, mx, sc), codes in vecs:
        fmt = Fmt(k, b, e)
        qp = QParam('t', fmt)
        x = torch.tensor(inp, dtype=F32)
        qp.update(x)
        assert qp.min == f32(mn) and qp.max == f32(mx) and float(qp.scale) == sc, \
            (k, b, qp.min, qp.max, qp.scale)
        got = quantize(x, qp).tolist()
        assert got == [float(c) for c in codes], (k, b, got)
    # INT rounding: ties to even
    assert torch.round(torch.tensor([0.5, 1.5, 2.5, -0.5, -2.5])).tolist() == [0, 2, 2, -0.0, -2]
    # 4.4 JS vectors
    t = lambda v: torch.tensor(v, dtype=F32)  # noqa: E731
    A4 = t([float(f32(k / 10)) for k in range(24)]).reshape(2, 3, 2, 2)
    jsv = [
        (t([0.5, -1, 2, 0.25]), t([0.5, -0.75, 2, 0]), 0.001106753945350647, 0.0011067386797917952),
        (t([[0.5, -1, 2], [1, 0, -1]]), t([[0.5, -0.5, 2], [1, 0.25, -1]]), 0.003005281090736389,
         0.00300527875274011),
        (A4, torch.round(A4), 0.06195563077926636, 0.06195546759420192),
        (t([[[1, 2], [3, 4]], [[0, 1], [2, 2]]]), t([[[1, 2.5], [3, 4]], [[0, 1], [2, 3]]]),
         0.02368604764342308, 0.02368604910452792),
    ]
    for a, b_, r32, r64 in jsv:
        assert js_f32(a, b_) == r32, (js_f32(a, b_), r32)
        assert abs(js_f64(a, b_) - r64) <= 1e-12 * abs(r64), (js_f64(a, b_), r64)
    z = torch.randn(4, 1, 3, 3)
    assert js_f32(z, z * 2) == 0 and js_f64(z, z * 2) == 0
    # fast nearest == full search on every midpoint (and +-1 ulp) of every grid, and beyond
    for (k, b, e), g in list(_GRIDS.items()):
        s = g.sorted
        mids = (s[1:] + s[:-1]) / 2
        v = torch.cat([s, mids, torch.nextafter(mids, torch.full_like(mids, math.inf)),
                       torch.nextafter(mids, torch.full_like(mids, -math.inf)),
                       s * 1.75, torch.tensor([3 * g.qmax, -2.5 * g.qmax])])
        if g.lst.numel() > 255:               # the 65535-value bias grid: every 97th input
            v = v[::97]
        assert torch.equal(g.fast(v), g.brute(v)), ('fast/brute', k, b, e)
    # spec 2.6: POT_3 tie winners
    g = grid_for('POT', 3)
    ties = torch.tensor([-0.75, -0.375, -0.125, 0.125, 0.375, 0.75])
    assert g.fast(ties).tolist() == [-0.5, -0.5, 0, 0, 0.25, 0.5]
    # 1.9 folded ratio test vectors (AlexNet_BN and AlexNet, cifar10)
    want = {
        'AlexNet_BN': {'conv0': (0.025, 1.446), 'conv2': (0.481, 6.809), 'conv4': (1.915, 6.762),
                       'conv5': (7.640, 26.956), 'conv6': (15.260, 53.818),
                       'fc10': (60.987, 3.359), 'fc13': (13.560, 0.747), 'fc15': (0.133, 0.007)},
        'AlexNet': {'conv0': (0.023, 1.309), 'conv3': (0.478, 6.756), 'conv6': (1.909, 6.745),
                    'conv8': (7.630, 26.955), 'conv10': (15.252, 53.887),
                    'fc15': (61.010, 3.368), 'fc18': (13.565, 0.749), 'fc20': (0.133, 0.007)},
    }
    torch.manual_seed(0)
    for name, tab in want.items():
        par, flop, _ = folded_ratios(rm.build(name, classes=10).eval(), (3, 32, 32))
        for l, (p, fl) in tab.items():
            assert abs(par[l] - p) < 1e-9 and abs(flop[l] - fl) < 1e-9, (name, l, par[l], flop[l])
    print('self-test: grids, set orders, qmax, quantize vectors, JS vectors, nearest, '
          'folded ratios: ok')


# =============================================================================================
# Fixture generation
# =============================================================================================

DEFAULT_MODEL = 'tests/fixtures/ptq_small.model'
DEFAULT_CKPT = 'tests/fixtures/ptq_small.safetensors'
N_CALIB, N_TEST = 512, 1000


def text(v):
    return repr(float(v)).encode()


def make_fixture(path, model_path, ckpt_path):
    t0 = time.time()
    self_test()
    model, plan, meta, chw, _ = load_model(model_path, ckpt_path)
    mean, std = float(meta['norm_mean']), float(meta['norm_std'])
    cx, _ = load_fmnist('train', N_CALIB, mean, std)
    tx, ty = load_fmnist('t10k', N_TEST, mean, std)
    assert tuple(cx.shape[1:]) == chw
    calib = [cx[s:s + CALIB_BATCH] for s in range(0, N_CALIB, CALIB_BATCH)]
    with torch.no_grad():
        full_pred = predict(model(tx))
    full_correct = int((full_pred == ty).sum())
    par, flop, rows = folded_ratios(model, chw)
    full_params = folded_full_params(model)
    layers = []
    for _, lname, _ in full_params:
        if lname not in layers:
            layers.append(lname)
    print('complexity (params, MACs) per module:')
    tp, tm = sum(r[1] for r in rows), sum(r[2] for r in rows)
    for n, p, m in rows:
        print('  %-22s %7d %7.3f%%  %9d %7.3f%%' % (n, p, 100.0 * p / tp, m, 100.0 * m / tm))
    print('  total %d params, %d MACs' % (tp, tm))
    print('folded ratios (par %, flop %):')
    for l in layers:
        print('  %-22s %r / %r' % (l, par[l], flop[l]))

    entries = [('calib_images', torch.tensor([N_CALIB], dtype=torch.int64)),
               ('test_images', torch.tensor([N_TEST], dtype=torch.int64)),
               ('full_correct', torch.tensor([full_correct], dtype=torch.int64)),
               ('full_pred', full_pred.to(torch.uint8))]
    for l in layers:
        entries.append(('flop_ratio.' + l, text(flop[l])))
        entries.append(('par_ratio.' + l, text(par[l])))

    results = {}
    for title, kind, b, e in configs():
        tc = time.time()
        r = run_config(model, full_params, par, flop, kind, b, e, calib, tx, ty)
        results[title] = r
        entries += [(title + '.correct', torch.tensor([r['correct']], dtype=torch.int64)),
                    (title + '.pred', r['pred'].to(torch.uint8)),
                    (title + '.js_flops_f32', text(r['js_flops_f32'])),
                    (title + '.js_param_f32', text(r['js_param_f32'])),
                    (title + '.js_flops_f64', text(r['js_flops_f64'])),
                    (title + '.js_param_f64', text(r['js_param_f64']))]
        for o in r['obs']:
            entries.append(('%s.obs.%s' % (title, o.name),
                            torch.tensor([o.min, o.max], dtype=F32)))
        for pname, v in r['js']:
            entries.append(('%s.js.%s' % (title, pname), text(v)))
        for pname, v in r['js32']:
            entries.append(('%s.js_f32.%s' % (title, pname), text(v)))
        print('  %-12s %5.2fs' % (title, time.time() - tc), file=sys.stderr)

    mtaf.write(path, entries)
    elapsed = time.time() - t0

    # ---- report
    print('full precision: %d / %d correct (%.2f %%)' % (full_correct, N_TEST, full_correct / 10))
    print('%-12s %7s %24s %24s %24s' % ('title', 'acc', 'js_flops_f32', 'js_flops_f64',
                                        'js_param_f64'))
    for title, _, _, _ in configs():
        r = results[title]
        print('%-12s %7.2f %24r %24r %24r' % (title, r['correct'] / 10, r['js_flops_f32'],
                                               r['js_flops_f64'], r['js_param_f64']))

    # ---- sanity checks
    counts = torch.bincount(ty, minlength=10)
    most = int(counts.max())
    p2 = results['INT_2']['pred']
    top_share = int(torch.bincount(p2, minlength=10).max())
    print('check: INT_2 %d correct; most-frequent-class count %d; INT_2 top predicted class '
          'share %d / %d' % (results['INT_2']['correct'], most, top_share, N_TEST))
    assert top_share >= 0.9 * N_TEST and results['INT_2']['correct'] <= most + 20, \
        'INT_2 predictions do not collapse'
    d8 = results['INT_8']['correct'] - full_correct
    print('check: INT_8 - full = %+d images (%.1f points)' % (d8, d8 / 10))
    assert abs(d8) <= 12, 'INT_8 accuracy not within ~1 point of full precision'
    ratios = [results['INT_%d' % b]['js_flops_f64'] / results['INT_%d' % (b + 1)]['js_flops_f64']
              for b in range(4, 10)]
    print('check: js_flops INT_b / INT_b+1 for b = 4..9: %s' % ' '.join('%.2f' % v for v in ratios))
    assert all(2.0 <= v <= 8.0 for v in ratios) and 3.0 <= sum(ratios) / len(ratios) <= 5.5, \
        'js_flops does not fall ~4x per INT bit'
    pot = [results['POT_%d' % b]['js_flops_f64'] for b in range(4, 9)]
    print('check: POT_4..8 js_flops max/min = %.4f' % (max(pot) / min(pot)))
    assert max(pot) / min(pot) <= 1.25, 'POT_4..POT_8 js_flops not roughly constant'
    f8 = [results['FLOAT_8_E%d' % e]['js_flops_f64'] for e in range(1, 7)]
    emin = 1 + f8.index(min(f8))
    print('check: FLOAT_8 js_flops minimal at E%d' % emin)
    assert emin in (3, 4), 'FLOAT_8 js_flops not minimal at E3/E4'
    size = os.path.getsize(path)
    print('nearest: %d calls, %d elements cross-checked by full search, %d far elements' %
          (STATS['nearest_calls'], STATS['brute_checked'], STATS['brute_fallback']))
    print('wrote %s: %d entries, %d bytes, %.1f s' % (path, len(entries), size, elapsed))
    assert size < 300 * 1024, 'fixture exceeds 300 KB'
    return 0


# =============================================================================================
# Timing mode
# =============================================================================================


def time_configs(titles, model_path, ckpt_path, calib_batches, test_images):
    allc = {t: (k, b, e) for t, k, b, e in configs()}
    for t in titles:
        if t not in allc:
            raise SystemExit('unknown config %r (expected e.g. INT_8, POT_4, FLOAT_8_E4)' % t)
    model, plan, meta, chw, _ = load_model(model_path, ckpt_path)
    if meta.get('dataset', 'fmnist') not in ('fmnist', 'idx'):
        raise SystemExit('timing mode reads Fashion-MNIST only (checkpoint dataset %r)'
                         % meta.get('dataset'))
    mean, std = float(meta['norm_mean']), float(meta['norm_std'])
    cx, _ = load_fmnist('train', calib_batches * CALIB_BATCH, mean, std)
    tx, ty = load_fmnist('t10k', test_images, mean, std)
    calib = [cx[s:s + CALIB_BATCH] for s in range(0, cx.shape[0], CALIB_BATCH)]
    par, flop, _ = folded_ratios(model, chw)
    full_params = folded_full_params(model)
    print('# %s, %d calibration batches of %d, %d test images, nearest=%s, %d thread(s)' %
          (ckpt_path, len(calib), CALIB_BATCH, tx.shape[0], NEAREST_MODE,
           torch.get_num_threads()))
    for t in titles:
        k, b, e = allc[t]
        t0 = time.time()
        r = run_config(model, full_params, par, flop, k, b, e, calib, tx, ty, test_batch=128)
        dt = time.time() - t0
        print('%-12s %8.3f s  acc %.2f  js_flops %r' % (t, dt, 100.0 * r['correct'] / tx.shape[0],
                                                        r['js_flops_f64']))
    return 0


def main(argv):
    global NEAREST_MODE, BRUTE_SAMPLE
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--fixture', metavar='OUT', help='write the oracle fixture')
    ap.add_argument('--time', nargs='+', metavar='CONFIG', help='time configs')
    ap.add_argument('--model', default=None, help='model file (default: %s for --fixture, '
                    'the checkpoint text for --time)' % DEFAULT_MODEL)
    ap.add_argument('--ckpt', default=DEFAULT_CKPT)
    ap.add_argument('--calib-batches', type=int, default=100)
    ap.add_argument('--test-images', type=int, default=10000)
    ap.add_argument('--nearest', choices=('fast', 'brute'), default=None,
                    help='grid search: fast (default) or brute (the literal full search)')
    ap.add_argument('--threads', type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.set_default_dtype(F32)
    if args.fixture:
        NEAREST_MODE = args.nearest or 'fast'
        return make_fixture(args.fixture, args.model or DEFAULT_MODEL, args.ckpt)
    if args.time:
        NEAREST_MODE = args.nearest or 'fast'
        BRUTE_SAMPLE = 0                      # timing: no cross-checks
        return time_configs(args.time, args.model, args.ckpt, args.calib_batches,
                            args.test_images)
    ap.print_help()
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
