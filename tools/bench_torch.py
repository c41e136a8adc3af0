#!/usr/bin/python3
"""Peer benchmark: PyTorch (CPU) throughput on a reference network from tools/reference_models.py.

    bench_torch.py --model NAME [--width W] [--batch 128] [--threads 2] [--mode forward|train|pgd|gen]
                   [--seconds S] [--in-ch 3] [--classes 10] [--hw 32] [--seed 0]

forward: eval mode under torch.no_grad().  train: train mode, SGD (lr 0.01, momentum 0.9,
Nesterov, weight decay 5e-4) on the cross-entropy of random labels.  pgd: one PGD-10 attack of
the batch in eval mode (eps 8/255, step 2/255 in pixel units of a normalization with mean 0.5
and std 0.25, random start, mean cross-entropy of random labels), as `mta bench --mode pgd`.
gen: one step of the data-free generator (tools/gen_generator_fixtures.py's Gen at --gen-width,
training mode) against the model in eval mode: CE + 0.1 BNS, backward, Adam (0.5, 0.999), the
teacher's parameter gradients off, as `mta bench --mode gen` (images/s = steps/s x batch).
Random input (N(0,1)).
Two warm-up iterations, then iterations until at least S seconds and at least 3 iterations have
run.  Prints one TSV line:

    torch <mode> <model> <images_per_s> <threads> <torch version>

Run with Debian's interpreter (/usr/bin/python3, python3-torch).
"""
import argparse
import os
import sys
import time

import torch

sys.dont_write_bytecode = True     # keep tools/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_models as rm  # noqa: E402


def main(argv):
    ap = argparse.ArgumentParser(description='PyTorch peer benchmark on a reference network')
    ap.add_argument('--model', required=True, choices=rm.MODEL_NAMES)
    ap.add_argument('--width', type=float, default=1.0)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--mode', choices=('forward', 'train', 'pgd', 'gen'), default='forward')
    ap.add_argument('--gen-width', type=float, default=0.25, help='gen: the generator width')
    ap.add_argument('--seconds', type=float, default=10.0)
    ap.add_argument('--in-ch', type=int, default=3)
    ap.add_argument('--classes', type=int, default=10)
    ap.add_argument('--hw', type=int, default=32, help='input height and width')
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args(argv)
    if a.batch < 1 or a.threads < 1 or a.seconds < 0:
        ap.error('--batch and --threads must be >= 1 and --seconds >= 0')

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = rm.build(a.model, in_ch=a.in_ch, classes=a.classes, width=a.width, in_hw=a.hw)
    x = torch.randn(a.batch, a.in_ch, a.hw, a.hw)

    if a.mode == 'forward':
        model.eval()

        def step():
            with torch.no_grad():
                model(x)
    elif a.mode == 'pgd':
        model.eval()
        labels = torch.randint(0, a.classes, (a.batch,))
        mean, std = 0.5, 0.25
        lo, hi, eps, alpha = (0 - mean) / std, (1 - mean) / std, 8 / 255 / std, 2 / 255 / std
        loss_fn = torch.nn.CrossEntropyLoss()

        def step():
            delta = (torch.rand_like(x) * 2 - 1) * eps
            delta = torch.clamp(x + delta, lo, hi) - x
            for _ in range(10):
                d = delta.clone().requires_grad_(True)
                loss = loss_fn(model(x + d), labels)
                g, = torch.autograd.grad(loss, d)
                delta = torch.clamp(delta + alpha * torch.sign(g), -eps, eps)
                delta = torch.clamp(x + delta, lo, hi) - x
            return x + delta
    elif a.mode == 'gen':
        import gen_generator_fixtures as gg
        model.eval()
        fc = [m for m in model.modules() if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))][-1]
        emb = fc.weight.detach().reshape(a.classes, -1)
        gen = gg.Gen(emb, a.in_ch, a.hw, max(1, round(128 * a.gen_width)), max(1, round(64 * a.gen_width)))
        gen.train()
        store = gg.bns_hooks(model)
        for p in model.parameters():
            p.requires_grad_(False)   # the teacher's gradients are not needed (as mta: input-only)
        opt = torch.optim.Adam(gen.parameters(), lr=0.001, betas=(0.5, 0.999))

        def step():
            store.clear()
            y = torch.randint(0, a.classes, (a.batch,))
            z = torch.randn(a.batch, emb.shape[1])
            opt.zero_grad()
            logits = model(gen(z, y))
            loss = torch.nn.functional.cross_entropy(logits, y) + 0.1 * gg.bns_of(store)
            loss.backward()
            opt.step()
    else:
        model.train()
        labels = torch.randint(0, a.classes, (a.batch,))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True,
                              weight_decay=5e-4)
        loss_fn = torch.nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss = loss_fn(model(x), labels)
            loss.backward()
            opt.step()

    for _ in range(2):
        step()
    iters, t0 = 0, time.perf_counter()
    while True:
        step()
        iters += 1
        elapsed = time.perf_counter() - t0
        if iters >= 3 and elapsed >= a.seconds:
            break
    ips = iters * a.batch / elapsed
    print('torch\t%s\t%s\t%.1f\t%d\t%s' % (a.mode, a.model, ips, a.threads, torch.__version__))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
