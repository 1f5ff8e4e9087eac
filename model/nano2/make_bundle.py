"""Token statistics, the bag-of-words warm start and the GPU bundle for sgpt-nano-2.

Rows: the tokens seen at least twice in the training text, ordered by count (row 1 = most frequent),
at most MAX_ROWS; row 0 is shared by every other id and is the pure stop direction. Because rows
are ordered by count, pruning the vocabulary later is a slice (keep rows < R, map the rest to 0).
Warm start (sgpt-nano's, init.py): row = a_t e_t + b_t s, e_t = PPMI+SVD dims (40 %) and random
dims (60 %), a_t = idf / max idf, s on dims 0-1 where ln_f's gain is 0. No position unit: SGPT's
position weights act as the paper has them; the layers may learn what they need.

    /usr/bin/python3 model/nano2/make_bundle.py [--dims 256] [--out .gpu-bundle]
"""
import argparse
import os
import pickle
import shutil
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, 'build')
V = 50257
BRACKETS = (58, 60, 90, 92)
MAX_ROWS = 24575


def stats(corpus, dims=256, window=5, max_tokens=12_000_000, seed=0):
    df = np.zeros(V, np.int64)
    tokens = np.zeros(V, np.int64)
    for doc in corpus:
        u, c = np.unique(np.asarray(doc, np.int64), return_counts=True)
        df[u] += 1
        tokens[u] += c
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(corpus))
    sub, n = [], 0
    for i in order:  # PPMI on a random subset of documents (time and memory on 2 cores)
        sub.append(corpus[i])
        n += len(corpus[i])
        if n >= max_tokens:
            break
    flat = np.concatenate([np.asarray(list(d) + [-1] * window, np.int64) for d in sub])
    keys, weights = [], []
    for k in range(1, window + 1):
        a, b = flat[:-k], flat[k:]
        ok = (a >= 0) & (b >= 0)
        u, c = np.unique(a[ok] * V + b[ok], return_counts=True)
        keys.append(u)
        weights.append(c.astype(np.float64) / k)
    u, inv = np.unique(np.concatenate(keys), return_inverse=True)
    cnt = np.bincount(inv, weights=np.concatenate(weights))
    rows, cols = u // V, u % V
    rows, cols, cnt = np.concatenate([rows, cols]), np.concatenate([cols, rows]), np.concatenate([cnt, cnt])
    row_sum = np.bincount(rows, weights=cnt, minlength=V)
    ctx = np.bincount(cols, weights=cnt, minlength=V) ** 0.75
    pmi = np.log(cnt * ctx.sum() / (row_sum[rows] * ctx[cols]))
    keep = pmi > 0
    m = torch.sparse_coo_tensor(np.stack([rows[keep], cols[keep]]), torch.from_numpy(pmi[keep]).float(), (V, V)).coalesce()
    torch.manual_seed(seed)
    U, S, _ = torch.svd_lowrank(m, q=dims, niter=3)
    return {'sem': (U * S.sqrt()).numpy().astype(np.float32), 'df': df, 'tokens': tokens, 'n_docs': len(corpus),
            'ppmi_tokens': n}


def warm_start(st, dims=256, sem_dims=96, sem_mix=0.4, reserve=2, seed=0, max_rows=MAX_ROWS):
    n = float(st['n_docs'])
    idf = np.log((n + 1) / (st['df'].astype(np.float64) + 0.5))
    a = np.clip(idf / idf.max(), 0, 1)
    a[list(BRACKETS)] = 0.0
    b = np.sqrt(1 - a ** 2)
    rng = np.random.default_rng(seed)
    sem = st['sem'][:, :sem_dims].astype(np.float64)
    sem = sem / np.linalg.norm(sem, axis=0)  # unscaled left singular vectors (sgpt-nano's choice)
    sem /= np.linalg.norm(sem, axis=1, keepdims=True) + 1e-9
    sem[st['df'] == 0] = 0.0
    rnd = rng.standard_normal((V, dims - reserve - sem_dims))
    rnd /= np.linalg.norm(rnd, axis=1, keepdims=True)
    e = np.concatenate([np.sqrt(sem_mix) * sem, np.sqrt(1 - sem_mix) * rnd], axis=1)
    e -= e.mean(axis=1, keepdims=True)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    e = np.concatenate([np.zeros((V, reserve)), e], axis=1)
    s = np.zeros(dims)
    s[0], s[1] = 1 / np.sqrt(2), -1 / np.sqrt(2)
    wte = a[:, None] * e + b[:, None] * s
    counts = st['tokens'].copy()
    counts[list(BRACKETS) + [50256]] = counts.max() + 1  # always kept
    kept = [i for i in np.argsort(-counts, kind='stable') if counts[i] >= 2][:max_rows]
    id_map = np.zeros(V, np.int32)
    id_map[kept] = np.arange(1, len(kept) + 1)
    table = np.zeros((len(kept) + 1, dims), np.float32)
    table[0] = s  # unseen / pruned ids: pure stop direction (contributes nothing)
    table[1:] = wte[kept]
    gain = np.ones(dims, np.float32)
    gain[:reserve] = 0.0
    return {'table': table, 'id_map': id_map, 'ln_f': gain, 'row_count': st['tokens'][kept]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dims', type=int, default=256)
    ap.add_argument('--sem-dims', type=int, default=96)
    ap.add_argument('--out', default=os.path.join(os.path.dirname(os.path.dirname(HERE)), '.gpu-bundle'))
    a = ap.parse_args()
    torch.set_num_threads(1)
    spath = os.path.join(BUILD, 'stats.npz')
    if not os.path.exists(spath):
        with open(os.path.join(BUILD, 'corpus.pkl'), 'rb') as f:
            corpus = pickle.load(f)
        st = stats(corpus, dims=max(128, a.sem_dims))
        np.savez(spath, **st)
    st = dict(np.load(spath))
    init = warm_start(st, a.dims, a.sem_dims)
    os.makedirs(a.out, exist_ok=True)
    np.savez_compressed(os.path.join(a.out, 'init.npz'), table=init['table'].astype(np.float16),
                        id_map=init['id_map'], ln_f=init['ln_f'], row_count=init['row_count'])
    shutil.copy(os.path.join(BUILD, 'pairs.npz'), os.path.join(a.out, 'pairs.npz'))
    shutil.copy(os.path.join(HERE, 'train_gpu.py'), os.path.join(a.out, 'train_gpu.py'))
    total = sum(os.path.getsize(os.path.join(a.out, f)) for f in os.listdir(a.out))
    print('rows', init['table'].shape, 'bundle bytes', total, {f: os.path.getsize(os.path.join(a.out, f)) for f in os.listdir(a.out)})


if __name__ == '__main__':
    main()
