"""Token co-occurrence statistics: document frequencies and PPMI + truncated SVD token vectors."""
import os

import numpy as np
import torch

from data import load
from fetch import BUILD

V = 50257
OUT = os.path.join(BUILD, 'ppmi.npz')


def build(dims=256, window=5, seed=0):
    corpus = load()['corpus']
    df = np.zeros(V, np.int64)
    for doc in corpus:
        df[np.unique(doc)] += 1
    keys, weights = [], []
    flat = np.concatenate([np.asarray(d + [-1] * window, np.int64) for d in corpus])  # -1 separates docs
    for k in range(1, window + 1):
        a, b = flat[:-k], flat[k:]
        ok = (a >= 0) & (b >= 0)
        key = a[ok] * V + b[ok]
        u, c = np.unique(key, return_counts=True)
        keys.append(u)
        weights.append(c.astype(np.float64) / k)  # nearer neighbours count more
    key = np.concatenate(keys)
    w = np.concatenate(weights)
    u, inv = np.unique(key, return_inverse=True)
    cnt = np.bincount(inv, weights=w)
    rows, cols = u // V, u % V
    # symmetric counts
    rows, cols, cnt = np.concatenate([rows, cols]), np.concatenate([cols, rows]), np.concatenate([cnt, cnt])
    total = cnt.sum()
    row_sum = np.bincount(rows, weights=cnt, minlength=V)
    ctx = np.bincount(cols, weights=cnt, minlength=V) ** 0.75  # context-distribution smoothing
    pmi = np.log(cnt * ctx.sum() / (row_sum[rows] * ctx[cols]))
    keep = pmi > 0
    m = torch.sparse_coo_tensor(np.stack([rows[keep], cols[keep]]), torch.from_numpy(pmi[keep]).float(), (V, V)).coalesce()
    torch.manual_seed(seed)
    U, S, _ = torch.svd_lowrank(m, q=dims, niter=3)
    sem = (U * S.sqrt()).numpy().astype(np.float32)
    np.savez(OUT, sem=sem, df=df, n_docs=len(corpus), tokens=np.bincount(flat[flat >= 0], minlength=V))
    return OUT


def load_stats():
    if not os.path.exists(OUT):
        build()
    z = np.load(OUT)
    return {k: z[k] for k in z.files}


if __name__ == '__main__':
    import time
    t = time.time()
    torch.set_num_threads(2)
    build()
    s = load_stats()
    print('seen tokens', (s['df'] > 0).sum(), 'time', time.time() - t)
