#!/usr/bin/env python3
"""gen_attack_fixtures.py OUTDIR -- PyTorch references for the attacks (src/train/attack.h):
for a few small networks of tools/gen_fixtures.py in eval mode (BN with randomised running
statistics, dropout off), on inputs inside the pixel box of a given normalisation:

  grad.input      d mean CE(f(x), y) / dx                         (the eval-mode input gradient)
  fgsm.pixel      clip(x + eps_c sign(grad), [lo_c, hi_c])        eps_c = eps/std_c, lo/hi = (0|1 - mean_c)/std_c
  fgsm.normalized clip(x + eps sign(grad), [0, 1])                (the reference's quirk 10)
  pgd.pixel       PGD from the stored start delta0 (already clipped into the box), `steps`
                  iterations of step alpha_c = alpha/std_c, projected on the eps-ball and the box

Run with Debian's python3-torch: /usr/bin/python3 tools/gen_attack_fixtures.py tests/fixtures
(`make fixtures` runs it).  The files are mtaf containers (tools/mtaf.py), like the others."""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_fixtures as gf          # noqa: E402  (parse_model, randomize_bn, seeds, tensors)
import mtaf                        # noqa: E402
import reference_models as rm      # noqa: E402

EPS, ALPHA, STEPS = 8.0 / 255, 2.0 / 255, 3
MEAN, STD = (0.49, 0.48, 0.45), (0.25, 0.24, 0.26)

ATTACK_FIXTURES = [
    ('seq_alexnet', 'conv out=4 k=3 pad=1\nrelu\nmaxpool k=2 stride=2\nflatten\ndropout p=0.5\n'
     'linear out=6\nrelu\nlinear out=5\n', (4, 3, 8, 8)),
    ('seq_resnet', 'conv_bn_relu out=4 k=3 pad=1 bias=0\nstage block=basic blocks=1 out=4\n'
     'stage block=bottleneck blocks=1 mid=2 out=8 stride=2\navgpool\nflatten\nlinear out=5\n', (4, 3, 9, 9)),
    ('seq_inception', 'conv out=6 k=3 pad=1\nrelu\n'
     'inception c1=2 c3r=3 c3=4 c5r=2 c5=3 pool=2\nmaxpool k=3 stride=2 pad=1\n'
     'inception c1=3 c3r=2 c3=3 c5r=1 c5=2 pool=2\navgpool\nconv out=5 k=1\nflatten\n', (4, 3, 9, 9)),
]


def per_channel(v, c):
    return torch.tensor(v[:c], dtype=torch.float32).view(1, c, 1, 1)


def input_grad(model, x, y):
    xl = x.clone().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(model(xl), y)
    loss.backward()
    return xl.grad.detach().clone(), loss.detach().reshape(1).clone()


def attack_fixture(outdir, what, text, shape):
    name = 'attack_%s' % what
    torch.manual_seed(gf.seed_for(name))
    n, c, h, w = shape
    model = rm.RefNet(gf.parse_model(text, c, (h, w)))
    gf.randomize_bn(model)
    model.eval()
    mean, std = per_channel(MEAN, c), per_channel(STD, c)
    lo, hi = (0 - mean) / std, (1 - mean) / std
    eps_c, alpha_c = EPS / std, ALPHA / std
    x = lo + (hi - lo) * torch.rand(shape)                  # inside the pixel box
    classes = model(x).shape[1]
    y = torch.randint(0, classes, (n,), dtype=torch.int64)
    g, loss = input_grad(model, x, y)
    assert g.abs().max() > 1e-6, (what, g.abs().max())     # a gradient worth comparing
    fgsm_pixel = torch.max(torch.min(x + eps_c * torch.sign(g), hi), lo)
    fgsm_norm = torch.clamp(x + EPS * torch.sign(g), 0.0, 1.0)
    delta = (torch.rand(shape) * 2 - 1) * eps_c
    delta = torch.max(torch.min(x + delta, hi), lo) - x
    delta0 = delta.clone()
    for _ in range(STEPS):
        gd, _ = input_grad(model, x + delta, y)
        delta = torch.max(torch.min(delta + alpha_c * torch.sign(gd), eps_c), -eps_c)
        delta = torch.max(torch.min(x + delta, hi), lo) - x
    pgd = x + delta
    f32 = lambda v: torch.tensor(v, dtype=torch.float32)   # noqa: E731
    entries = [('model', text), ('input', x), ('labels', y)] + gf.tensors_of(model)
    entries += [('mean', f32(MEAN[:c])), ('std', f32(STD[:c])), ('eps', f32([EPS])), ('alpha', f32([ALPHA])),
                ('steps', torch.tensor([STEPS], dtype=torch.int64)), ('loss', loss), ('grad.input', g),
                ('fgsm.pixel', fgsm_pixel), ('fgsm.normalized', fgsm_norm), ('delta0', delta0), ('pgd.pixel', pgd)]
    path = os.path.join(outdir, name + '.bin')
    mtaf.write(path, entries)
    return path


def main(argv):
    if len(argv) != 1:
        print('usage: gen_attack_fixtures.py OUTDIR', file=sys.stderr)
        return 2
    os.makedirs(argv[0], exist_ok=True)
    torch.set_num_threads(1)
    for what, text, shape in ATTACK_FIXTURES:
        print(attack_fixture(argv[0], what, text, shape))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
