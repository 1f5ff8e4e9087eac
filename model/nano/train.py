"""Contrastive SGPT bi-encoder training (in-batch negatives, scale 20), resumable from checkpoints.

Phase "bow": only the token table is trained (SparseAdam) through bow_forward, which equals the full
model while the residual branches are zero -- cheap enough for big batches on 2 CPU cores.
Phase "full": every parameter (SparseAdam for the token table, AdamW for the rest), short sequences;
starts from the bow checkpoint with its rare rows restored (nano.TRAIN_MIN_COUNT) and keeps them frozen.
"""
import argparse
import json
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

import data
import evaluate
import nano
from fetch import BUILD

SOURCE_WEIGHTS = {'wordnet': 0.45, 'pydocs': 0.45, 'jargon': 0.10}


def wrap_pair(p, q_max, d_max):
    q, d, kind = p[0][:q_max - 2], p[1][:d_max - 2], p[2]
    if kind == 'asym':
        return evaluate.wrap(q, evaluate.Q_BR), evaluate.wrap(d, evaluate.D_BR)
    return q, d


def batches(pairs, size, rng):
    """Endless batches; sources re-weighted so WordNet does not drown the longer-text pairs."""
    by = {}
    for p in pairs:
        by.setdefault(p[3].split('-')[0], []).append(p)
    names = sorted(by)
    w = np.array([SOURCE_WEIGHTS[n] for n in names])
    while True:
        counts = rng.multinomial(size, w / w.sum())
        yield [by[n][i] for n, c in zip(names, counts) for i in rng.choice(len(by[n]), c, replace=False)]


def loss_fn(forward, model, qs, ds, device):
    qi, qm = nano.pad(qs)
    di, dm = nano.pad(ds)
    q = nano.pool(forward(model, qi.to(device), qm.to(device)), qm.to(device))
    d = nano.pool(forward(model, di.to(device), dm.to(device)), dm.to(device))
    scores = 20.0 * q @ d.T
    return F.cross_entropy(scores, torch.arange(len(qs), device=device))


def full_forward(model, ids, mask):
    return model(ids, mask)


def train(phase, minutes, out, start=None, batch=256, lr=1e-3, lr_dense=3e-4, q_max=64, d_max=128,
          eval_every=200, seed=0):
    torch.manual_seed(seed)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    d = data.load()
    pairs, held = d['pairs'], d['held']
    ckpt = os.path.join(BUILD, out + '.pt')
    model = nano.build_model(seed)
    if start:
        model.load_state_dict(torch.load(os.path.join(BUILD, start + '.pt'))['model'])
        nano.restore_rare_rows(model, seed)  # the bow phase trained every row
    model.to(device)
    if phase == 'full':
        nano.freeze_circuit(model)
        nano.freeze_rare_rows(model)
    sparse = torch.optim.SparseAdam([model.wte.weight], lr=lr)
    dense_params = [p for n, p in model.named_parameters() if n != 'wte.weight']
    dense = torch.optim.AdamW(dense_params, lr=lr_dense, weight_decay=0.0) if phase == 'full' else None
    state = {'step': 0, 'seconds': 0.0, 'log': []}
    if os.path.exists(ckpt):  # resume
        c = torch.load(ckpt)
        model.load_state_dict(c['model'])
        sparse.load_state_dict(c['sparse'])
        if dense and c.get('dense'):
            dense.load_state_dict(c['dense'])
        state = c['state']
        print('resumed', out, 'at step', state['step'])
    rng = np.random.default_rng(seed + state['step'])
    forward = nano.bow_forward if phase == 'bow' else full_forward
    gen = batches(pairs, batch, rng)

    def save():
        torch.save({'model': model.state_dict(), 'sparse': sparse.state_dict(),
                    'dense': dense.state_dict() if dense else None, 'state': state}, ckpt + '.tmp')
        os.replace(ckpt + '.tmp', ckpt)

    def held_score():
        enc = nano.encoder(model, device=device) if phase == 'full' else bow_encoder(model, device)
        r = evaluate.held_eval(enc, held, limit=2000)
        model.train()
        return r

    if state['step'] == 0:
        state['log'].append({'step': 0, 'held': held_score()})
        print(state['log'][-1], flush=True)
    model.train()
    t0, last_save = time.time(), time.time()
    budget = minutes * 60 - state['seconds']
    losses = []
    while time.time() - t0 < budget:
        b = next(gen)
        qs, ds = zip(*[wrap_pair(p, q_max, d_max) for p in b])
        loss = loss_fn(forward, model, list(qs), list(ds), device)
        sparse.zero_grad()
        if dense:
            dense.zero_grad()
        loss.backward()
        sparse.step()
        if dense:
            dense.step()
        losses.append(loss.item())
        state['step'] += 1
        if state['step'] % 20 == 0:
            print(f"step {state['step']} loss {np.mean(losses[-20:]):.3f} {(time.time() - t0) / len(losses):.2f}s/step", flush=True)
        if state['step'] % eval_every == 0:
            state['log'].append({'step': state['step'], 'loss': float(np.mean(losses[-eval_every:])),
                                 'held': held_score(), 'seconds': state['seconds'] + time.time() - t0})
            print(state['log'][-1], flush=True)
        if time.time() - last_save > 180:
            state['seconds_now'] = state['seconds'] + time.time() - t0
            save()
            last_save = time.time()
    state['seconds'] += time.time() - t0
    state['log'].append({'step': state['step'], 'held': held_score(), 'seconds': state['seconds']})
    print(state['log'][-1], flush=True)
    save()
    return model, state


def bow_encoder(model, device='cpu'):
    def encode(seqs):
        model.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(seqs), 256):
                ids, mask = nano.pad(seqs[i:i + 256])
                out.append(nano.pool(nano.bow_forward(model, ids.to(device), mask.to(device)), mask.to(device)).cpu().numpy())
        return np.concatenate(out)
    return encode


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--phase', choices=['bow', 'full'], default='bow')
    ap.add_argument('--minutes', type=float, default=10)
    ap.add_argument('--out', default='bow')
    ap.add_argument('--start', default=None)
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--lr-dense', type=float, default=3e-4)
    ap.add_argument('--q-max', type=int, default=64)
    ap.add_argument('--d-max', type=int, default=128)
    ap.add_argument('--eval-every', type=int, default=200)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    train(a.phase, a.minutes, a.out, a.start, a.batch, a.lr, a.lr_dense, a.q_max, a.d_max, a.eval_every)
