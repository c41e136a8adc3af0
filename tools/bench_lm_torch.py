#!/usr/bin/python3
"""Peer benchmark of the language model: PyTorch (CPU) tokens/s of the reference's PTB_LSTM
network (PTB_LSTM/model.py: embedding -> dropout -> nn.LSTM -> nn.LSTM -> dropout -> linear
tied to the embedding, lstm4 starting from lstm3's final state, spec quirk 17), as
`mta bench PTB_LSTM`:

    bench_lm_torch.py [--mode train|forward] [--vocab 10001] [--embed 128] [--hidden 128]
                      [--dropout 0.3] [--batch 20] [--bptt 35] [--threads 2] [--seconds S]

train: the reference's step (train mode, mean cross-entropy, backward, clip_grad_norm_ 0.25,
p -= lr * grad with lr 1); forward: eval mode under torch.no_grad().  Random ids, the state
carried and detached between chunks.  Two warm-up chunks, then chunks until at least S seconds
and 3 chunks have run.  Prints one TSV line:

    torch <mode> PTB_LSTM <tokens_per_s> <threads> <torch version>

Run with Debian's interpreter (/usr/bin/python3, python3-torch).
"""
import argparse
import sys
import time

import torch
import torch.nn as nn


class LM(nn.Module):
    def __init__(self, vocab, embed, hidden, dropout):
        super().__init__()
        self.embed1 = nn.Embedding(vocab, embed)
        self.drop2 = nn.Dropout(dropout)
        self.lstm3 = nn.LSTM(embed, hidden, 1)
        self.lstm4 = nn.LSTM(hidden, hidden, 1)
        self.drop5 = nn.Dropout(dropout)
        self.fc6 = nn.Linear(hidden, vocab)
        self.fc6.weight = self.embed1.weight

    def forward(self, x, hidden=None):
        x = self.drop2(self.embed1(x))
        x, hidden = self.lstm3(x, hidden)
        x, hidden = self.lstm4(x, hidden)
        x = self.drop5(x)
        t, n = x.size(0), x.size(1)
        return self.fc6(x.view(t * n, -1)), hidden


def main(argv):
    ap = argparse.ArgumentParser(description='PyTorch peer benchmark of the LSTM language model')
    ap.add_argument('--mode', choices=('train', 'forward'), default='train')
    ap.add_argument('--vocab', type=int, default=10001)
    ap.add_argument('--embed', type=int, default=128)
    ap.add_argument('--hidden', type=int, default=128)
    ap.add_argument('--dropout', type=float, default=0.3)
    ap.add_argument('--batch', type=int, default=20)
    ap.add_argument('--bptt', type=int, default=35)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seconds', type=float, default=10.0)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    m = LM(a.vocab, a.embed, a.hidden, a.dropout)
    loss_fn = nn.CrossEntropyLoss()
    hidden = None
    train = a.mode == 'train'
    m.train(train)
    chunks, t0, it = 0, 0.0, 0
    while True:
        if it == 2:
            t0 = time.perf_counter()
        if it >= 5 and time.perf_counter() - t0 >= a.seconds:
            break
        ids = torch.randint(0, a.vocab, (a.bptt, a.batch))
        tg = torch.randint(0, a.vocab, (a.bptt * a.batch,))
        if hidden is not None:
            hidden = tuple(h.detach() for h in hidden)
        if train:
            m.zero_grad()
            out, hidden = m(ids, hidden)
            loss_fn(out, tg).backward()
            torch.nn.utils.clip_grad_norm_(m.parameters(), 0.25)
            with torch.no_grad():
                for p in m.parameters():
                    p.add_(p.grad, alpha=-1.0)
        else:
            with torch.no_grad():
                out, hidden = m(ids, hidden)
                loss_fn(out, tg).item()
        if it >= 2:
            chunks += 1
        it += 1
    secs = time.perf_counter() - t0
    print('torch\t%s\tPTB_LSTM\t%.1f\t%d\t%s' % (a.mode, chunks * a.bptt * a.batch / secs, a.threads, torch.__version__))


if __name__ == '__main__':
    main(sys.argv[1:])
