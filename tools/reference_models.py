#!/usr/bin/python3
"""PyTorch re-creation of the reference's nine CIFAR networks (klin02/Model-Transfer-Adaptability,
folder ALL/), built from the tables of /work/shared/spec/ptq-engine.md section 1 -- independently
of the project's experiments/models/*.model files, so that the two can check each other.

Modules are registered flat on the model with add_module, in the reference's order and under its
names (spec 1.3), so the state_dict keys are conv0.weight, bn0.running_mean,
inc3_br1_conv1.weight, ml2_blk0_ds_bn0.bias, fc15.weight, ...

    build(name, in_ch=3, classes=10, width=1.0, in_hw=32) -> RefNet
    RefNet.from_plan(plan)                                -> RefNet for an explicit entry list
    python3 tools/reference_models.py --check             # param/MAC/module counts vs spec 1.8

Width multiplier W: every channel count of the tables becomes max(1, floor(c*W + 0.5)); the class
count is never scaled; a MobileNetV2 block's hidden width is (its scaled input channels) x
(expansion ratio hidden/c_in of its table row).  Input channels of every layer are those actually
produced by the layer before (at W = 1 they are asserted to equal the table's value; at other
widths an Inception block's input is the sum of the scaled branch widths of the block before,
which need not equal the scaled table value).  Linear input features are C*H*W of the flattened
tensor for an in_hw x in_hw input.

Run with Debian's interpreter (/usr/bin/python3, python3-torch).
"""
import argparse
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------------
# Tables (spec 1.1, 1.4, 1.5, 1.6).  Top-level entries, cfg_table style:
#   ('C', variant, qi, in_ch, out_ch, k, stride, pad, bias)
#   ('RL',) ('RS',) ('MP', k, stride, pad) ('AAP', out_size) ('VW',) ('D', p)
#   ('FC', in, out, bias) ('SM',) ('Inc', inc_idx) ('ML', block_type, ml_idx, blocks)
# The last FC (or, for Inception_BN, the last conv) stores the placeholder 100 for the classes.
# ---------------------------------------------------------------------------------------------


def _vgg(convs_per_stage):
    t, cin, first = [], 3, True
    for width, n in zip((64, 128, 256, 512, 512), convs_per_stage):
        for _ in range(n):
            t.append(('C', 'BRL', first, cin, width, 3, 1, 1, True))
            cin, first = width, False
        t.append(('MP', 2, 2, 0))
    t += [('VW',), ('FC', 512, 4096, True), ('RL',), ('D', 0.5),
          ('FC', 4096, 4096, True), ('RL',), ('D', 0.5), ('FC', 4096, 100, True)]
    return t


CFG_TABLES = {
    'AlexNet': [
        ('C', '', True, 3, 32, 3, 1, 1, True), ('RL',), ('MP', 2, 2, 0),
        ('C', '', False, 32, 64, 3, 1, 1, True), ('RL',), ('MP', 2, 2, 0),
        ('C', '', False, 64, 128, 3, 1, 1, True), ('RL',),
        ('C', '', False, 128, 256, 3, 1, 1, True), ('RL',),
        ('C', '', False, 256, 256, 3, 1, 1, True), ('RL',), ('MP', 3, 2, 0),
        ('VW',), ('D', 0.5), ('FC', 2304, 1024, True), ('RL',), ('D', 0.5),
        ('FC', 1024, 512, True), ('RL',), ('FC', 512, 100, True),
    ],
    'AlexNet_BN': [
        ('C', 'BRL', True, 3, 32, 3, 1, 1, True), ('MP', 2, 2, 0),
        ('C', 'BRL', False, 32, 64, 3, 1, 1, True), ('MP', 2, 2, 0),
        ('C', 'BRL', False, 64, 128, 3, 1, 1, True),
        ('C', 'BRL', False, 128, 256, 3, 1, 1, True),
        ('C', 'BRL', False, 256, 256, 3, 1, 1, True), ('MP', 3, 2, 0),
        ('VW',), ('D', 0.5), ('FC', 2304, 1024, True), ('RL',), ('D', 0.5),
        ('FC', 1024, 512, True), ('RL',), ('FC', 512, 100, True),
    ],
    'VGG_16': _vgg((2, 2, 3, 3, 3)),
    'VGG_19': _vgg((2, 2, 4, 4, 4)),
    'Inception_BN': [
        ('C', '', True, 3, 64, 3, 1, 1, True), ('RL',),
        ('C', '', False, 64, 64, 3, 1, 1, True), ('RL',),
        ('Inc', 0), ('Inc', 1), ('MP', 3, 2, 1),
        ('Inc', 2), ('Inc', 3), ('Inc', 4), ('Inc', 5), ('Inc', 6), ('MP', 3, 2, 1),
        ('Inc', 7), ('Inc', 8), ('AAP', 1),
        ('C', '', False, 1024, 100, 1, 1, 0, True), ('VW',),
    ],
    'ResNet_18': [
        ('C', 'BRL', True, 3, 64, 3, 1, 1, False),
        ('ML', 'BBLK', 0, 2), ('ML', 'BBLK', 1, 2), ('ML', 'BBLK', 2, 2), ('ML', 'BBLK', 3, 2),
        ('AAP', 1), ('VW',), ('FC', 512, 100, True),
    ],
    'ResNet_50': [
        ('C', 'BRL', True, 3, 64, 3, 1, 1, False),
        ('ML', 'BTNK', 0, 3), ('ML', 'BTNK', 1, 4), ('ML', 'BTNK', 2, 6), ('ML', 'BTNK', 3, 3),
        ('AAP', 1), ('VW',), ('FC', 2048, 100, True),
    ],
    'ResNet_152': [
        ('C', 'BRL', True, 3, 64, 3, 1, 1, False),
        ('ML', 'BTNK', 0, 3), ('ML', 'BTNK', 1, 8), ('ML', 'BTNK', 2, 36), ('ML', 'BTNK', 3, 3),
        ('AAP', 1), ('VW',), ('FC', 2048, 100, True),
    ],
    'MobileNetV2': [
        ('C', 'BRS', True, 3, 32, 1, 1, 1, True),
        ('ML', 'IRES', 0, 1), ('ML', 'IRES', 1, 2), ('ML', 'IRES', 2, 3), ('ML', 'IRES', 3, 4),
        ('ML', 'IRES', 4, 3), ('ML', 'IRES', 5, 3), ('ML', 'IRES', 6, 1),
        ('C', 'BRS', False, 320, 1280, 1, 1, 0, True), ('AAP', 1), ('VW',),
        ('FC', 1280, 100, True),
    ],
}
MODEL_NAMES = list(CFG_TABLES)

# Inception channel table (spec 1.4): in, c1x1, c3x3_reduce, c3x3, c5x5_reduce, c5x5, pool_proj
INC_CH_TABLE = [
    (64, 64, 96, 128, 16, 32, 32),
    (256, 128, 128, 192, 32, 96, 64),
    (480, 192, 96, 208, 16, 48, 64),
    (512, 160, 112, 224, 24, 64, 64),
    (512, 128, 128, 256, 24, 64, 64),
    (512, 112, 144, 288, 32, 64, 64),
    (528, 256, 160, 320, 32, 128, 128),
    (832, 256, 160, 320, 32, 128, 128),
    (832, 384, 192, 384, 48, 128, 128),
]
# Branch templates: ('C', in_col, out_col, k, stride, pad) is a bias-free conv+BN+ReLU;
# ('MP', k, stride, pad); ('RL',).  Item j of branch b is named inc{n}_br{b}_{conv|bn|relu|pool}{j}.
INC_BRANCHES = [
    [('C', 0, 1, 1, 1, 0)],
    [('C', 0, 2, 1, 1, 0), ('C', 2, 3, 3, 1, 1)],
    [('C', 0, 4, 1, 1, 0), ('C', 4, 5, 5, 1, 2)],
    [('MP', 3, 1, 1), ('RL',), ('C', 0, 6, 1, 1, 0)],
]

# Residual channel tables (spec 1.5).  BBLK/BTNK rows: flag(has downsample), c_in, c_mid, c_out,
# stride, 1.  IRES rows: flag(identity add), c_in, c_out, c_hidden, stride, 1.
BBLK_CH_TABLE = [
    (False, 64, 64, 64, 1, 1), (False, 64, 64, 64, 1, 1),
    (True, 64, 128, 128, 2, 1), (False, 128, 128, 128, 1, 1),
    (True, 128, 256, 256, 2, 1), (False, 256, 256, 256, 1, 1),
    (True, 256, 512, 512, 2, 1), (False, 512, 512, 512, 1, 1),
]
BTNK_CH_TABLE = [
    (True, 64, 64, 256, 1, 1), (False, 256, 64, 256, 1, 1),
    (True, 256, 128, 512, 2, 1), (False, 512, 128, 512, 1, 1),
    (True, 512, 256, 1024, 2, 1), (False, 1024, 256, 1024, 1, 1),
    (True, 1024, 512, 2048, 2, 1), (False, 2048, 512, 2048, 1, 1),
]
IRES_CH_TABLE = [
    (False, 32, 16, 32, 1, 1), (True, 16, 16, 16, 1, 1),
    (False, 16, 24, 96, 2, 1), (True, 24, 24, 144, 1, 1),
    (False, 24, 32, 144, 2, 1), (True, 32, 32, 192, 1, 1),
    (False, 32, 64, 192, 2, 1), (True, 64, 64, 384, 1, 1),
    (False, 64, 96, 384, 1, 1), (True, 96, 96, 576, 1, 1),
    (False, 96, 160, 576, 1, 1), (True, 160, 160, 960, 1, 1),
    (False, 160, 320, 960, 1, 1), (True, 320, 320, 1920, 1, 1),
]
# Block templates: (main path, shortcut path, post-merge list).  Conv items:
#   ('C', variant, in_col, out_col, k, stride_col, pad, groups_col, bias)
# Post items: ('AD', unconditional) and ('RL',); the add is item 0, the ReLU item 1.
BLOCK_TEMPLATES = {
    'BBLK': (
        [('C', 'BRL', 1, 2, 3, 4, 1, 5, False), ('C', 'B', 2, 3, 3, 5, 1, 5, False)],
        [('C', 'B', 1, 3, 1, 4, 0, 5, False)],
        [('AD', True), ('RL',)],
    ),
    'BTNK': (
        [('C', 'BRL', 1, 2, 1, 5, 0, 5, False), ('C', 'BRL', 2, 2, 3, 4, 1, 5, False),
         ('C', 'B', 2, 3, 1, 5, 0, 5, False)],
        [('C', 'B', 1, 3, 1, 4, 0, 5, False)],
        [('AD', True), ('RL',)],
    ),
    'IRES': (
        [('C', 'BRS', 1, 3, 1, 5, 0, 5, True), ('C', 'BRS', 3, 3, 3, 4, 1, 3, True),
         ('C', 'B', 3, 2, 1, 5, 0, 5, True)],
        [],
        [('AD', False)],
    ),
}
BLOCK_CH_TABLES = {'BBLK': BBLK_CH_TABLE, 'BTNK': BTNK_CH_TABLE, 'IRES': IRES_CH_TABLE}

# Spec 1.8 (params) and 1.6 / 1.8 (conv+fc layer counts, module counts, MACs), for --check.
SPEC_PARAMS = {
    'AlexNet': (3868746, 3914916), 'AlexNet_BN': (3870218, 3916388),
    'VGG_16': (33646666, 34015396), 'VGG_19': (38958922, 39327652),
    'Inception_BN': (5878442, 5970692), 'ResNet_18': (11173962, 11220132),
    'ResNet_50': (23520842, 23705252), 'ResNet_152': (58156618, 58341028),
    'MobileNetV2': (2254090, 2369380),
}
SPEC_MACS = {
    'AlexNet': (70082570, 70128740), 'AlexNet_BN': (70262794, 70308964),
    'VGG_16': (333359114, 333727844), 'VGG_19': (418400266, 418768996),
    'Inception_BN': (1463741450, 1463833700), 'ResNet_18': (557216778, 557262948),
    'ResNet_50': (1307668490, 1307852900), 'ResNet_152': (3743182858, 3743367268),
    'MobileNetV2': (68317178, 68432468),
}
SPEC_MODULES = {'AlexNet': 20, 'AlexNet_BN': 25, 'VGG_16': 51, 'VGG_19': 60,
                'Inception_BN': 188, 'ResNet_18': 59, 'ResNet_50': 157, 'ResNet_152': 463,
                'MobileNetV2': 144}
SPEC_LAYERS = {'AlexNet': 8, 'AlexNet_BN': 8, 'VGG_16': 16, 'VGG_19': 19, 'Inception_BN': 57,
               'ResNet_18': 21, 'ResNet_50': 54, 'ResNet_152': 156, 'MobileNetV2': 54}


def scale_ch(c, width):
    """Width rule of experiments/models/README.md: max(1, floor(c*W + 0.5))."""
    return max(1, int(math.floor(c * width + 0.5)))


def conv_out(n, k, stride, pad):
    return (n + 2 * pad - k) // stride + 1


# ---------------------------------------------------------------------------------------------
# Resolved plan: the table with every channel count filled in.  Entry i of the plan names its
# modules with suffix i.  Plan entries:
#   ('C', variant, cin, cout, k, stride, pad, groups, bias)
#   ('RL',) ('RS',) ('MP', k, s, p) ('AAP', 1) ('VW',) ('D', p) ('FC', in, out, bias) ('SM',)
#   ('Inc', n, (in, c1, c3r, c3, c5r, c5, pool))
#   ('ML', block_type, s, [row per block])  rows laid out like the spec tables (flag, ...).
# ---------------------------------------------------------------------------------------------


def resolve(name, in_ch=3, classes=10, width=1.0, in_hw=32):
    """Turn CFG_TABLES[name] into a plan for the given input channels, classes and width."""
    if name not in CFG_TABLES:
        raise ValueError('unknown model %r (known: %s)' % (name, ' '.join(MODEL_NAMES)))
    table = [list(e) for e in CFG_TABLES[name]]
    # dataset adaptation (spec 1.1): scanning from the end, the first FC or C gets the classes
    last = None
    for i in range(len(table) - 1, -1, -1):
        if table[i][0] in ('FC', 'C'):
            last = i
            break
    exact = width == 1.0
    plan = []
    c, hw, flat = in_ch, in_hw, None
    for i, e in enumerate(table):
        op = e[0]
        if op == 'C':
            _, variant, qi, tin, tout, k, s, p, bias = e
            if exact and not qi:
                assert tin == c, '%s entry %d: table in_ch %d != %d' % (name, i, tin, c)
            cout = classes if i == last else scale_ch(tout, width)
            plan.append(('C', variant, c, cout, k, s, p, 1, bias))
            c, hw = cout, conv_out(hw, k, s, p)
        elif op == 'MP':
            plan.append(('MP', e[1], e[2], e[3]))
            hw = conv_out(hw, e[1], e[2], e[3])
        elif op == 'AAP':
            assert e[1] == 1
            plan.append(('AAP', 1))
            hw = 1
        elif op == 'VW':
            plan.append(('VW',))
            flat = c * hw * hw
        elif op == 'FC':
            _, tin, tout, bias = e
            if exact:
                assert tin == flat, '%s entry %d: table in %d != %d' % (name, i, tin, flat)
            cout = classes if i == last else scale_ch(tout, width)
            plan.append(('FC', flat, cout, bias))
            flat = cout
        elif op in ('RL', 'RS', 'SM'):
            plan.append((op,))
        elif op == 'D':
            plan.append(('D', e[1]))
        elif op == 'Inc':
            n = e[1]
            row = INC_CH_TABLE[n]
            if exact:
                assert row[0] == c, '%s Inc%d: table in %d != %d' % (name, n, row[0], c)
            ch = (c,) + tuple(scale_ch(v, width) for v in row[1:])
            plan.append(('Inc', n, ch))
            c = ch[1] + ch[3] + ch[5] + ch[6]
        elif op == 'ML':
            _, btype, s_idx, blocks = e
            tab = BLOCK_CH_TABLES[btype]
            rows = []
            for k in range(blocks):
                r = tab[2 * s_idx + (0 if k == 0 else 1)]
                flag, tin, stride = r[0], r[1], r[4]
                if exact:
                    assert tin == c, '%s ml%d blk%d: table c_in %d != %d' % (name, s_idx, k, tin, c)
                if btype == 'IRES':
                    ratio = r[3] // r[1]
                    assert ratio * r[1] == r[3]
                    cout = scale_ch(r[2], width)
                    row = (flag, c, cout, c * ratio, stride, 1)
                    rule = stride == 1 and c == cout      # identity add (README rule)
                else:
                    cmid, cout = scale_ch(r[2], width), scale_ch(r[3], width)
                    row = (flag, c, cmid, cout, stride, 1)
                    rule = stride != 1 or c != cout       # downsample present (README rule)
                if flag != rule:
                    raise ValueError('%s ml%d blk%d at width %g: table flag %s disagrees with the '
                                     'channel rule' % (name, s_idx, k, width, flag))
                rows.append(row)
                c = row[2] if btype == 'IRES' else row[3]
                hw = conv_out(hw, 3, stride, 1)
            plan.append(('ML', btype, s_idx, rows))
        else:
            raise ValueError('bad table op %r' % op)
    return plan


class RefNet(nn.Module):
    """A flat module container driven by a resolved plan (the reference's make_layers and
    model_forward)."""

    def __init__(self, plan):
        super().__init__()
        self.plan = [tuple(e) for e in plan]
        for i, e in enumerate(self.plan):
            op = e[0]
            if op == 'C':
                _, variant, cin, cout, k, s, p, groups, bias = e
                self._add_conv('', i, variant, cin, cout, k, s, p, groups, bias)
            elif op == 'RL':
                self.add_module('relu%d' % i, nn.ReLU(True))
            elif op == 'RS':
                self.add_module('relus%d' % i, nn.ReLU6(True))
            elif op == 'MP':
                self.add_module('pool%d' % i, nn.MaxPool2d(kernel_size=e[1], stride=e[2],
                                                           padding=e[3]))
            elif op == 'AAP':
                self.add_module('aap%d' % i, nn.AdaptiveAvgPool2d(e[1]))
            elif op == 'FC':
                self.add_module('fc%d' % i, nn.Linear(e[1], e[2], bias=e[3]))
            elif op == 'D':
                self.add_module('drop%d' % i, nn.Dropout(e[1]))
            elif op == 'Inc':
                self._make_inc(e[1], e[2])
            elif op == 'ML':
                for k, row in enumerate(e[3]):
                    self._make_blk(e[1], e[2], k, row)
            elif op not in ('VW', 'SM'):
                raise ValueError('bad plan op %r' % op)

    @classmethod
    def from_plan(cls, plan):
        return cls(plan)

    def _add_conv(self, prefix, j, variant, cin, cout, k, s, p, groups, bias):
        self.add_module('%sconv%d' % (prefix, j),
                        nn.Conv2d(cin, cout, kernel_size=k, stride=s, padding=p, groups=groups,
                                  bias=bias))
        if 'B' in variant:
            self.add_module('%sbn%d' % (prefix, j), nn.BatchNorm2d(cout))
            if 'RL' in variant:
                self.add_module('%srelu%d' % (prefix, j), nn.ReLU(True))
            elif 'RS' in variant:
                self.add_module('%srelus%d' % (prefix, j), nn.ReLU6(True))

    def _run_conv(self, prefix, j, variant, x):
        x = getattr(self, '%sconv%d' % (prefix, j))(x)
        if 'B' in variant:
            x = getattr(self, '%sbn%d' % (prefix, j))(x)
            if 'RL' in variant:
                x = getattr(self, '%srelu%d' % (prefix, j))(x)
            elif 'RS' in variant:
                x = getattr(self, '%srelus%d' % (prefix, j))(x)
        return x

    # Inception block n with channel row ch
    def _make_inc(self, n, ch):
        for b, branch in enumerate(INC_BRANCHES):
            prefix = 'inc%d_br%d_' % (n, b)
            for j, it in enumerate(branch):
                if it[0] == 'C':
                    _, ci, co, k, s, p = it
                    self._add_conv(prefix, j, 'BRL', ch[ci], ch[co], k, s, p, 1, False)
                elif it[0] == 'MP':
                    self.add_module('%spool%d' % (prefix, j),
                                    nn.MaxPool2d(kernel_size=it[1], stride=it[2], padding=it[3]))
                elif it[0] == 'RL':
                    self.add_module('%srelu%d' % (prefix, j), nn.ReLU(True))

    def _run_inc(self, n, x):
        outs = []
        for b, branch in enumerate(INC_BRANCHES):
            prefix = 'inc%d_br%d_' % (n, b)
            t = x
            for j, it in enumerate(branch):
                if it[0] == 'C':
                    t = self._run_conv(prefix, j, 'BRL', t)
                elif it[0] == 'MP':
                    t = getattr(self, '%spool%d' % (prefix, j))(t)
                elif it[0] == 'RL':
                    t = getattr(self, '%srelu%d' % (prefix, j))(t)
            outs.append(t)
        return torch.cat(outs, 1)

    # Residual block k of stage s with resolved channel row
    def _make_blk(self, btype, s, k, row):
        main, short, post = BLOCK_TEMPLATES[btype]
        blk = 'ml%d_blk%d_' % (s, k)
        paths = [(blk + 'ma_', main)]
        if row[0] and short:
            paths.append((blk + 'ds_', short))
        for prefix, items in paths:
            for j, it in enumerate(items):
                _, variant, ci, co, kk, sc, p, gc, bias = it
                self._add_conv(prefix, j, variant, row[ci], row[co], kk, row[sc], p, row[gc], bias)
        for j, it in enumerate(post):
            if it[0] == 'RL':
                self.add_module('%srelu%d' % (blk, j), nn.ReLU(True))

    def _run_blk(self, btype, s, k, row, x):
        main, short, post = BLOCK_TEMPLATES[btype]
        blk = 'ml%d_blk%d_' % (s, k)
        t = x
        for j, it in enumerate(main):
            t = self._run_conv(blk + 'ma_', j, it[1], t)
        outs = [t]
        if row[0] and short:
            t = x
            for j, it in enumerate(short):
                t = self._run_conv(blk + 'ds_', j, it[1], t)
            outs.append(t)
        else:
            outs.append(x)
        out = None
        for j, it in enumerate(post):
            if it[0] == 'AD':
                out = outs[0] + outs[1] if (it[1] or row[0]) else outs[0]
            elif it[0] == 'RL':
                out = getattr(self, '%srelu%d' % (blk, j))(out)
        return out

    def forward(self, x):
        for i, e in enumerate(self.plan):
            op = e[0]
            if op == 'C':
                x = self._run_conv('', i, e[1], x)
            elif op == 'RL':
                x = getattr(self, 'relu%d' % i)(x)
            elif op == 'RS':
                x = getattr(self, 'relus%d' % i)(x)
            elif op == 'MP':
                x = getattr(self, 'pool%d' % i)(x)
            elif op == 'AAP':
                x = getattr(self, 'aap%d' % i)(x)
            elif op == 'FC':
                x = getattr(self, 'fc%d' % i)(x)
            elif op == 'D':
                x = getattr(self, 'drop%d' % i)(x)
            elif op == 'VW':
                x = x.reshape(x.size(0), -1)
            elif op == 'SM':
                x = F.softmax(x, dim=1)
            elif op == 'Inc':
                x = self._run_inc(e[1], x)
            elif op == 'ML':
                for k, row in enumerate(e[3]):
                    x = self._run_blk(e[1], e[2], k, row, x)
        return x


def build(name, in_ch=3, classes=10, width=1.0, in_hw=32):
    """The reference network `name` (one of MODEL_NAMES) as a RefNet with default PyTorch init."""
    return RefNet(resolve(name, in_ch=in_ch, classes=classes, width=width, in_hw=in_hw))


# ---------------------------------------------------------------------------------------------
# Self-check against spec 1.8: parameter counts, MAC counts (ptflops rules), module counts.
# ---------------------------------------------------------------------------------------------


def count_macs(model, in_ch=3, in_hw=32):
    """MACs of one in_ch x in_hw x in_hw image under the counting rules of spec 1.8."""
    total = [0]

    def hook(mod, inp, out):
        x = inp[0]
        if isinstance(mod, nn.Conv2d):
            k = mod.kernel_size[0] * mod.kernel_size[1]
            per = k * (mod.in_channels // mod.groups) * mod.out_channels
            hw = out.shape[2] * out.shape[3]
            total[0] += per * hw + (mod.out_channels * hw if mod.bias is not None else 0)
        elif isinstance(mod, nn.BatchNorm2d):
            total[0] += 2 * x.numel()
        elif isinstance(mod, (nn.ReLU, nn.ReLU6)):
            total[0] += out.numel()
        elif isinstance(mod, (nn.MaxPool2d, nn.AdaptiveAvgPool2d)):
            total[0] += x.numel()
        elif isinstance(mod, nn.Linear):
            total[0] += mod.in_features * mod.out_features + \
                (mod.out_features if mod.bias is not None else 0)

    hs = [m.register_forward_hook(hook) for m in model.children()]
    with torch.no_grad():
        model.eval()(torch.zeros(1, in_ch, in_hw, in_hw))
    for h in hs:
        h.remove()
    return total[0]


def self_check():
    failures = 0
    for name in MODEL_NAMES:
        for di, classes in enumerate((10, 100)):
            m = build(name, in_ch=3, classes=classes, width=1.0)
            params = sum(p.numel() for p in m.parameters())
            macs = count_macs(m)
            nmod = len(list(m.children()))
            nlayers = sum(1 for c in m.children() if isinstance(c, (nn.Conv2d, nn.Linear)))
            want_p, want_m = SPEC_PARAMS[name][di], SPEC_MACS[name][di]
            good = (params == want_p and macs == want_m and nmod == SPEC_MODULES[name]
                    and nlayers == SPEC_LAYERS[name])
            failures += not good
            print('%-12s classes=%-3d params %9d (spec %9d)  MACs %10d (spec %10d)  modules %3d  '
                  'conv/fc %3d  %s' % (name, classes, params, want_p, macs, want_m, nmod, nlayers,
                                       'ok' if good else 'MISMATCH'))
    # MobileNetV2 quirk Q1: the stem output is 34x34 (1x1 conv with padding 1)
    m = build('MobileNetV2').eval()
    with torch.no_grad():
        y = m.conv0(torch.zeros(1, 3, 32, 32))
    assert tuple(y.shape) == (1, 32, 34, 34), y.shape
    assert failures == 0, '%d model/dataset combinations disagree with spec 1.8' % failures
    print('all 18 model/dataset combinations match spec 1.8')


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--check', action='store_true',
                    help='compare param/MAC/module counts with spec 1.8')
    ap.add_argument('--show', metavar='NAME', help='print the state_dict of NAME')
    ap.add_argument('--width', type=float, default=1.0)
    ap.add_argument('--classes', type=int, default=10)
    args = ap.parse_args(argv)
    if args.check:
        self_check()
    if args.show:
        m = build(args.show, classes=args.classes, width=args.width)
        for k, v in m.state_dict().items():
            print('%-32s %s' % (k, tuple(v.shape)))
        print('params', sum(p.numel() for p in m.parameters()))
    if not (args.check or args.show):
        ap.print_help()
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
