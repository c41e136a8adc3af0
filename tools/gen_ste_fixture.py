#!/usr/bin/env python3
"""gen_ste_fixture.py OUT.bin -- PyTorch reference for the input gradient through fake-quantized
modules (src/quant/qnet_grad.c, spec training-generator-robustness §3.3): the small trained
network of tests/fixtures/ptq_small.* quantized by tools/ptq_oracle.py (the reference's PTQ in
PyTorch, compat=reference), calibrated on the first 128 training images, then -- ranges fixed --
its fake-quantized forward with every fake quantizer straight-through (x + (fq(x) - x).detach(),
i.e. identity gradient) and autograd for d mean CE / d input on 16 test images, for INT_8, INT_4,
POT_4 and FLOAT_6_E3.  Entries: input, labels (the calibration images are not stored: the first 128 training images), and per config <title>.grad, <title>.loss,
<title>.logits.  Run with Debian's python3-torch: /usr/bin/python3 tools/gen_ste_fixture.py
tests/fixtures/ste_small.bin"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtaf                 # noqa: E402
import ptq_oracle as po     # noqa: E402

CONFIGS = [('INT_8', 'INT', 8, None), ('INT_4', 'INT', 4, None), ('POT_4', 'POT', 4, None),
           ('FLOAT_6_E3', 'FLOAT', 6, 3)]
N_CALIB, N_TEST = 128, 16


def ste_fake_quantize(x, qp):
    return x + (po.dequantize(po.quantize(x, qp), qp) - x).detach()


def main(argv):
    if len(argv) != 1:
        print('usage: gen_ste_fixture.py OUT.bin', file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    model, _, meta, _, _ = po.load_model(po.DEFAULT_MODEL, po.DEFAULT_CKPT)
    mean, std = float(meta['norm_mean']), float(meta['norm_std'])
    cx, _ = po.load_fmnist('train', N_CALIB, mean, std)
    tx, ty = po.load_fmnist('t10k', N_TEST, mean, std)
    entries = [('input', tx), ('labels', ty.to(torch.int64))]
    for title, kind, b, e in CONFIGS:
        q = po.QNet(model, po.Fmt(kind, b, e), po.Fmt(kind, b, e, bias=True))
        q.calibrate(cx)
        # ranges fixed from here on; every fake quantizer passes the gradient
        saved_update, saved_fq = po.QParam.update, po.fake_quantize
        po.QParam.update = lambda self, t: None
        po.fake_quantize = ste_fake_quantize
        try:
            x = tx.clone().requires_grad_(True)
            h = x
            for m in q.items:
                h = m.calibrate(h)
            loss = F.cross_entropy(h, ty)
            loss.backward()
        finally:
            po.QParam.update, po.fake_quantize = saved_update, saved_fq
        g = x.grad.detach().clone()
        assert g.abs().max() > 1e-6, title
        entries += [(title + '.grad', g), (title + '.loss', loss.detach().reshape(1)), (title + '.logits', h.detach())]
        print('%s: loss %.6f, max |grad| %.3g' % (title, loss.item(), g.abs().max().item()))
    mtaf.write(argv[0], entries)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
