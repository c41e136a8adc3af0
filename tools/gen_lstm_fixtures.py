#!/usr/bin/python3
"""gen_lstm_fixtures.py OUTDIR -- PyTorch references for the PTB language model (spec
training-generator-robustness.md section 5): one LSTM layer with gradients, the tied
embed-LSTM-LSTM-linear model with gradients and clipping, and the reference's post-training
fake quantization of that model.  Deterministic (fixed seeds, CPU, one thread, float32).
Run with Debian's python3-torch: /usr/bin/python3 tools/gen_lstm_fixtures.py tests/fixtures
(`make fixtures` runs it).  MTAF containers (tools/mtaf.py).  Every "scalar" is stored as a
1-element tensor ([1]), as in the other fixtures; "text" = u8 bytes of Python's repr(float)
(shortest round-trip decimal, parse with strtod for the exact binary64).

LSTM (all three files) = torch.nn.LSTM, one layer, time-major, gate order i, f, g, o:
    z_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh          (4H; rows [0,H) i, [H,2H) f,
    i = sig(z_i), f = sig(z_f), g = tanh(z_g), o = sig(z_o)      [2H,3H) g, [3H,4H) o)
    c_t = f*c_{t-1} + i*g,  h_t = o*tanh(c_t);  y_t = h_t;  hT = h_T, cT = c_T
  (checked here against a hand-written recurrence).  A missing state (None) = zeros.

lstm_layer.bin
--------------
  T B I H            i64 [1]   5 3 4 6
  weight_ih (4H,I), weight_hh (4H,H), bias_ih (4H), bias_hh (4H)   f32, all U(-0.5, 0.5)
  x (T,B,I) 2*randn;  h0, c0 (B,H) randn;  dy (T,B,H), dhT, dcT (B,H) randn
  y (T,B,H), hT, cT (B,H)                                          forward from (h0, c0)
  grad.x grad.h0 grad.c0 grad.weight_ih grad.weight_hh grad.bias_ih grad.bias_hh
      gradients of loss = sum(y*dy) + sum(hT*dhT) + sum(cT*dcT)
  nostate.x, nostate.dy (copies of x, dy), nostate.y, nostate.hT, nostate.cT,
  nostate.grad.x, nostate.grad.weight_ih, nostate.grad.weight_hh, nostate.grad.bias_ih,
  nostate.grad.bias_hh: the same weights run with state None (zeros), dhT = dcT = 0,
      i.e. loss = sum(y*dy).

lm_model.bin  (PTB_LSTM/model.py's Model, tied, eval mode = dropout off)
------------
  V E H T B          i64 [1]   11 6 6 4 2
  state_dict_names   u8 text, the names model.state_dict() returns, one per line (each
                     followed by '\\n'):  embed1.weight, lstm3.weight_ih_l0, lstm3.weight_hh_l0,
                     lstm3.bias_ih_l0, lstm3.bias_hh_l0, lstm4.(same four), fc6.weight, fc6.bias
  fc6_weight_in_state_dict  i64 [1]  1: PyTorch's state_dict DOES list the tied weight twice
                     (embed1.weight and fc6.weight, the same tensor); the checkpoint loader
                     must accept (and may check the equality of) both.
  parameter_names    u8 text, model.named_parameters() (de-duplicated: no fc6.weight); the
                     parameters clip_grad_norm_ and the SGD step iterate over.
  <state_dict name>  f32, every state_dict entry (fc6.weight == embed1.weight, V x E).  All
                     parameters U(-0.3, 0.3) (biases non-zero).
  ids, targets (T,B) i64;  h0, c0 (1,B,H) f32 randn*0.5
  forward:  e = embed1.weight[ids] (T,B,E);  (y3, (h3, c3)) = lstm3(e, (h0, c0));
            (y4, (h4, c4)) = lstm4(y3, (h3, c3))   <- QUIRK: lstm4 starts from lstm3's final
            state of the same chunk;  logits = y4 W^T + fc6.bias, W = embed1.weight;
            returned state = (h4, c4).
  lstm3.y (T,B,H), lstm3.hT, lstm3.cT (1,B,H)   intermediate values
  logits (T,B,V); hT, cT (1,B,H) = (h4, c4)
  loss               f32 [1]  F.cross_entropy(logits.view(T*B,V), targets.view(T*B)), mean
  grad.<param>       for every named parameter (the tied weight ONCE, grad.embed1.weight =
                     embedding-lookup gradient + fc6 gradient); grad.h0, grad.c0 (1,B,H)
  clip.max_norm      f32 [1] 0.25
  clip.total_norm    f32 [1] torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25) (torch
                     1.13): n_p = ||g_p||_2 per unique parameter (f32), total = ||(n_p)||_2 (f32);
  clip.coef          f32 [1] min(1, f32(0.25 / f32(total + 1e-6))); every gradient is multiplied
                     by it (also when it is 1)
  clipped.<param>    the gradients after clipping (named_parameters names)
  ids2, targets2 (T,B) i64; logits2 (T,B,V), loss2 f32 [1] (mean CE against targets2), hT2,
                     cT2 (1,B,H): a second chunk, no grad, fed the state (hT, cT) of the first
                     chunk detached (state carrying).

lm_fakequant.bin  (the reference's PTQ of this same model: PTB_LSTM/ptq.py, model.py quantize /
----------------   quantize_forward / quantize_inference, module.py QEmbedding / QLSTM / QLinear)
  V E H              i64 [1]  11 6 6;  batch i64 [1] 2;  bptt i64 [1] 4
  <state_dict name>  the same parameters as lm_model.bin
  valid_ids (41) i64, test_ids (37) i64   token streams; the token whose embedding row holds
                     max |embed1.weight| never occurs in valid_ids (so embed1.qo's range is
                     smaller than embed1.qw's) but does in test_ids (its lookups saturate)
  configs            u8 text, the titles, one per line:
                     INT_2 INT_4 INT_8 INT_16 POT_4 FLOAT_6_E3 FLOAT_8_E4
  full.ppl f32 [1], full.ppl_text, full.loss f32 [1] (L below), full.chunk_loss f32 [5],
  full.logits0 (4,2,V): the float model on test_ids with the evaluation loop below.
  per config <TITLE>:
    <TITLE>.ppl f32 [1], <TITLE>.ppl_text, <TITLE>.loss f32 [1] (= L)
    <TITLE>.chunk_loss f32 [n_chunks]  mean CE of every test chunk
    <TITLE>.logits0 (4,2,V)            the (fake-quantized) logits of test chunk 0
    <TITLE>.scale.<obs> f32 [1], <TITLE>.obs.<obs> f32 [2] (min, max): every observer after
        calibration, observers (16, reference module names qembed1/qlstm3/qlstm4/qfc6):
        embed1.qw embed1.qo
        lstm3.qih lstm3.qic lstm3.qwih lstm3.qwhh lstm3.qox lstm3.qoh lstm3.qoc
        lstm4.qwih lstm4.qwhh lstm4.qox lstm4.qoh lstm4.qoc
        fc6.qw fc6.qo
        (there is no qix anywhere, no qih/qic on lstm4, no qi on fc6; the reference's M
        buffers are never computed: freeze() is never called.)

Semantics of lm_fakequant (what the C implementation must compute)
------------------------------------------------------------------
Data.  batchify(s, 2): R = len(s) // 2 rows (tail dropped), matrix[t][j] = s[j*R + t] (column j
  = the j-th contiguous slice).  valid: 41 -> R = 20; test: 37 -> R = 18.  Chunks start at
  i = 0, bptt, 2 bptt, ... while i < R - 1; seq_len = min(bptt, R - 1 - i); input rows
  i .. i+seq_len-1, targets rows i+1 .. i+seq_len flattened time-major (index t*B + j).  valid:
  5 chunks of 4,4,4,4,3; test: 5 chunks of 4,4,4,4,1.
Quantizer (ptq_oracle's QParam / quantize / fake_quantize; checked identical to PTB_LSTM/
  module.py for this use, see below):  observer update(t): max = max(max, max(t)) (first
  observation: max(t)), then max = max(max, 0); min likewise, then min = min(min, 0);
  scale = f32(f32(max(|min|, |max|)) / f32(qmax)) recomputed on every update, zero point 0.
  fake_quantize(x) = scale * nearest(clamp(f32(x / scale) + 0, -qmax, qmax)) (a true f32
  division, not a multiplication by 1/scale); INT nearest = round half to even; POT/FLOAT
  nearest = the reference's full search over list(set(grid)) (first minimum of the f32
  |v - g| in that list order, result (g - v) + v) -- the CNN rule, spec ptq-engine 2.6.
  qmax: INT 2^(b-1)-1, POT 1, FLOAT (2 - 2^-m) 2^(2^(e-1)), m = b-1-e.
  All observers are per tensor; the tied weight is observed separately (and identically) by
  embed1.qw and fc6.qw.
One quantized forward of a chunk (ids (T,B), state S = None or (h, c) of shape (1,B,H));
  "obs(q, t)" = q.update(t), done ONLY in calibration; "fq(q, t)" = fake_quantize(t, q):
  1. obs(embed1.qw, E); e = fq(embed1.qw, E)[ids]; obs(embed1.qo, e); e = fq(embed1.qo, e).
     (ids not quantized; embed1.qo sees only the looked-up rows)
  2. lstm3: if S is not None: (h, c) = S; obs(qih, h); h = fq(qih, h); obs(qic, c);
     c = fq(qic, c).  If S is None nothing is observed or quantized and the layer starts from
     zeros.  obs(qwih, W_ih); obs(qwhh, W_hh); run the float LSTM recurrence with
     fq(qwih, W_ih), fq(qwhh, W_hh) (whole matrices, no per-gate split), FLOAT biases, on e;
     no quantization inside the recurrence.  Then obs(qox, y); y = fq(qox, y) (all T steps, one
     tensor); obs(qoh, hT); hT = fq(qoh, hT); obs(qoc, cT); cT = fq(qoc, cT).
  3. lstm4: the same with its own qwih/qwhh/qox/qoh/qoc and NO state quantizer, on input y of
     lstm3 (qox-quantized) from lstm3's qoh/qoc-quantized (hT, cT) of THIS chunk (always a
     state, also in chunk 0).
  4. fc6: obs(fc6.qw, E); logits = y4.view(T*B, H) fq(fc6.qw, E)^T + fc6.bias (float bias, no
     input quantizer); obs(fc6.qo, logits); logits = fq(fc6.qo, logits).  -> (T,B,V)
  5. the returned state is lstm4's (qoh(h4), qoc(c4)); the caller detaches it and passes it to
     the next chunk, where lstm3 fake-quantizes it AGAIN with its own qih/qic (double
     quantization with different scales).
  Dropout is absent (eval; quantize_inference does not even call it).
Calibration (ptq.py direct_quantize): model freshly quantized (all observers empty), state None,
  every valid chunk in order through the forward above WITH observation (each fq uses the
  scale just updated by the same chunk), state carried.  lstm3.qih/qic are first observed in
  chunk 1 (chunk 0 has no state); their range thus comes from lstm4's quantized final states.
Evaluation (ptq.py quantize_inference): no freeze, no observation (scales as after
  calibration), state None for test chunk 0 (so lstm3's qih/qic are NOT applied to chunk 0;
  from chunk 1 on they are), carried and detached.  Per chunk ce_k = mean F.cross_entropy
  (f32) over its seq_len*B predictions, converted to a double (.item()).
  L = (sum_k seq_len_k * ce_k) / (R - 1)   (double; the sum of the seq_len is R - 1, so L is
  the mean per-token CE; R = the batchified row count, 18 here), ppl = exp(L) (double; stored
  as f32 and as text).  full.ppl: the same loop on the float model (ptq.py full_inference,
  state None = zeros).

Differences of PTB_LSTM/module.py from the CNN module.py / ptq_oracle, and reference quirks:
  * QParam update, calcScaleZeroPoint, quantize_tensor, get_nearest_val, the POT/FLOAT grids
    (utils.py build_list, list(set(...)) order) are the same as the CNN's, hence ptq_oracle's.
  * No freeze: ptq.py calibrates and then calls the fake-quant quantize_inference directly, so
    the biases are NEVER quantized (Model.freeze / QLSTM.freeze would fake-quantize b_ih with
    qix.scale*qwih.scale and b_hh with qih.scale*qwhh.scale, and QEmbedding.freeze +
    QLinear.freeze would both overwrite the one tied matrix with codes -- dead code); the bias
    formats (gol bias list) are set but unused.
  * QLinear.quantize_inference / QEmbedding.quantize_inference here are fake-quant (float)
    paths, unlike the CNN's integer-domain inference; no M, no requantization.
  * The logits are fake-quantized with fc6.qo before the cross-entropy.
  * The final h of lstm3/lstm4 equals the last time step of its output but is quantized with a
    different observer (qoh vs qox); the carried state uses qoh/qoc, the next layer/fc6 uses qox.
  * hidden=None vs zeros matters: with an explicit zero state lstm3.qih would observe zeros
    only (scale 0 -> 0/0 = NaN), hence the reference starts every pass from None.
  * Each QLSTM call builds a throw-away nn.LSTM (consumes the RNG; no effect in eval mode).
Checked: lm_model.bin (forward, gradients, clipping, chunk 2) and every lm_fakequant.bin value
  (ppl, logits0, all 16 scales of all 7 configs) are reproduced bit for bit by the reference's
  own model.py/module.py/utils.py/lstm_utils.py driven with ptq.py's loops (run outside this
  repository).  Caveats for the C comparison: with these small U(-0.3, 0.3) weights the logits
  are small (~0.3), so every ppl is close to V = 11 and the ppls barely separate the configs --
  compare logits0, chunk_loss and the scales, which do; an ulp-level difference in the LSTM
  can move a value across a rounding boundary of a coarse grid (compare with a tolerance of a
  few quantization steps where that happens).  Evaluation saturates where the test data leave
  the calibrated ranges: in test chunk 0 one logit (0.3119) exceeds fc6.qo's calibrated max
  (0.3105), so logits0 differs from full.logits0 by ~1.4e-3 even at INT_16; the excluded token
  (first occurring in test chunk 1 and later) saturates at embed1.qo.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.dont_write_bytecode = True     # keep tools/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_fixtures as gf          # noqa: E402  (seed_for)
import mtaf                        # noqa: E402
import ptq_oracle as po            # noqa: E402  (Fmt, QParam, fake_quantize, configs)

F32 = torch.float32
I64 = torch.int64

LM_V, LM_E, LM_H, LM_T, LM_B = 11, 6, 6, 4, 2
BPTT, EVAL_BATCH = 4, 2
N_VALID, N_TEST = 41, 37
FQ_CONFIGS = ['INT_2', 'INT_4', 'INT_8', 'INT_16', 'POT_4', 'FLOAT_6_E3', 'FLOAT_8_E4']
OBSERVERS = ['embed1.qw', 'embed1.qo',
             'lstm3.qih', 'lstm3.qic', 'lstm3.qwih', 'lstm3.qwhh', 'lstm3.qox', 'lstm3.qoh',
             'lstm3.qoc',
             'lstm4.qwih', 'lstm4.qwhh', 'lstm4.qox', 'lstm4.qoh', 'lstm4.qoc',
             'fc6.qw', 'fc6.qo']


def i64(v):
    return torch.tensor([v], dtype=I64)


def f32v(v):
    return torch.tensor([float(v)], dtype=F32)


def text(v):
    return repr(float(v)).encode()


def lines(names):
    return ''.join(n + '\n' for n in names)


def lstm_manual(x, wih, whh, bih, bhh, h, c):
    """The gate equations written out (i, f, g, o), for checking nn.LSTM."""
    ys = []
    for t in range(x.shape[0]):
        z = x[t] @ wih.t() + bih + h @ whh.t() + bhh
        i, f, g, o = z.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        ys.append(h)
    return torch.stack(ys), h, c


# =============================================================================================
# lstm_layer.bin
# =============================================================================================


def lstm_layer_fixture(outdir):
    name = 'lstm_layer'
    torch.manual_seed(gf.seed_for(name))
    T, B, I, H = 5, 3, 4, 6
    lstm = nn.LSTM(I, H, 1)
    with torch.no_grad():
        for p in lstm.parameters():
            p.uniform_(-0.5, 0.5)
    x = torch.randn(T, B, I) * 2.0
    h0 = torch.randn(B, H)
    c0 = torch.randn(B, H)
    dy = torch.randn(T, B, H)
    dhT = torch.randn(B, H)
    dcT = torch.randn(B, H)
    W = {'weight_ih': lstm.weight_ih_l0, 'weight_hh': lstm.weight_hh_l0,
         'bias_ih': lstm.bias_ih_l0, 'bias_hh': lstm.bias_hh_l0}

    def run(with_state):
        lstm.zero_grad()
        xl = x.clone().requires_grad_(True)
        hl = h0.clone().requires_grad_(True)
        cl = c0.clone().requires_grad_(True)
        if with_state:
            y, (hT, cT) = lstm(xl, (hl[None], cl[None]))
            loss = (y * dy).sum() + (hT[0] * dhT).sum() + (cT[0] * dcT).sum()
        else:
            y, (hT, cT) = lstm(xl)
            loss = (y * dy).sum()
        loss.backward()
        with torch.no_grad():
            z = torch.zeros(B, H)
            my, mh, mc = lstm_manual(x, *(W[k] for k in ('weight_ih', 'weight_hh', 'bias_ih',
                                                           'bias_hh')),
                                     h0 if with_state else z, c0 if with_state else z)
            assert torch.allclose(my, y, atol=1e-6) and torch.allclose(mh, hT[0], atol=1e-6) \
                and torch.allclose(mc, cT[0], atol=1e-6), 'nn.LSTM != gate equations'
        out = {'y': y.detach().clone(), 'hT': hT[0].detach().clone(),
               'cT': cT[0].detach().clone(), 'grad.x': xl.grad.clone()}
        if with_state:
            out['grad.h0'] = hl.grad.clone()
            out['grad.c0'] = cl.grad.clone()
        for k, p in W.items():
            out['grad.' + k] = p.grad.detach().clone()
        return out

    full = run(True)
    nost = run(False)
    with torch.no_grad():
        z = x @ W['weight_ih'].t() + W['bias_ih'] + W['bias_hh']
        sat = (z.abs() > 2).float().mean()
    entries = [('T', i64(T)), ('B', i64(B)), ('I', i64(I)), ('H', i64(H))]
    entries += [(k, p.detach().clone()) for k, p in W.items()]
    entries += [('x', x), ('h0', h0), ('c0', c0), ('dy', dy), ('dhT', dhT), ('dcT', dcT)]
    for k in ('y', 'hT', 'cT', 'grad.x', 'grad.h0', 'grad.c0', 'grad.weight_ih',
              'grad.weight_hh', 'grad.bias_ih', 'grad.bias_hh'):
        entries.append((k, full[k]))
    entries += [('nostate.x', x.clone()), ('nostate.dy', dy.clone())]
    for k in ('y', 'hT', 'cT', 'grad.x', 'grad.weight_ih', 'grad.weight_hh', 'grad.bias_ih',
              'grad.bias_hh'):
        entries.append(('nostate.' + k, nost[k]))
    path = os.path.join(outdir, name + '.bin')
    mtaf.write(path, entries)
    print('%s  (|W_ih x + b| > 2 for %.0f%% of the gate inputs)' % (path, 100 * float(sat)))
    return path


# =============================================================================================
# The language model (PTB_LSTM/model.py's structure and attribute names)
# =============================================================================================


class LM(nn.Module):
    def __init__(self, V, E, H, dropout=0.65):
        super().__init__()
        assert E == H, 'tied weights need embed == hidden'
        self.embed1 = nn.Embedding(V, E)
        self.drop2 = nn.Dropout(dropout)
        self.lstm3 = nn.LSTM(E, H, 1)
        self.lstm4 = nn.LSTM(H, H, 1)
        self.drop5 = nn.Dropout(dropout)
        self.fc6 = nn.Linear(H, V)
        self.fc6.weight = self.embed1.weight           # tied: one parameter

    def forward(self, ids, state=None, keep=None):
        x = self.drop2(self.embed1(ids))
        x, s = self.lstm3(x, state)
        if keep is not None:
            keep['lstm3'] = (x, s)
        x, s = self.lstm4(x, s)                        # quirk: lstm3's final state
        x = self.drop5(x)
        t, n = x.shape[0], x.shape[1]
        logits = self.fc6(x.reshape(t * n, -1)).view(t, n, -1)
        return logits, s


def make_lm():
    """The small tied model of lm_model.bin / lm_fakequant.bin (same seed -> same weights)."""
    torch.manual_seed(gf.seed_for('lm_model'))
    model = LM(LM_V, LM_E, LM_H)
    with torch.no_grad():
        for _, p in model.named_parameters():
            p.uniform_(-0.3, 0.3)
    model.eval()
    return model


def state_entries(model):
    return [(k, v.detach().clone().contiguous()) for k, v in model.state_dict().items()]


def lm_model_fixture(outdir):
    model = make_lm()
    V, E, H, T, B = LM_V, LM_E, LM_H, LM_T, LM_B
    sd_names = list(model.state_dict().keys())
    par_names = [n for n, _ in model.named_parameters()]
    assert 'fc6.weight' in sd_names and 'fc6.weight' not in par_names
    assert torch.equal(model.state_dict()['fc6.weight'], model.state_dict()['embed1.weight'])
    g = torch.Generator().manual_seed(gf.seed_for('lm_model.data'))
    ids = torch.randint(0, V, (T, B), generator=g, dtype=I64)
    targets = torch.randint(0, V, (T, B), generator=g, dtype=I64)
    ids2 = torch.randint(0, V, (T, B), generator=g, dtype=I64)
    targets2 = torch.randint(0, V, (T, B), generator=g, dtype=I64)
    h0 = torch.randn(1, B, H, generator=g) * 0.5
    c0 = torch.randn(1, B, H, generator=g) * 0.5

    model.zero_grad()
    hl = h0.clone().requires_grad_(True)
    cl = c0.clone().requires_grad_(True)
    keep = {}
    logits, (hT, cT) = model(ids, (hl, cl), keep)
    loss = F.cross_entropy(logits.view(T * B, V), targets.view(T * B))
    loss.backward()
    grads = [(n, p.grad.detach().clone()) for n, p in model.named_parameters()]
    total = torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
    clipped = [(n, p.grad.detach().clone()) for n, p in model.named_parameters()]
    # the rule, re-done by hand (torch 1.13)
    norms = torch.stack([torch.linalg.vector_norm(gr, 2) for _, gr in grads])
    tn = torch.linalg.vector_norm(norms, 2)
    assert torch.equal(tn, total), (tn, total)
    coef = torch.clamp(0.25 / (tn + 1e-6), max=1.0)
    for (n, gr), (_, cg) in zip(grads, clipped):
        assert torch.equal(gr * coef, cg), n
    assert float(total) > 0.25, 'clipping does not bite (total norm %r)' % float(total)
    with torch.no_grad():
        logits2, (hT2, cT2) = model(ids2, (hT.detach(), cT.detach()))
        loss2 = F.cross_entropy(logits2.view(T * B, V), targets2.view(T * B))
    y3, (h3, c3) = keep['lstm3']
    entries = [('V', i64(V)), ('E', i64(E)), ('H', i64(H)), ('T', i64(T)), ('B', i64(B)),
               ('state_dict_names', lines(sd_names)),
               ('fc6_weight_in_state_dict', i64(1)),
               ('parameter_names', lines(par_names))]
    entries += state_entries(model)
    entries += [('ids', ids), ('targets', targets), ('h0', h0), ('c0', c0),
                ('lstm3.y', y3.detach().clone()), ('lstm3.hT', h3.detach().clone()),
                ('lstm3.cT', c3.detach().clone()),
                ('logits', logits.detach().clone()), ('hT', hT.detach().clone()),
                ('cT', cT.detach().clone()), ('loss', loss.detach().reshape(1).clone())]
    entries += [('grad.' + n, gr) for n, gr in grads]
    entries += [('grad.h0', hl.grad.clone()), ('grad.c0', cl.grad.clone()),
                ('clip.max_norm', f32v(0.25)), ('clip.total_norm', total.detach().reshape(1)),
                ('clip.coef', coef.detach().reshape(1))]
    entries += [('clipped.' + n, cg) for n, cg in clipped]
    entries += [('ids2', ids2), ('targets2', targets2), ('logits2', logits2),
                ('loss2', loss2.reshape(1)), ('hT2', hT2), ('cT2', cT2)]
    path = os.path.join(outdir, 'lm_model.bin')
    mtaf.write(path, entries)
    print('%s  (loss %.6f, total grad norm %.6f, loss2 %.6f)' %
          (path, float(loss), float(total), float(loss2)))
    print('  state_dict names: %s' % ' '.join(sd_names))
    return path


# =============================================================================================
# lm_fakequant.bin
# =============================================================================================


def batchify(data, bsz):
    nb = data.shape[0] // bsz
    return data[:nb * bsz].view(bsz, -1).t().contiguous()


def get_batch(src, i, bptt):
    seq_len = min(bptt, src.shape[0] - 1 - i)
    return src[i:i + seq_len], src[i + 1:i + 1 + seq_len].reshape(-1)


_LSTMS = {}


def run_lstm(x, wih, whh, bih, bhh, state):
    """nn.LSTM (one layer) with the given tensors; state None -> zeros (as nn.LSTM(x))."""
    key = (wih.shape[1], whh.shape[1])
    if key not in _LSTMS:
        with torch.random.fork_rng():
            _LSTMS[key] = nn.LSTM(key[0], key[1], 1)
    m = _LSTMS[key]
    with torch.no_grad():
        m.weight_ih_l0.copy_(wih)
        m.weight_hh_l0.copy_(whh)
        m.bias_ih_l0.copy_(bih)
        m.bias_hh_l0.copy_(bhh)
        return m(x) if state is None else m(x, state)


class FakeQuantLM:
    """The reference's quantize() / quantize_forward() / quantize_inference() of the LM, on
    ptq_oracle's observers.  forward(ids, state, observe)."""

    def __init__(self, model, fmt):
        self.p = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self.obs = {n: po.QParam(n, fmt) for n in OBSERVERS}

    def fq(self, name, t, observe):
        q = self.obs[name]
        if observe:
            q.update(t)
        return po.fake_quantize(t, q)

    def lstm(self, pre, x, state, state_quant, observe):
        p, o = self.p, self.obs
        if state is not None and state_quant:
            h, c = state
            h = self.fq(pre + '.qih', h, observe)
            c = self.fq(pre + '.qic', c, observe)
            state = (h, c)
        wih, whh = p[pre + '.weight_ih_l0'], p[pre + '.weight_hh_l0']
        if observe:
            o[pre + '.qwih'].update(wih)
            o[pre + '.qwhh'].update(whh)
        y, (h, c) = run_lstm(x, po.fake_quantize(wih, o[pre + '.qwih']),
                             po.fake_quantize(whh, o[pre + '.qwhh']),
                             p[pre + '.bias_ih_l0'], p[pre + '.bias_hh_l0'], state)
        y = self.fq(pre + '.qox', y, observe)
        h = self.fq(pre + '.qoh', h, observe)
        c = self.fq(pre + '.qoc', c, observe)
        return y, (h, c)

    def forward(self, ids, state, observe):
        p, o = self.p, self.obs
        E = p['embed1.weight']
        if observe:
            o['embed1.qw'].update(E)
        x = F.embedding(ids, po.fake_quantize(E, o['embed1.qw']))
        x = self.fq('embed1.qo', x, observe)
        x, s = self.lstm('lstm3', x, state, True, observe)
        x, s = self.lstm('lstm4', x, s, False, observe)
        t, n = x.shape[0], x.shape[1]
        W = p['fc6.weight']
        if observe:
            o['fc6.qw'].update(W)
        y = F.linear(x.reshape(t * n, -1), po.fake_quantize(W, o['fc6.qw']), p['fc6.bias'])
        y = self.fq('fc6.qo', y, observe)
        return y.view(t, n, -1), s


def evaluate(step, data, V):
    """ptq.py full_inference / quantize_inference: -> (L, ppl, chunk losses, logits of chunk 0)."""
    total = 0.0
    state = None
    ces, logits0 = [], None
    with torch.no_grad():
        for i in range(0, data.shape[0] - 1, BPTT):
            x, y = get_batch(data, i, BPTT)
            logits, state = step(x, state)
            if logits0 is None:
                logits0 = logits.clone()
            ce = F.cross_entropy(logits.view(-1, V), y).item()
            ces.append(ce)
            total += x.shape[0] * ce
            state = tuple(s.detach() for s in state)
    L = total / (data.shape[0] - 1)
    return L, math.exp(L), ces, logits0


def lm_fakequant_fixture(outdir):
    model = make_lm()
    V = LM_V
    g = torch.Generator().manual_seed(gf.seed_for('lm_fakequant.data'))
    # the token whose embedding row holds max |E| never occurs in valid: embed1.qo then sees
    # a smaller range than embed1.qw, and its test occurrences saturate at +-qmax
    E = model.embed1.weight.detach()
    rmax = int(E.abs().max(dim=1).values.argmax())
    valid_ids = torch.randint(0, V - 1, (N_VALID,), generator=g, dtype=I64)
    valid_ids = valid_ids + (valid_ids >= rmax).to(I64)
    test_ids = torch.randint(0, V, (N_TEST,), generator=g, dtype=I64)
    assert not bool((valid_ids == rmax).any()) and bool((test_ids[:36] == rmax).any())
    val_data = batchify(valid_ids, EVAL_BATCH)
    test_data = batchify(test_ids, EVAL_BATCH)
    cfg = {t: (k, b, e) for t, k, b, e in po.configs()}

    entries = [('V', i64(LM_V)), ('E', i64(LM_E)), ('H', i64(LM_H)), ('batch', i64(EVAL_BATCH)),
               ('bptt', i64(BPTT))]
    entries += state_entries(model)
    entries += [('valid_ids', valid_ids), ('test_ids', test_ids), ('configs', lines(FQ_CONFIGS))]
    L, ppl, ces, lg0 = evaluate(lambda x, s: model(x, s), test_data, V)
    full_lg0 = lg0
    entries += [('full.ppl', f32v(ppl)), ('full.ppl_text', text(ppl)), ('full.loss', f32v(L)),
                ('full.chunk_loss', torch.tensor(ces, dtype=F32)), ('full.logits0', lg0)]
    print('lm_fakequant: full ppl %.6f' % ppl)
    res = {}
    for title in FQ_CONFIGS:
        k, b, e = cfg[title]
        q = FakeQuantLM(model, po.Fmt(k, b, e))
        state = None
        with torch.no_grad():                              # calibration on valid
            for i in range(0, val_data.shape[0] - 1, BPTT):
                x, _ = get_batch(val_data, i, BPTT)
                _, state = q.forward(x, state, True)
                state = tuple(s.detach() for s in state)
        L, qppl, ces, lg0 = evaluate(lambda x, s: q.forward(x, s, False), test_data, V)
        res[title] = (qppl, float((lg0 - full_lg0).abs().max()))
        entries += [(title + '.ppl', f32v(qppl)), (title + '.ppl_text', text(qppl)),
                    (title + '.loss', f32v(L)),
                    (title + '.chunk_loss', torch.tensor(ces, dtype=F32)),
                    (title + '.logits0', lg0)]
        for n in OBSERVERS:
            ob = q.obs[n]
            assert ob.scale is not None and ob.scale > 0, (title, n)
            entries += [('%s.scale.%s' % (title, n), f32v(ob.scale)),
                        ('%s.obs.%s' % (title, n), torch.tensor([ob.min, ob.max], dtype=F32))]
        print('  %-11s ppl %12.6f  ratio %.6f  max|logits0 - full| %.6f' %
              (title, qppl, qppl / ppl, res[title][1]))
    assert abs(res['INT_16'][0] / ppl - 1) < 1e-3, 'INT_16 far from full precision'
    dev = [res[t][1] for t in ('INT_2', 'INT_4', 'INT_8', 'INT_16')]
    assert dev == sorted(dev, reverse=True), ('logits0 error not falling with the bits', dev)
    path = os.path.join(outdir, 'lm_fakequant.bin')
    mtaf.write(path, entries)
    print(path)
    return path


def main(argv):
    if len(argv) != 1:
        print('usage: gen_lstm_fixtures.py OUTDIR', file=sys.stderr)
        return 2
    os.makedirs(argv[0], exist_ok=True)
    torch.set_num_threads(1)
    torch.set_default_dtype(F32)
    lstm_layer_fixture(argv[0])
    lm_model_fixture(argv[0])
    lm_fakequant_fixture(argv[0])
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
