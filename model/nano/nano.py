"""sgpt-nano: model/gpt2.py's GPT-2 with a pruned token table and the bag-of-words warm start."""
import os
import sys

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gpt2 import GPT2, HParams, gelu_new  # noqa: E402

import init  # noqa: E402
from ppmi import V, load_stats  # noqa: E402

HP = dict(n_layer=2, n_head=6, n_embd=384, n_positions=320)
WARM = dict(sem_dims=192, sem_mix=0.4, eig=0.0, power=1.0)  # chosen on held-out pairs (BoW sweep)
MIN_COUNT = 2  # token rows kept: seen at least this often in the training corpus
# Rows of tokens seen fewer times keep their warm-start values: too few pairs to learn from, and
# training them cost held-out MRR (0.3439 all rows trained vs 0.3495 with this threshold, step 957;
# thresholds 0 / 30 / 100 / 300 / 1000 gave 0.3439 / 0.3474 / 0.3465 / 0.3495 / 0.3417).
TRAIN_MIN_COUNT = 300
POS_DIM = 2  # wpe carries eps * p here; the last MLP turns it into kappa * p * s
EPS, KAPPA, GAIN = 1e-3, 1.0, 200.0


class PrunedEmbedding(nn.Module):
    """Embedding over kept rows: ids go through a fixed id -> row map (a Gather in ONNX), so the
    tokenizer and ids stay GPT-2's; ids never seen in training share row 0."""

    def __init__(self, id_map: torch.Tensor, dims: int) -> None:
        super().__init__()
        self.register_buffer('id_map', id_map)
        self.weight = nn.Parameter(torch.zeros(int(id_map.max()) + 1, dims))

    def forward(self, ids):
        return F.embedding(self.id_map[ids].long(), self.weight, sparse=self.training)


def kept_ids(stats):
    keep = stats['tokens'] >= MIN_COUNT
    keep[list(init.BRACKETS) + [50256]] = True
    return np.flatnonzero(keep)


def rare_rows(model):
    """Bool per table row: tokens seen fewer than TRAIN_MIN_COUNT times (and the shared row 0)."""
    counts = torch.zeros(model.wte.weight.shape[0], dtype=torch.long)
    stats = load_stats()
    counts[model.wte.id_map[torch.from_numpy(kept_ids(stats))].long()] = torch.from_numpy(stats['tokens'][kept_ids(stats)])
    return counts < TRAIN_MIN_COUNT


def restore_rare_rows(model, seed=0):
    """Put the warm-start values back into the rare rows (after a phase that trained every row)."""
    rare = rare_rows(model)
    with torch.no_grad():
        model.wte.weight[rare] = build_model(seed).wte.weight[rare].to(model.wte.weight.device)


def freeze_rare_rows(model):
    """Zero the sparse gradient of rare rows, so they keep their current values."""
    keep = (~rare_rows(model)).float().to(model.wte.weight.device)

    def hook(g):
        g = g.coalesce()
        return torch.sparse_coo_tensor(g.indices(), g.values() * keep[g.indices()[0]][:, None], g.shape)
    model.wte.weight.register_hook(hook)


def build_model(seed=0, warm=True):
    """GPT-2 with the warm start of init.py (warm=False: GPT-2-style random init, for comparison)."""
    torch.manual_seed(seed)
    hp = HParams(**HP)
    model = GPT2(hp)
    stats = load_stats()
    keep = kept_ids(stats)
    id_map = torch.zeros(V, dtype=torch.long)
    id_map[torch.from_numpy(keep)] = torch.arange(1, len(keep) + 1)
    model.wte = PrunedEmbedding(id_map, hp.n_embd)
    d = hp.n_embd
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('ln_1.weight') or name.endswith('ln_2.weight') or name.endswith('ln_f.weight'):
                p.fill_(1.0)
            elif name.endswith('bias'):
                p.zero_()
            elif 'c_proj' in name:  # residual branches start at zero: the model starts as bag-of-words
                p.normal_(0, 0.0 if warm else 0.02 / np.sqrt(2 * hp.n_layer))
            else:
                p.normal_(0, 0.02)
        if not warm:
            return model
        wte, _, gain = init.embeddings(dims=d, n_pos=hp.n_positions, seed=seed, kappa=0.0, reserve=3, **WARM)
        table = np.zeros((len(keep) + 1, d), np.float32)
        table[0] = wte[50256] * 0
        table[0, 0], table[0, 1] = 1 / np.sqrt(2), -1 / np.sqrt(2)  # unseen ids: pure stop direction
        table[1:] = wte[keep]
        model.wte.weight.copy_(torch.from_numpy(table))
        model.wpe.weight.zero_()
        model.wpe.weight[:, POS_DIM] = EPS * torch.arange(1, hp.n_positions + 1)
        model.ln_f.weight.copy_(torch.from_numpy(gain))
        model.ln_f.weight[POS_DIM] = 0.0  # the position ramp must not reach the pooled vector
        # Position-compensation circuit in the last MLP: hidden unit 0 reads the position dim and
        # writes kappa * p along s = (x0 - x1)/sqrt(2). ln_2 scales dim POS_DIM by about sqrt(d).
        mlp = model.h[-1].mlp
        mlp.c_fc.weight[:, 0] = 0.0
        mlp.c_fc.weight[POS_DIM, 0] = GAIN
        scale = KAPPA / (GAIN * EPS * np.sqrt(d))
        mlp.c_proj.weight[0, :] = 0.0
        mlp.c_proj.weight[0, 0], mlp.c_proj.weight[0, 1] = scale / np.sqrt(2), -scale / np.sqrt(2)
    return model


def freeze_circuit(model):
    """Keep the hand-set position circuit fixed while training (zero its gradients)."""
    mlp = model.h[-1].mlp
    m_fc = torch.ones_like(mlp.c_fc.weight)
    m_fc[:, 0] = 0
    m_pr = torch.ones_like(mlp.c_proj.weight)
    m_pr[0, :] = 0
    mlp.c_fc.weight.register_hook(lambda g: g * m_fc)
    mlp.c_proj.weight.register_hook(lambda g: g * m_pr)
    model.wpe.weight.register_hook(lambda g: torch.cat([g[:, :POS_DIM], torch.zeros_like(g[:, POS_DIM:POS_DIM + 1]), g[:, POS_DIM + 1:]], 1))


def bow_forward(model, ids, mask):
    """Exactly model(ids, mask) while every residual branch is zero except the position circuit:
    skips the attention and all but one MLP unit (used for the cheap embedding-only phase)."""
    x = model.wte(ids) + model.wpe(torch.arange(ids.shape[1], device=ids.device)[None, :])
    mlp = model.h[-1].mlp
    u = F.layer_norm(x, (x.shape[-1],), model.h[-1].ln_2.weight, model.h[-1].ln_2.bias, model.hp.layer_norm_epsilon)
    hidden = gelu_new(u @ mlp.c_fc.weight[:, 0] + mlp.c_fc.bias[0])
    x = x + hidden[..., None] * mlp.c_proj.weight[0] + sum(b.attn.c_proj.bias + b.mlp.c_proj.bias for b in model.h)
    return model.ln_f(x)


def pool(hidden, mask):
    """SGPT weighted mean (weights cumsum(mask)), L2-normalised."""
    w = (torch.cumsum(mask, 1) * mask).unsqueeze(-1).to(hidden.dtype)
    e = (hidden * w).sum(1) / w.sum(1)
    return F.normalize(e, dim=-1)


def pad(seqs, pad_id=50256):
    n = max(map(len, seqs))
    ids = torch.full((len(seqs), n), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), n), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    return ids, mask


def encoder(model, batch_tokens=16384, device='cpu'):
    """encode(list of token lists) -> normalised numpy array, batching by length."""
    def encode(seqs):
        model.eval()
        order = np.argsort([len(s) for s in seqs])
        out = np.zeros((len(seqs), model.hp.n_embd), np.float32)
        i = 0
        with torch.no_grad():
            while i < len(order):
                n = max(1, batch_tokens // len(seqs[order[min(i + 255, len(order) - 1)]]))
                idx = order[i:i + min(n, 256)]  # sorted by length: little padding
                ids, mask = pad([seqs[j] for j in idx])
                h = model(ids.to(device), mask.to(device))
                out[idx] = pool(h, mask.to(device)).cpu().numpy()
                i += len(idx)
        return out
    return encode
