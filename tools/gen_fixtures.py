#!/usr/bin/python3
"""Write the PyTorch reference fixtures for the C tests:  gen_fixtures.py OUTDIR

Deterministic (fixed seeds, CPU, float32, one thread).  All files are MTAF (tools/mtaf.py,
tests/fixture.h) except one safetensors checkpoint.

layer_<what>.bin  one small model in the project's model language (experiments/models/README.md)
                  entries: model (u8 text), input (f32 NCHW), every parameter and buffer under its
                  state_dict name (num_batches_tracked skipped), output (f32, eval mode).
model_<Name>.bin  a width-scaled reference network (tools/reference_models.py), entries:
                  model_name (u8), width (f32 [1]), classes (i64 [1]), input (f32 2x3x32x32),
                  the state_dict without num_batches_tracked, output (f32 logits, eval mode).
model_ResNet_18.safetensors
                  the same ResNet_18 weights written exactly as safetensors.torch.save_file
                  would (full state_dict incl. num_batches_tracked as I64 scalars, no metadata).

Gradient fixtures (training mode: model.train(); BatchNorm normalises with the batch mean and
the biased batch variance, eps 1e-5, and updates running_mean/running_var with momentum 0.1 from
the batch mean and the UNBIASED batch variance: r = 0.9*r + 0.1*batch_stat):

grad_<what>.bin   one per forward layer fixture, same <what>, model text and input shape, except
                  that `dropout p=0.5` becomes `dropout p=0.0` (grad_dropout, grad_seq_alexnet:
                  identity, grad.input == dout).  Entries, in this order:
                    model        u8 text
                    input        f32 NCHW
                    <state>      every parameter and buffer BEFORE the step under its state_dict
                                 name (BN running stats randomised; num_batches_tracked skipped)
                    output       f32, train-mode forward output
                    dout         f32, same shape as output, fixed random; the loss is
                                 sum(output * dout), so dL/doutput = dout
                    grad.<name>  f32, dL/d<name> for every parameter (all require grad: conv and
                                 linear weight/bias, BN weight/bias), named_parameters order
                    grad.input   f32, dL/dinput
                    after.<bn>.running_mean, after.<bn>.running_var
                                 f32, every BatchNorm's running stats after the forward
                                 (<bn> = module name, e.g. bn0, ml0_blk1_ma_bn2)
                  Inputs are continuous random, so no maxpool window has a tie (zeros after a
                  ReLU may tie, but a gradient routed to such a zero is killed by that ReLU's
                  backward, so the tie-break rule does not show).  grad_relu holds exact 0.0
                  inputs and grad_relu6 exact 0.0 and 6.0 inputs: PyTorch's gradient there is 0
                  (relu: passes where out > 0; relu6 = hardtanh(0, 6): passes where 0 < x < 6).
                  A conv bias feeding a train-mode BN has a true gradient of exactly 0; the
                  fixture holds float32 rounding noise (|g| < ~2e-5): compare with an absolute
                  tolerance.
grad_model_<Name>.bin
                  Name in GRAD_MODEL_FIXTURES (ResNet_18): the width-0.0625, 10-class network
                  with prepare_model's weights, train mode, batch 4, loss =
                  F.cross_entropy(logits, labels) (mean over the batch).  Entries, in order:
                  model_name (u8), width (f32 [1]), classes (i64 [1]), input (f32 4x3x32x32),
                  <state> before the step (no num_batches_tracked), labels (i64 [4]),
                  output (f32 [4, classes] train-mode logits), loss (f32 [1]), grad.<name> for
                  every parameter, grad.input, after.<bn>.running_mean / running_var.
sgd_step.bin      torch.optim.SGD(lr=0.1, momentum=0.9, dampening=0, nesterov=True,
                  weight_decay=5e-4) over three parameter tensors p0 [3,4], p1 [5],
                  p2 [2,3,3,3]; lr is set to 0.05 before step 3.  Entries, in order: p0 p1 p2
                  (initial values), momentum (f32 [1]), weight_decay (f32 [1]), then for
                  s = 1, 2, 3: lr_s (f32 [1]), g0_s g1_s g2_s (the gradients given to step s),
                  p0_after_s p1_after_s p2_after_s.  PyTorch's rule (float32, per element):
                    d = g + wd*p;  buf = d (step 1) else buf = momentum*buf + d;
                    d = d + momentum*buf;  p = p - lr*d
                  (PyTorch computes a + alpha*b with FMA in its vector path: expect ~1 ulp).

The layer fixtures are built by a small reader of the model language in this file (a second,
independent reading of the README) on top of reference_models.RefNet, so their tensor names are
the reference's names for the line positions.

Run with Debian's interpreter: /usr/bin/python3 tools/gen_fixtures.py tests/fixtures
"""
import json
import os
import struct
import sys
import zlib

import torch

sys.dont_write_bytecode = True     # keep tools/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtaf  # noqa: E402
import reference_models as rm  # noqa: E402

MODEL_WIDTH = 0.0625           # width multiplier of the whole-model fixtures
MODEL_FIXTURES = ('ResNet_18', 'Inception_BN', 'MobileNetV2')

# ---------------------------------------------------------------------------------------------
# A reader for the model language (width 1, no `classes` word) producing a reference_models plan.
# ---------------------------------------------------------------------------------------------

_CONV_KEYS = {'out': None, 'k': None, 'stride': 1, 'pad': 0, 'groups': 1, 'bias': 1}
_OPS = {
    'conv': _CONV_KEYS, 'conv_bn': _CONV_KEYS, 'conv_bn_relu': _CONV_KEYS,
    'conv_bn_relu6': _CONV_KEYS,
    'relu': {}, 'relu6': {}, 'avgpool': {}, 'flatten': {}, 'softmax': {},
    'maxpool': {'k': None, 'stride': 'k', 'pad': 0},
    'dropout': {'p': 0.5},
    'linear': {'out': None, 'bias': 1},
    'inception': {'c1': None, 'c3r': None, 'c3': None, 'c5r': None, 'c5': None, 'pool': None},
    'stage': {'block': None, 'blocks': None, 'out': None, 'mid': 0, 'expand': 0, 'stride': 1},
}
_VARIANT = {'conv': '', 'conv_bn': 'B', 'conv_bn_relu': 'BRL', 'conv_bn_relu6': 'BRS'}


def parse_model(text, in_ch, in_hw):
    """Model text -> plan for reference_models.RefNet (input in_ch x in_hw[0] x in_hw[1])."""
    plan = []
    c, (h, w), flat = in_ch, in_hw, None
    n_inc = n_stage = 0
    lines = [ln.split('#', 1)[0].split() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    for i, toks in enumerate(lines):
        op = toks[0]
        if op not in _OPS:
            raise ValueError('line %d: unknown op %r' % (i, op))
        spec = _OPS[op]
        kv = {}
        for t in toks[1:]:
            key, _, val = t.partition('=')
            if key not in spec or key in kv:
                raise ValueError('line %d: %s: bad or repeated key %r' % (i, op, key))
            kv[key] = val if key == 'block' else (float(val) if key == 'p' else int(val))
        for key, dflt in spec.items():
            if key not in kv:
                if dflt is None:
                    raise ValueError('line %d: %s: missing key %r' % (i, op, key))
                kv[key] = kv[dflt] if isinstance(dflt, str) else dflt
        if op in _VARIANT:
            if c % kv['groups'] or kv['out'] % kv['groups']:
                raise ValueError('line %d: groups must divide in and out channels' % i)
            plan.append(('C', _VARIANT[op], c, kv['out'], kv['k'], kv['stride'], kv['pad'],
                         kv['groups'], bool(kv['bias'])))
            c = kv['out']
            h = rm.conv_out(h, kv['k'], kv['stride'], kv['pad'])
            w = rm.conv_out(w, kv['k'], kv['stride'], kv['pad'])
        elif op == 'relu':
            plan.append(('RL',))
        elif op == 'relu6':
            plan.append(('RS',))
        elif op == 'maxpool':
            plan.append(('MP', kv['k'], kv['stride'], kv['pad']))
            h = rm.conv_out(h, kv['k'], kv['stride'], kv['pad'])
            w = rm.conv_out(w, kv['k'], kv['stride'], kv['pad'])
        elif op == 'avgpool':
            plan.append(('AAP', 1))
            h = w = 1
        elif op == 'flatten':
            plan.append(('VW',))
            flat = c * h * w
        elif op == 'dropout':
            plan.append(('D', kv['p']))
        elif op == 'linear':
            if flat is None:
                raise ValueError('line %d: linear needs a flatten before it' % i)
            plan.append(('FC', flat, kv['out'], bool(kv['bias'])))
            flat = kv['out']
        elif op == 'softmax':
            plan.append(('SM',))
        elif op == 'inception':
            ch = (c, kv['c1'], kv['c3r'], kv['c3'], kv['c5r'], kv['c5'], kv['pool'])
            plan.append(('Inc', n_inc, ch))
            n_inc += 1
            c = kv['c1'] + kv['c3'] + kv['c5'] + kv['pool']
        elif op == 'stage':
            btype = {'basic': 'BBLK', 'bottleneck': 'BTNK', 'inverted': 'IRES'}[kv['block']]
            rows = []
            for k in range(kv['blocks']):
                s = kv['stride'] if k == 0 else 1
                out = kv['out']
                if btype == 'BBLK':
                    rows.append((s != 1 or c != out, c, out, out, s, 1))
                elif btype == 'BTNK':
                    assert kv['mid'] > 0, 'bottleneck needs mid'
                    rows.append((s != 1 or c != out, c, kv['mid'], out, s, 1))
                else:
                    assert kv['expand'] > 0, 'inverted needs expand'
                    rows.append((s == 1 and c == out, c, out, c * kv['expand'], s, 1))
                c = out
                h, w = rm.conv_out(h, 3, s, 1), rm.conv_out(w, 3, s, 1)
            plan.append(('ML', btype, n_stage, rows))
            n_stage += 1
    return plan


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def seed_for(name):
    return 1000 + zlib.crc32(name.encode()) % 100000


def randomize_bn(model, gamma=(0.5, 1.5), beta=0.5, mean=0.5, var=(0.4, 2.5)):
    """Random affine parameters and running statistics (running_var positive, not 1)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(*gamma)
                m.bias.normal_(0.0, beta)
                m.running_mean.normal_(0.0, mean)
                m.running_var.uniform_(*var)


def tensors_of(model):
    """state_dict entries except num_batches_tracked, in registration order."""
    return [(k, v.detach().clone().contiguous()) for k, v in model.state_dict().items()
            if not k.endswith('num_batches_tracked')]


def layer_fixture(outdir, what, text, shape, in_scale=1.0, in_shift=0.0, bn=None, check=None):
    """Build, randomise, run and write layer_<what>.bin; returns (path, output)."""
    name = 'layer_%s' % what
    torch.manual_seed(seed_for(name))
    n, c, h, w = shape
    model = rm.RefNet(parse_model(text, c, (h, w)))
    randomize_bn(model, **(bn or {}))
    model.eval()
    x = torch.randn(shape) * in_scale + in_shift
    with torch.no_grad():
        y = model(x.clone())
    if check:
        check(model, x, y)
    entries = [('model', text), ('input', x)] + tensors_of(model) + [('output', y)]
    path = os.path.join(outdir, name + '.bin')
    mtaf.write(path, entries)
    return path, y


# ---------------------------------------------------------------------------------------------
# safetensors, written by hand exactly like safetensors.torch.save_file (no metadata):
# tensors sorted by descending dtype (Rust enum order) then name; compact JSON header listing the
# tensors in data order with keys dtype, shape, data_offsets; header padded with spaces to a
# multiple of 8; u64 LE header length first.
# ---------------------------------------------------------------------------------------------

_ST_DTYPES = {  # torch dtype -> (safetensors name, rank in the Rust Dtype enum)
    torch.bool: ('BOOL', 0), torch.uint8: ('U8', 1), torch.int8: ('I8', 2),
    torch.int16: ('I16', 5), torch.float16: ('F16', 7), torch.bfloat16: ('BF16', 8),
    torch.int32: ('I32', 9), torch.float32: ('F32', 11), torch.float64: ('F64', 12),
    torch.int64: ('I64', 13),
}


def safetensors_bytes(tensors):
    items = sorted(tensors.items(), key=lambda kv: (-_ST_DTYPES[kv[1].dtype][1], kv[0].encode()))
    header, blobs, off = {}, [], 0
    for name, t in items:
        raw = t.detach().cpu().contiguous().numpy().tobytes()
        header[name] = {'dtype': _ST_DTYPES[t.dtype][0], 'shape': list(t.shape),
                        'data_offsets': [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    hb = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    hb += b' ' * ((8 - len(hb) % 8) % 8)
    return struct.pack('<Q', len(hb)) + hb + b''.join(blobs)


def safetensors_read(buf):
    (n,) = struct.unpack('<Q', buf[:8])
    header = json.loads(buf[8:8 + n].decode('utf-8'))
    data = buf[8 + n:]
    rev = {v[0]: k for k, v in _ST_DTYPES.items()}
    out, end = {}, 0
    for name, info in header.items():
        s, e = info['data_offsets']
        assert s == end, (name, s, end)
        end = e
        t = torch.frombuffer(bytearray(data[s:e]), dtype=rev[info['dtype']])
        out[name] = t.reshape(info['shape'])
    assert end == len(data)
    return out


def _safetensors_selftest():
    # The two serialization examples of the safetensors crate's own tests.
    b = safetensors_bytes({'attn.0': torch.arange(6, dtype=torch.float32).reshape(1, 2, 3)})
    assert b[:8] == struct.pack('<Q', 64)
    assert b[8:72] == b'{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}'
    assert b[72:] == torch.arange(6, dtype=torch.float32).numpy().tobytes()
    b = safetensors_bytes({'attn0': torch.arange(6, dtype=torch.float32).reshape(1, 1, 2, 3)})
    assert b[:8] == struct.pack('<Q', 72) and b[8 + 65:8 + 72] == b' ' * 7


# ---------------------------------------------------------------------------------------------
# Whole models
# ---------------------------------------------------------------------------------------------


def prepare_model(name, width, classes, x):
    """Seeded random weights with sane activations: random BN affine parameters, running
    statistics measured on a random batch then perturbed, classifier scaled to O(1) logits."""
    torch.manual_seed(seed_for('model_' + name))
    model = rm.build(name, in_ch=3, classes=classes, width=width)
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for m in bns:
            m.weight.uniform_(0.7, 1.3)
            m.bias.normal_(0.0, 0.2)
            m.reset_running_stats()
            m.momentum = None                   # cumulative average over the calibration pass
        model.eval()
        for m in bns:
            m.train()
        model(torch.randn(16, 3, 32, 32))
        model.eval()
        for m in bns:
            m.momentum = 0.1
            std = m.running_var.sqrt()
            m.running_mean.add_(torch.randn_like(std) * 0.2 * std)
            m.running_var.mul_(torch.empty_like(std).uniform_(0.7, 1.4))
        y = model(x)
        last = [m for m in model.children() if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))][-1]
        s = 1.5 / float(y.std())
        last.weight.mul_(s)
        if last.bias is not None:
            last.bias.mul_(s)
        y = model(x)
    return model, y


def model_fixture(outdir, name, width=MODEL_WIDTH, classes=10):
    torch.manual_seed(seed_for('input_' + name))
    x = torch.randn(2, 3, 32, 32)
    model, y = prepare_model(name, width, classes, x)
    entries = [('model_name', name), ('width', torch.tensor([width], dtype=torch.float32)),
               ('classes', torch.tensor([classes], dtype=torch.int64)), ('input', x)]
    entries += tensors_of(model) + [('output', y)]
    path = os.path.join(outdir, 'model_%s.bin' % name)
    mtaf.write(path, entries)
    return path, model, y


# ---------------------------------------------------------------------------------------------

def _relu6_check(model, x, y):
    assert float(y.max()) == 6.0 and float(y.min()) == 0.0, 'relu6 fixture does not saturate'


def _bn_relu6_check(model, x, y):
    with torch.no_grad():
        pre = model.bn0(model.conv0(x))
    assert float(pre.max()) > 6.0 and float(pre.min()) < 0.0, 'conv_bn_relu6 does not clip'


def _pool_pad_check(model, x, y):
    # some window overlapping the padding holds only negative values, so padding with -inf
    # (PyTorch) and padding with 0 give different results
    (op, k, s, p), = [e for e in model.plan if e[0] == 'MP']
    zero_pad = torch.nn.functional.max_pool2d(torch.nn.functional.pad(x, (p, p, p, p)), k, s)
    assert not torch.equal(zero_pad, y), 'padded maxpool fixture does not exercise -inf padding'


def _add_flags(expect):
    def check(model, x, y):
        names = {n for n, _ in model.named_children()}
        for blk, ds in expect.items():
            assert (('%s_ds_conv0' % blk) in names) == ds, (blk, ds)
    return check


def _ires_add(expect):
    def check(model, x, y):
        (op, btype, s, rows), = [e for e in model.plan if e[0] == 'ML']
        assert [r[0] for r in rows] == expect, rows
    return check


LAYER_FIXTURES = [
    # what, model text, input shape, options
    ('conv', 'conv out=5 k=3\n', (2, 3, 7, 7), {}),
    ('conv_stride2', 'conv out=4 k=3 stride=2\n', (2, 3, 9, 9), {}),
    ('conv_pad', 'conv out=4 k=3 pad=1\n', (3, 3, 7, 6), {}),
    ('conv_nobias', 'conv out=4 k=3 pad=1 bias=0\n', (2, 3, 7, 7), {}),
    ('conv_groups2', 'conv out=6 k=3 pad=1 groups=2\n', (2, 4, 7, 7), {}),
    ('conv_depthwise', 'conv out=4 k=3 stride=2 pad=1 groups=4\n', (2, 4, 9, 9), {}),
    ('conv_1x1_pad1', 'conv out=5 k=1 pad=1\n', (2, 3, 7, 7), {}),
    ('conv_5x5', 'conv out=3 k=5 pad=2\n', (2, 4, 9, 9), {}),
    ('conv_bn', 'conv_bn out=5 k=3 pad=1\n', (2, 3, 7, 7), {}),
    ('conv_bn_relu', 'conv_bn_relu out=6 k=3 stride=2 pad=1 bias=0\n', (2, 3, 9, 9), {}),
    ('conv_bn_relu6', 'conv_bn_relu6 out=6 k=3 pad=1\n', (2, 3, 7, 7),
     dict(in_scale=4.0, bn=dict(gamma=(2.0, 5.0)), check=_bn_relu6_check)),
    ('relu', 'relu\n', (2, 3, 5, 5), {}),
    ('relu6', 'relu6\n', (2, 3, 5, 5), dict(in_scale=5.0, check=_relu6_check)),
    ('maxpool_k2s2', 'maxpool k=2 stride=2\n', (2, 3, 7, 7), {}),
    ('maxpool_k3s2p1', 'maxpool k=3 stride=2 pad=1\n', (2, 3, 9, 9),
     dict(in_shift=-1.5, check=_pool_pad_check)),
    ('maxpool_k3s1p1', 'maxpool k=3 stride=1 pad=1\n', (2, 4, 6, 6),
     dict(in_shift=-1.5, check=_pool_pad_check)),
    ('avgpool', 'avgpool\n', (2, 3, 5, 5), {}),
    ('linear', 'flatten\nlinear out=5\n', (2, 3, 2, 2), {}),
    ('linear_nobias', 'flatten\nlinear out=4 bias=0\n', (3, 2, 3, 3), {}),
    ('dropout', 'dropout p=0.5\n', (2, 3, 5, 5), {}),
    ('softmax', 'flatten\nlinear out=6\nsoftmax\n', (2, 3, 2, 2), {}),
    ('inception', 'inception c1=2 c3r=3 c3=4 c5r=2 c5=3 pool=2\n', (2, 6, 7, 7), {}),
    ('stage_basic_ds', 'stage block=basic blocks=2 out=8 stride=2\n', (2, 4, 9, 9),
     dict(check=_add_flags({'ml0_blk0': True, 'ml0_blk1': False}))),
    ('stage_basic_id', 'stage block=basic blocks=1 out=6\n', (2, 6, 7, 7),
     dict(check=_add_flags({'ml0_blk0': False}))),
    ('stage_bottleneck', 'stage block=bottleneck blocks=2 mid=3 out=8 stride=2\n', (2, 4, 9, 9),
     dict(check=_add_flags({'ml0_blk0': True, 'ml0_blk1': False}))),
    ('stage_bottleneck_s1', 'stage block=bottleneck blocks=1 mid=2 out=8\n', (2, 4, 7, 7),
     dict(check=_add_flags({'ml0_blk0': True}))),
    ('stage_inverted', 'stage block=inverted blocks=2 out=6 expand=6 stride=2\n', (2, 4, 9, 9),
     dict(check=_ires_add([False, True]))),
    ('stage_inverted_add', 'stage block=inverted blocks=1 out=4 expand=6\n', (2, 4, 7, 7),
     dict(check=_ires_add([True]))),
    ('stage_inverted_t1', 'stage block=inverted blocks=1 out=3 expand=1\n', (2, 4, 7, 7),
     dict(check=_ires_add([False]))),
    # multi-line models: entry index = line position, ml/inc index = count of earlier such lines
    ('seq_conv_stage', 'conv out=4 k=3 pad=1\nstage block=basic blocks=2 out=8 stride=2\n',
     (2, 3, 9, 9), {}),
    ('seq_alexnet', 'conv out=4 k=3 pad=1\nrelu\nmaxpool k=2 stride=2\nflatten\ndropout p=0.5\n'
     'linear out=6\nrelu\nlinear out=5\n', (2, 3, 8, 8), {}),
    ('seq_resnet', 'conv_bn_relu out=4 k=3 pad=1 bias=0\nstage block=basic blocks=1 out=4\n'
     'stage block=bottleneck blocks=1 mid=2 out=8 stride=2\navgpool\nflatten\nlinear out=5\n',
     (2, 3, 9, 9), {}),
    ('seq_inception', 'conv out=6 k=3 pad=1\nrelu\n'
     'inception c1=2 c3r=3 c3=4 c5r=2 c5=3 pool=2\nmaxpool k=3 stride=2 pad=1\n'
     'inception c1=3 c3r=2 c3=3 c5r=1 c5=2 pool=2\navgpool\nconv out=5 k=1\nflatten\n',
     (2, 3, 9, 9), {}),
    ('seq_mobilenet', 'conv_bn_relu6 out=4 k=1 pad=1\nstage block=inverted blocks=1 out=3 expand=1\n'
     'stage block=inverted blocks=2 out=4 expand=6 stride=2\nconv_bn_relu6 out=8 k=1\n'
     'avgpool\nflatten\nlinear out=5\n', (2, 3, 7, 7), {}),
]


# ---------------------------------------------------------------------------------------------
# Gradient fixtures (training mode)
# ---------------------------------------------------------------------------------------------


def bn_after(model):
    """Running statistics of every BatchNorm2d as they are now, as after.<name>.running_*."""
    out = []
    for name, m in model.named_modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            out.append(('after.%s.running_mean' % name, m.running_mean.detach().clone()))
            out.append(('after.%s.running_var' % name, m.running_var.detach().clone()))
    return out


def param_grads(model):
    """grad.<name> for every parameter (all require grad), in named_parameters order."""
    out = []
    for name, p in model.named_parameters():
        assert p.requires_grad and p.grad is not None, name
        out.append(('grad.' + name, p.grad.detach().clone()))
    return out


def train_forward(model, x):
    """Train-mode forward of a leaf copy of x; returns (leaf, output).  The model's ReLUs are
    in place, so the leaf itself is never handed to the model."""
    model.train()
    xl = x.clone().requires_grad_(True)
    return xl, model(xl.clone())


def grad_layer_fixture(outdir, what, text, shape, in_scale=1.0, in_shift=0.0, bn=None,
                       exact=(), check=None):
    """Build, randomise, run forward + backward in train mode and write grad_<what>.bin."""
    name = 'grad_%s' % what
    torch.manual_seed(seed_for(name))
    n, c, h, w = shape
    model = rm.RefNet(parse_model(text, c, (h, w)))
    randomize_bn(model, **(bn or {}))
    x = torch.randn(shape) * in_scale + in_shift
    for idx, val in exact:                  # exact boundary values (relu / relu6 kinks)
        x.view(-1)[idx] = val
    before = tensors_of(model)
    xl, y = train_forward(model, x)
    dout = torch.randn(y.shape)
    (y * dout).sum().backward()
    y = y.detach().clone()
    if check:
        check(model, before, x, y, xl.grad)
    entries = [('model', text), ('input', x)] + before + [('output', y), ('dout', dout)]
    entries += param_grads(model) + [('grad.input', xl.grad.detach().clone())] + bn_after(model)
    path = os.path.join(outdir, name + '.bin')
    mtaf.write(path, entries)
    return path


def _g_relu6_check(model, before, x, y, gx):
    assert float(y.max()) == 6.0 and float(y.min()) == 0.0, 'relu6 fixture does not saturate'
    for v in (0.0, 6.0):
        at = x == v
        assert at.any() and bool((gx[at] == 0).all()), 'relu6 gradient at exactly %g' % v


def _g_relu_check(model, before, x, y, gx):
    at = x == 0.0
    assert at.any() and bool((gx[at] == 0).all()), 'relu gradient at exactly 0'


def _g_bn_relu6_check(model, before, x, y, gx):
    st = dict(before)
    with torch.no_grad():
        pre = torch.nn.functional.batch_norm(model.conv0(x), None, None, st['bn0.weight'],
                                             st['bn0.bias'], training=True)
    assert float(pre.max()) > 6.0 and float(pre.min()) < 0.0, 'conv_bn_relu6 does not clip'


def _g_bn_stats_check(model, before, x, y, gx):
    # running stats: momentum 0.1, unbiased batch variance
    st = dict(before)
    with torch.no_grad():
        z = model.conv0(x)
    mean = z.mean(dim=(0, 2, 3))
    var = z.var(dim=(0, 2, 3), unbiased=True)
    assert torch.allclose(model.bn0.running_mean, 0.9 * st['bn0.running_mean'] + 0.1 * mean,
                          atol=1e-6)
    assert torch.allclose(model.bn0.running_var, 0.9 * st['bn0.running_var'] + 0.1 * var,
                          atol=1e-5)


def _g_distinct(extra=None):
    # continuous random input: no two equal values, so no maxpool window has a tie
    def check(model, before, x, y, gx):
        assert torch.unique(x).numel() == x.numel(), 'maxpool input has ties'
        if extra:
            extra(model, x, y)
    return check


def _g_struct(fwd_check):
    # forward-fixture structural checks (model.plan / module names) still apply
    def check(model, before, x, y, gx):
        fwd_check(model, x, y)
    return check


# what -> options replacing those of the forward fixture (other fixtures: forward options
# without `check`, plus the forward structural check for stages)
_GRAD_OPTS = {
    'conv_bn': dict(check=_g_bn_stats_check),
    'conv_bn_relu6': dict(in_scale=4.0, bn=dict(gamma=(2.0, 5.0)), check=_g_bn_relu6_check),
    'relu': dict(exact=((0, 0.0), (7, 0.0), (40, 0.0)), check=_g_relu_check),
    'relu6': dict(in_scale=5.0, exact=((0, 0.0), (3, 6.0), (17, 0.0), (30, 6.0)),
                  check=_g_relu6_check),
    'maxpool_k2s2': dict(check=_g_distinct()),
    'maxpool_k3s2p1': dict(in_shift=-1.5, check=_g_distinct(_pool_pad_check)),
    'maxpool_k3s1p1': dict(in_shift=-1.5, check=_g_distinct(_pool_pad_check)),
}


def _grad_fixtures():
    out = []
    for what, text, shape, opts in LAYER_FIXTURES:
        text = text.replace('dropout p=0.5', 'dropout p=0.0')
        if what in _GRAD_OPTS:
            g = dict(_GRAD_OPTS[what])
        else:
            g = {k: v for k, v in opts.items() if k != 'check'}
            if what.startswith('stage_') and 'check' in opts:
                g['check'] = _g_struct(opts['check'])
        out.append((what, text, shape, g))
    return out


GRAD_FIXTURES = _grad_fixtures()
# MobileNetV2 (~276 kB) and Inception_BN (~326 kB) also work; left out to keep the
# fixtures near their size budget.
GRAD_MODEL_FIXTURES = ('ResNet_18',)
GRAD_MODEL_BATCH = 4


def grad_model_fixture(outdir, name, width=MODEL_WIDTH, classes=10, batch=GRAD_MODEL_BATCH):
    torch.manual_seed(seed_for('grad_input_' + name))
    x = torch.randn(batch, 3, 32, 32)
    labels = torch.randint(0, classes, (batch,), dtype=torch.int64)
    model, _ = prepare_model(name, width, classes, x)      # same seeded weights as model_<name>
    before = tensors_of(model)
    xl, y = train_forward(model, x)
    loss = torch.nn.functional.cross_entropy(y, labels)
    loss.backward()
    y = y.detach().clone()
    assert y.abs().max() < 50 and y.std() > 0.1, (name, y)
    entries = [('model_name', name), ('width', torch.tensor([width], dtype=torch.float32)),
               ('classes', torch.tensor([classes], dtype=torch.int64)), ('input', x)]
    entries += before + [('labels', labels), ('output', y),
                         ('loss', loss.detach().reshape(1).clone())]
    entries += param_grads(model) + [('grad.input', xl.grad.detach().clone())] + bn_after(model)
    path = os.path.join(outdir, 'grad_model_%s.bin' % name)
    mtaf.write(path, entries)
    return path


SGD_SHAPES = ((3, 4), (5,), (2, 3, 3, 3))
SGD_HP = dict(lr=0.1, momentum=0.9, dampening=0.0, nesterov=True, weight_decay=5e-4)
SGD_LRS = (0.1, 0.1, 0.05)          # lr of steps 1, 2, 3 (set on the param group before each)


def sgd_fixture(outdir):
    torch.manual_seed(seed_for('sgd_step'))
    p0 = [torch.randn(s) for s in SGD_SHAPES]
    params = [torch.nn.Parameter(p.clone()) for p in p0]
    opt = torch.optim.SGD(params, **SGD_HP)
    entries = [('p%d' % i, p) for i, p in enumerate(p0)]
    entries += [('momentum', torch.tensor([SGD_HP['momentum']], dtype=torch.float32)),
                ('weight_decay', torch.tensor([SGD_HP['weight_decay']], dtype=torch.float32))]
    ref = [p.double() for p in p0]              # float64 re-derivation of the update rule
    buf = [None] * len(p0)
    for s, lr in enumerate(SGD_LRS, 1):
        for grp in opt.param_groups:
            grp['lr'] = lr
        gs = [torch.randn(sh) for sh in SGD_SHAPES]
        for p, g in zip(params, gs):
            p.grad = g.clone()
        opt.step()
        entries.append(('lr_%d' % s, torch.tensor([lr], dtype=torch.float32)))
        entries += [('g%d_%d' % (i, s), g) for i, g in enumerate(gs)]
        entries += [('p%d_after_%d' % (i, s), p.detach().clone()) for i, p in enumerate(params)]
        for i, g in enumerate(gs):
            d = g.double() + SGD_HP['weight_decay'] * ref[i]
            buf[i] = d.clone() if buf[i] is None else SGD_HP['momentum'] * buf[i] + d
            ref[i] = ref[i] - lr * (d + SGD_HP['momentum'] * buf[i])
            assert torch.allclose(ref[i].float(), params[i].detach(), rtol=0, atol=1e-6), (s, i)
    path = os.path.join(outdir, 'sgd_step.bin')
    mtaf.write(path, entries)
    return path


def main(argv):
    if len(argv) != 1:
        print('usage: gen_fixtures.py OUTDIR', file=sys.stderr)
        return 2
    outdir = argv[0]
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    _safetensors_selftest()

    written = []
    for what, text, shape, opts in LAYER_FIXTURES:
        path, y = layer_fixture(outdir, what, text, shape, **opts)
        written.append(path)
        # the file reads back to what was written
        back = mtaf.read(path)
        assert back['model'][2].decode() == text
        assert list(back['output'][1]) == list(y.shape)

    for name in MODEL_FIXTURES:
        path, model, y = model_fixture(outdir, name)
        written.append(path)
        assert y.abs().max() < 50 and y.std() > 0.1, (name, y)
        if name == 'ResNet_18':
            sd = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
            st = os.path.join(outdir, 'model_ResNet_18.safetensors')
            with open(st, 'wb') as f:
                f.write(safetensors_bytes(sd))
            back = safetensors_read(open(st, 'rb').read())
            assert set(back) == set(sd)
            for k, v in sd.items():
                assert back[k].dtype == v.dtype and torch.equal(back[k], v), k
            fx = mtaf.read(path)
            for k, v in sd.items():
                if not k.endswith('num_batches_tracked'):
                    assert fx[k][2] == v.flatten().tolist(), k
            written.append(st)

    for what, text, shape, opts in GRAD_FIXTURES:
        path = grad_layer_fixture(outdir, what, text, shape, **opts)
        written.append(path)
        assert mtaf.read(path)['model'][2].decode() == text
    for name in GRAD_MODEL_FIXTURES:
        written.append(grad_model_fixture(outdir, name))
    written.append(sgd_fixture(outdir))

    total = 0
    for p in written:
        sz = os.path.getsize(p)
        total += sz
        print('%-48s %8d bytes' % (p, sz))
    print('%d files, %d bytes' % (len(written), total))
    assert total < 2 * 1024 * 1024, 'fixtures exceed 2 MB'
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
