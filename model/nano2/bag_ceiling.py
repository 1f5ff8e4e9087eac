"""How far can a bag of token vectors go? Dense nDCG@10 of idealised bags of GPT-2 tokens, next to
the shipped model (nano.bow_forward, the Python proxy of bow_eval.py: documents truncated at 298
tokens, so compare rows of one run, not with `sgpt-search eval`). sgpt-nano is such a bag: its
pooled vector is the sum of its tokens' rows, each weighted by about its IDF (the model card, "How
it works"), so these rows bound what any table of its width can do, trained or not:

- `exact`: tf·weight vectors compared exactly (one dimension per token: unlimited width), with the
  corpus' own IDF or with the shipped model's per-token weights;
- `proj D`: the same vectors through a random projection to D dimensions (every token a random
  "exact-match" code; the shipped table's 189 random dimensions are such codes);
- `model+K@b`: the shipped model's vector and a K-dimension random exact-match part (the model's
  weights) concatenated with a share b of the cosine on the model's part: what widening the model
  with exact-match dimensions would give.

    /usr/bin/python3 model/nano2/bag_ceiling.py --model public/models/sgpt-nano --pairs <run>/pairs.npz \\
        scifact-train=/work/shared/data/scifact/beir:train heldout-pairs=<heldout-beir> sqlite-faq=<faqset> ...
"""
import argparse
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(os.path.dirname(HERE), 'nano'), HERE]
import evaluate  # noqa: E402  (model/nano: BEIR loading and metrics)
import nano  # noqa: E402
from bow_eval import CACHE, encode, model_of  # noqa: E402

VOCAB = 50257
# a token's weight is read at this position, after a document bracket: the position unit makes it
# about the same at every position (the model card)
PROBE_POSITION = 40


def token_weights(model):
    """Each token's weight in the pooled vector: the norm of its hidden state times SGPT's position
    weight, relative to the largest."""
    ids = torch.full((VOCAB, PROBE_POSITION + 1), evaluate.D_BR[0], dtype=torch.long)
    ids[:, PROBE_POSITION] = torch.arange(VOCAB)
    weights = torch.zeros(VOCAB)
    with torch.no_grad():
        for i in range(0, VOCAB, 2048):
            part = ids[i:i + 2048]
            hidden = nano.bow_forward(model, part, torch.ones_like(part))
            weights[i:i + 2048] = hidden[:, PROBE_POSITION].norm(dim=1) * (PROBE_POSITION + 1)
    return weights / weights.max()


def counts(seqs):
    m = torch.zeros(len(seqs), VOCAB)
    for i, s in enumerate(seqs):
        if s:
            m[i].index_add_(0, torch.tensor(s), torch.ones(len(s)))
    return m


def cosines(q, d):
    return (F.normalize(q, dim=1) @ F.normalize(d, dim=1).T).numpy()


def rows_for(beir, model, weights, dims, extra, shares, seed):
    ndcg = lambda s: evaluate.metrics(s, beir)[0]  # noqa: E731
    d_counts, q_counts = counts(beir['doc_tokens']), counts(beir['query_tokens'])
    n = d_counts.shape[0]
    idf = torch.log((n + 1) / ((d_counts > 0).sum(0) + 0.5)).clamp(min=0)
    shipped = encode(model, beir['query_tokens'], evaluate.Q_BR) @ encode(model, beir['doc_tokens'], evaluate.D_BR).T
    d_w, q_w = d_counts * weights, q_counts * weights
    out = {'shipped model': ndcg(shipped), 'exact, corpus IDF': ndcg(cosines(q_counts * idf, d_counts * idf)),
           'exact, model weights': ndcg(cosines(q_w, d_w))}
    g = torch.Generator().manual_seed(seed)
    for k in sorted(set(dims) | set(extra)):
        codes = torch.randn(VOCAB, k, generator=g) / math.sqrt(k)
        projected = cosines(q_w @ codes, d_w @ codes)
        if k in dims:
            out[f'proj {k}'] = ndcg(projected)
        if k in extra:
            for b in shares:
                out[f'model+{k}@{b}'] = ndcg(b * shipped + (1 - b) * projected)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('sets', nargs='+', help='name=BEIR folder[:split]')
    ap.add_argument('--model', default='public/models/sgpt-nano')
    ap.add_argument('--pairs', required=True, help="pairs.npz of the model's training run (row order)")
    ap.add_argument('--dims', default='189,384,768,1024')
    ap.add_argument('--extra', default='384,1024')
    ap.add_argument('--shares', default='0.3,0.5,0.7')
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(2)
    model = model_of(a.model, a.pairs)
    weights = token_weights(model)
    parse = lambda s: [int(x) for x in s.split(',') if x]  # noqa: E731
    table = {}
    for spec in a.sets:
        name, _, where = spec.partition('=')
        base, _, split = where.partition(':')
        beir = evaluate.load_beir(name, base, split or 'test', CACHE)
        table[name] = rows_for(beir, model, weights, parse(a.dims), parse(a.extra),
                               [float(x) for x in a.shares.split(',')], a.seed)
        print(name, ' '.join(f'{k}={v:.4f}' for k, v in table[name].items()), flush=True)
    rows = list(next(iter(table.values())))
    print('| dense nDCG@10 (proxy) | ' + ' | '.join(table) + ' |')
    print('|---' * (len(table) + 1) + '|')
    for r in rows:
        print(f'| {r} | ' + ' | '.join(f'{table[s][r]:.4f}' for s in table) + ' |')


if __name__ == '__main__':
    main()
