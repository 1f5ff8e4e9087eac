"""Fast Python evaluation: dense retrieval on held-out training pairs (for selection) and on the
BEIR sets (for reporting only: nDCG@10 with graded gains, Recall@100 over score > 0)."""
import gzip
import json
import math
import os
import pickle

import numpy as np

from fetch import BUILD

DATA = '/work/shared/data'
SETS = ('cranfield', 'scifact')
Q_BR, D_BR = (58, 60), (90, 92)
MAX_LEN = 300


def load_beir(name, base=None, split='test', cache=BUILD):
    """Tokenised corpus / queries / qrels of a BEIR folder (default: DATA/<name>/beir), cached in `cache`."""
    path = os.path.join(cache, f'beir-{name}.pkl' if split == 'test' else f'beir-{name}-{split}.pkl')
    if os.path.exists(path):
        with open(path, 'rb') as f:
            return pickle.load(f)
    from data import bpe
    enc = bpe()
    base = base or os.path.join(DATA, name, 'beir')
    cpath = os.path.join(base, 'corpus.jsonl')
    opener = (lambda: open(cpath)) if os.path.exists(cpath) else (lambda: gzip.open(cpath + '.gz', 'rt'))
    docs = [json.loads(l) for l in opener()]
    qrels = {}
    for line in list(open(os.path.join(base, 'qrels', f'{split}.tsv')))[1:]:
        q, d, s = line.split('\t')
        qrels.setdefault(q, {})[d] = int(s)
    queries = [json.loads(l) for l in open(os.path.join(base, 'queries.jsonl'))]
    queries = [q for q in queries if any(v > 0 for v in qrels.get(q['_id'], {}).values())]
    out = {
        'doc_ids': [d['_id'] for d in docs],
        'doc_text': [(d.get('title', '') + ' ' + d['text']).strip() for d in docs],
        'query_ids': [q['_id'] for q in queries],
        'query_text': [q['text'] for q in queries],
        'qrels': qrels,
    }
    out['doc_tokens'] = [enc.encode(t)[:MAX_LEN - 2] for t in out['doc_text']]
    out['query_tokens'] = [enc.encode(t)[:MAX_LEN - 2] for t in out['query_text']]
    os.makedirs(cache, exist_ok=True)
    with open(path, 'wb') as f:
        pickle.dump(out, f)
    return out


def wrap(ids, br):
    return [br[0]] + list(ids) + [br[1]]


def metrics(scores, beir, k=10, r=100):
    """scores: (queries, docs) array. Returns (nDCG@10, Recall@100) averaged over queries."""
    ndcgs, recalls = [], []
    doc_ids = beir['doc_ids']
    top = np.argsort(-scores, axis=1, kind='stable')[:, :r]
    for qi, qid in enumerate(beir['query_ids']):
        rel = beir['qrels'][qid]
        ranked = [doc_ids[j] for j in top[qi]]
        dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
        ideal = sorted((v for v in rel.values() if v > 0), reverse=True)[:k]
        idcg = sum(v / math.log2(i + 2) for i, v in enumerate(ideal))
        ndcgs.append(dcg / idcg)
        pos = {d for d, v in rel.items() if v > 0}
        recalls.append(len(pos & set(ranked)) / len(pos))
    return float(np.mean(ndcgs)), float(np.mean(recalls))


def dense_scores(encode, beir):
    """encode(list of token lists) -> L2-normalised (n, dims) array; inputs already bracketed."""
    d = encode([wrap(t, D_BR) for t in beir['doc_tokens']])
    q = encode([wrap(t, Q_BR) for t in beir['query_tokens']])
    return q @ d.T


def beir_eval(encode, names=SETS):
    out = {}
    for name in names:
        beir = load_beir(name)
        out[name] = metrics(dense_scores(encode, beir), beir)
    return out


def held_sample(held, limit):
    """A fixed random sample of the asymmetric held-out pairs (all sources)."""
    held = [p for p in held if p[2] == 'asym']
    return [held[i] for i in np.random.default_rng(0).permutation(len(held))[:limit]]


def held_eval(encode, held, limit=3000):
    """MRR@10 of the paired document among all held-out documents, per pair source, asymmetric only."""
    held = held_sample(held, limit)
    q = encode([wrap(p[0], Q_BR) for p in held])
    d = encode([wrap(p[1], D_BR) for p in held])
    s = q @ d.T
    rank = (s > np.diag(s)[:, None]).sum(1)
    rr = np.where(rank < 10, 1.0 / (rank + 1), 0.0)
    by = {}
    for p, x in zip(held, rr):
        by.setdefault(p[3].split('-')[0], []).append(x)
    res = {k: float(np.mean(v)) for k, v in by.items()}
    res['all'] = float(np.mean(rr))
    return res
