#!/usr/bin/env python3
"""gen_generator_fixtures.py OUTDIR -- PyTorch references for the data-free generator
(src/train/generator.h, src/train/bnstat.h, src/train/adam.h), written from the spec
(training-generator-robustness §2.2-§2.5), not from the reference's code:

  a small Generator (c1 = 8, c2 = 4, 1 channel, 8x8 images, 5 classes, latent 4: the teacher's
  last layer) in training mode, a small teacher with BN (randomised running statistics) in eval
  mode; one step of loss = CE + 0.1 BNS for
    single  one label per sample, the per-sample embed normaliser, hard targets
    multi   M = 3 labels per sample (repeats allowed), the per-slot normaliser, soft targets
  and records: the generated image, CE, BNS, d loss / d image, every generator parameter's
  gradient, the BN running statistics after the forward, every parameter after one Adam step
  (lr 0.01, betas (0.5, 0.999)).

Files: gen_<case>.safetensors (the generator before the step, reference state_dict names, as
torch would save it) and gen_<case>.bin (an mtaf container, tools/mtaf.py, with the teacher).
Run with Debian's python3-torch: /usr/bin/python3 tools/gen_generator_fixtures.py tests/fixtures"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_fixtures as gf          # noqa: E402
import mtaf                        # noqa: E402
import reference_models as rm      # noqa: E402

TEACHER = ('conv_bn_relu out=4 k=3 pad=1 bias=0\nstage block=basic blocks=1 out=4\n'
           'avgpool\nflatten\nlinear out=5\n')
N, IMG, C1, C2, M = 6, 8, 8, 4, 3


class Gen(nn.Module):
    """The generator of spec §2.2 with widths c1, c2 (128, 64 in the reference)."""

    def __init__(self, emb, channels, img, c1, c2):
        super().__init__()
        self.init_size = img // 4
        self.c1 = c1
        self.label_emb = nn.Embedding.from_pretrained(emb.clone(), freeze=False)
        self.l1 = nn.Sequential(nn.Linear(emb.shape[1], c1 * self.init_size ** 2))
        self.conv_blocks0 = nn.Sequential(nn.BatchNorm2d(c1))
        self.conv_blocks1 = nn.Sequential(nn.Conv2d(c1, c1, 3, stride=1, padding=1), nn.BatchNorm2d(c1, 0.8),
                                          nn.LeakyReLU(0.2))
        self.conv_blocks2 = nn.Sequential(nn.Conv2d(c1, c2, 3, stride=1, padding=1), nn.BatchNorm2d(c2, 0.8),
                                          nn.LeakyReLU(0.2), nn.Conv2d(c2, channels, 3, stride=1, padding=1),
                                          nn.Tanh(), nn.BatchNorm2d(channels, affine=False))

    def forward(self, z, y, a=None):
        u = self.label_emb(y) + z
        if a is None:      # single label: each sample over its D features
            g = F.batch_norm(u.t(), None, None, training=True, eps=1e-5).t()
        else:              # (B, M, D) -> (D, M, B): slot m over all B*D values
            v = F.batch_norm(u.permute(2, 1, 0), None, None, training=True, eps=1e-5).permute(2, 1, 0)
            g = (v * a.unsqueeze(2)).sum(dim=1)
        out = self.l1(g).view(g.shape[0], self.c1, self.init_size, self.init_size)
        img = self.conv_blocks0(out)
        img = F.interpolate(img, scale_factor=2)
        img = self.conv_blocks1(img)
        img = F.interpolate(img, scale_factor=2)
        return self.conv_blocks2(img)


def bns_hooks(teacher):
    store = []
    for m in teacher.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.register_forward_hook(lambda mod, inp, out: store.append((mod, inp[0])))
    return store


def bns_of(store):
    terms = []
    for mod, x in store:
        mu = x.mean(dim=(0, 2, 3))
        var = x.var(dim=(0, 2, 3), unbiased=False)
        terms.append(F.mse_loss(mu, mod.running_mean) + F.mse_loss(var, mod.running_var))
    return sum(terms) / len(terms)


def fixture(outdir, case):
    name = 'gen_%s' % case
    torch.manual_seed(gf.seed_for(name))
    teacher = rm.RefNet(gf.parse_model(TEACHER, 1, (IMG, IMG)))
    gf.randomize_bn(teacher)
    teacher.eval()
    fc = [m for m in teacher.modules() if isinstance(m, nn.Linear)][-1]
    gen = Gen(fc.weight.detach(), 1, IMG, C1, C2)
    gen.train()
    before = {k: v.detach().clone().contiguous() for k, v in gen.state_dict().items()}
    classes, latent = fc.weight.shape
    if case == 'single':
        y = torch.randint(0, classes, (N,))
        z = torch.randn(N, latent)
        a = None
        t = F.one_hot(y, classes).float()
    else:
        y = torch.randint(0, classes, (N, M))
        z = torch.randn(N, M, latent)
        a = torch.softmax(torch.randn(N, M), dim=1)
        t = torch.zeros(N, classes)
        for b in range(N):
            for k in range(M):
                t[b, y[b, k]] += a[b, k]
    store = bns_hooks(teacher)
    img = gen(z, y, a)
    img.retain_grad()
    logits = teacher(img)
    ce = -(t * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
    bns = bns_of(store)
    loss = ce + 0.1 * bns
    loss.backward()
    entries = [('model', TEACHER)] + gf.tensors_of(teacher)
    entries += [('labels', y.reshape(-1)), ('z', z.reshape(-1, latent)), ('slots', torch.tensor([1 if a is None else M])),
                ('image', img.detach()), ('ce', ce.detach().reshape(1)), ('bns', bns.detach().reshape(1)),
                ('grad.image', img.grad.detach())]
    if a is not None:
        entries += [('mix', a), ('targets', t)]
    for k, p in gen.named_parameters():
        entries.append(('grad.' + k, p.grad.detach().clone()))
    for k, v in gen.state_dict().items():
        if 'running' in k:
            entries.append(('after_forward.' + k, v.detach().clone()))
    opt = torch.optim.Adam(gen.parameters(), lr=0.01, betas=(0.5, 0.999))
    opt.step()
    for k, p in gen.named_parameters():
        entries.append(('after_adam.' + k, p.detach().clone()))
    mtaf.write(os.path.join(outdir, name + '.bin'), entries)
    with open(os.path.join(outdir, name + '.safetensors'), 'wb') as f:
        f.write(gf.safetensors_bytes(before))
    return os.path.join(outdir, name + '.bin')


def main(argv):
    if len(argv) != 1:
        print('usage: gen_generator_fixtures.py OUTDIR', file=sys.stderr)
        return 2
    os.makedirs(argv[0], exist_ok=True)
    torch.set_num_threads(1)
    for case in ('single', 'multi'):
        print(fixture(argv[0], case))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
