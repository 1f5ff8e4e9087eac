"""Warm start: token embeddings that make the untrained GPT a weighted bag-of-words embedder.

Each token row is a_t * e_t + b_t * s (a_t^2 + b_t^2 = 1): e_t is a zero-mean unit vector made of
PPMI+SVD co-occurrence dims (related tokens point alike) and random dims (every token distinct,
like an exact-match term), a_t grows with the token's IDF, and s = (x_0 - x_1)/sqrt(2) is a shared
"stop" direction. Position rows add kappa * p * s. The final layer norm rescales each token to a
fixed norm and its gain is zero on dims 0 and 1, so after pooling a token counts about a_t / kappa,
cancelling SGPT's position weight p: the pooled vector is an IDF-weighted sum of e_t.
"""
import numpy as np

from ppmi import V, load_stats

BRACKETS = (58, 60, 90, 92)


def token_weights(stats, power=1.0):
    n, df = float(stats['n_docs']), stats['df'].astype(np.float64)
    idf = np.log((n + 1) / (df + 0.5))
    a = (idf / idf.max()) ** power
    a[list(BRACKETS)] = 0.0
    return np.clip(a, 0.0, 1.0)


def distinct_vectors(stats, dims, sem_dims, sem_mix, seed=0, eig=0.5, skip=0, reserve=2):
    rng = np.random.default_rng(seed)
    sem = stats['sem'][:, skip:skip + sem_dims].astype(np.float64)  # U * S^0.5
    sem = sem / np.linalg.norm(sem, axis=0) ** (1 - 2 * eig)  # re-weight to U * S^eig
    sem /= np.linalg.norm(sem, axis=1, keepdims=True) + 1e-9
    rnd = rng.standard_normal((V, dims - reserve - sem_dims))
    rnd /= np.linalg.norm(rnd, axis=1, keepdims=True)
    seen = stats['df'] > 0
    sem[~seen] = 0.0  # unseen tokens: purely random (exact match only)
    e = np.concatenate([np.sqrt(sem_mix) * sem, np.sqrt(1 - sem_mix) * rnd], axis=1)
    e -= e.mean(axis=1, keepdims=True)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    return np.concatenate([np.zeros((V, reserve)), e], axis=1)  # dims 0, 1: stop; 2: position


def embeddings(dims=256, sem_dims=128, sem_mix=0.5, power=1.0, kappa=1.0, n_pos=512, seed=0, eig=0.5, skip=0, reserve=2):
    """(wte, wpe, ln_f gain) as float32 arrays."""
    stats = load_stats()
    a = token_weights(stats, power)
    b = np.sqrt(1 - a ** 2)
    s = np.zeros(dims)
    s[0], s[1] = 1 / np.sqrt(2), -1 / np.sqrt(2)
    wte = a[:, None] * distinct_vectors(stats, dims, sem_dims, sem_mix, seed, eig, skip, reserve) + b[:, None] * s
    wpe = kappa * np.arange(1, n_pos + 1)[:, None] * s
    gain = np.ones(dims)
    gain[:2] = 0.0
    return wte.astype(np.float32), wpe.astype(np.float32), gain.astype(np.float32)


def bow_encoder(wte, wpe, gain):
    """What the GPT computes when every residual branch outputs zero (numpy, for quick checks)."""
    def encode(seqs):
        out = np.zeros((len(seqs), wte.shape[1]), np.float32)
        for i, ids in enumerate(seqs):
            x = wte[ids] + wpe[:len(ids)]
            x = x - x.mean(1, keepdims=True)
            x = x / np.sqrt((x ** 2).mean(1, keepdims=True) + 1e-5) * gain
            v = (np.arange(1, len(ids) + 1)[:, None] * x).sum(0)
            out[i] = v / (np.linalg.norm(v) + 1e-9)
        return out
    return encode
