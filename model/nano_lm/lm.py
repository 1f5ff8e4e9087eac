"""sgpt-nano-lm: a small GPT-2 causal LM for SGPT-CE reranking (../shared/design/SGPT.md §2), trained on the sgpt-nano
recipe's Debian text (model/nano/data.py: WordNet, Jargon File, Python 3.11 docs without faq/).

    /usr/bin/python3 model/nano_lm/lm.py [--minutes 25] [--threads 2]

One command, resumable: training checkpoints to model/nano_lm/build/lm.pt every few minutes and
continues from it (the minutes are a wall-clock budget over all runs); then export.py writes
public/models/sgpt-nano-lm. Uses CUDA when available.

Training sequences: the corpus documents and, for a share of PROMPT_SHARE, the reranker's prompt
filled from the recipe's asymmetric (query, document) pairs (lemma -> gloss, heading -> section,
...), so the LM has seen "The document "{doc}" is a good search result for "{query}". All joined
with <|endoftext|> and cut into SEQ-token windows. Only the vocabulary rows of tokens that occur
in the text are trained (a compact table; export scatters it back into GPT-2's 50257 ids), which
also keeps the tied head's softmax to the seen tokens.
"""
import argparse
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'nano'))
sys.path.insert(0, os.path.dirname(HERE))
import data  # noqa: E402  (model/nano/data.py: the cached text and pairs)
import ppmi  # noqa: E402  (model/nano/ppmi.py: PPMI + SVD token vectors, 256 dims)
from gpt2 import GPT2, HParams  # noqa: E402

BUILD = os.path.join(HERE, 'build')
CKPT = os.path.join(BUILD, 'lm.pt')
EOT = 50256
SEQ = 256
PROMPT_SHARE = 0.15  # of the training documents
HP = dict(n_layer=4, n_head=4, n_embd=256, n_positions=320)
PREFIX = 'Documents are searched to find matches with the same content.\nThe document "'
MIDDLE = '" is a good search result for "'


def prompt_ids(enc):
    return enc.encode(PREFIX), enc.encode(MIDDLE)


def vocab(windows, d):
    """Token ids of the training windows and the held-out pairs, in id order -> the compact
    table's rows (held-out-only tokens keep their warm start: they are never a training target)."""
    held = [t for p in d['held'] for t in p[0] + p[1]]
    return np.union1d(np.unique(windows), held + [EOT])


def stream(d, pre, mid, seed=0):
    """Token windows [n, SEQ + 1] from the shuffled corpus + prompt-shaped pairs."""
    rng = random.Random(seed)
    asym = [p for p in d['pairs'] if p[2] == 'asym']
    n_prompt = int(len(d['corpus']) * PROMPT_SHARE / (1 - PROMPT_SHARE))
    docs = list(d['corpus']) + [pre + p[1] + mid + p[0] for p in rng.sample(asym, min(n_prompt, len(asym)))]
    rng.shuffle(docs)
    flat = np.fromiter((t for doc in docs for t in doc + [EOT]), np.int64)
    n = (len(flat) - 1) // SEQ
    idx = np.arange(n)[:, None] * SEQ + np.arange(SEQ + 1)[None, :]
    return flat[idx], len(docs) - len(d['corpus'])


def build_model(rows, stats, seed=0):
    torch.manual_seed(seed)
    hp = HParams(vocab_size=len(rows), **HP)
    model = GPT2(hp)
    for name, p in model.named_parameters():  # GPT-2's init: N(0, 0.02), residual projections scaled
        if p.dim() == 2:
            std = 0.02 / math.sqrt(2 * hp.n_layer) if name.endswith('c_proj.weight') else 0.02
            torch.nn.init.normal_(p, 0.0, std)
        elif 'ln' in name and name.endswith('weight'):
            torch.nn.init.ones_(p)
        else:
            torch.nn.init.zeros_(p)
    sem = torch.from_numpy(stats['sem'][rows]).float()  # warm start: PPMI+SVD vectors, same 256 dims
    with torch.no_grad():
        model.wte.weight.copy_(0.5 * sem / sem.norm(dim=1).mean() + 0.01 * torch.randn_like(sem))
    return model


def token_nll(model, ids, mask, targets_from):
    """Summed next-token NLL per sequence over positions >= targets_from[b] (the scored tokens)."""
    pos = torch.arange(1, ids.shape[1], device=ids.device)[None, :]
    keep = (pos >= targets_from[:, None]) & (mask[:, 1:] > 0)
    hidden = model(ids[:, :-1], mask[:, :-1])[keep]  # the head only where a target is scored
    nll = F.cross_entropy((hidden @ model.wte.weight.T).float(), ids[:, 1:][keep], reduction='none')
    per_seq = torch.zeros(len(ids), device=ids.device).index_add_(0, keep.nonzero()[:, 0], nll)
    return per_seq, keep.sum(1)


def pad(seqs, device):
    n = max(map(len, seqs))
    ids = torch.zeros((len(seqs), n), dtype=torch.long)  # right padding, masked
    mask = torch.zeros((len(seqs), n), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    return ids.to(device), mask.to(device)


@torch.no_grad()
def evaluate(model, remap, d, pre, mid, device, n=200, n_rerank=60, seed=1):
    """Held-out numbers (pairs whose synset / entry / section is held out of the training text):
    text perplexity of held-out documents, perplexity of the query tokens after the reranker's
    prompt, and rerank MRR@10 (own document among 9 random held-out documents of the same source,
    scored as the reranker does: summed query log-probs)."""
    model.eval()
    rng = random.Random(seed)
    held = [p for p in d['held'] if p[2] == 'asym']
    sample = rng.sample(held, min(n, len(held)))
    m = lambda seq: [remap[t] for t in seq]  # noqa: E731
    out = {}
    tot, cnt = 0.0, 0
    for i in range(0, len(sample), 16):
        seqs = [m([EOT] + p[1]) for p in sample[i:i + 16]]
        ids, mask = pad(seqs, device)
        s, c = token_nll(model, ids, mask, torch.ones(len(seqs), dtype=torch.long, device=device))
        tot, cnt = tot + s.sum().item(), cnt + c.sum().item()
    out['text_ppl'] = math.exp(tot / cnt)
    by_source = {}
    for p in held:
        by_source.setdefault(p[3], []).append(p)

    def scores(q, docs):
        seqs = [m(pre + dd + mid + q) for dd in docs]
        start = torch.tensor([len(pre) + len(dd) + len(mid) for dd in docs], device=device)
        ids, mask = pad(seqs, device)
        s, c = token_nll(model, ids, mask, start)
        return -s, c

    tot, cnt, rr = 0.0, 0, []
    for p in sample[:n_rerank]:
        pool = [x for x in by_source[p[3]] if x[1] != p[1]]
        docs = [p[1]] + [x[1] for x in rng.sample(pool, min(9, len(pool)))]
        s, c = scores(p[0], docs)
        tot, cnt = tot - s[0].item(), cnt + c[0].item()
        rank = 1 + (s[1:] > s[0]).sum().item()
        rr.append(1.0 / rank if rank <= 10 else 0.0)
    out['query_ppl'] = math.exp(tot / cnt)
    out['rerank_mrr10'] = sum(rr) / len(rr)
    out['rerank_pairs'] = len(rr)
    model.train()
    return out


def train(minutes, threads, batch=8, lr=1.5e-3, ckpt_every=180):
    torch.set_num_threads(threads)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    os.makedirs(BUILD, exist_ok=True)
    d, stats, enc = data.load(), ppmi.load_stats(), data.bpe()
    pre, mid = prompt_ids(enc)
    windows, n_prompt = stream(d, pre, mid)
    rows = vocab(windows, d)
    remap = np.full(50257, -1, np.int64)
    remap[rows] = np.arange(len(rows))
    windows = torch.from_numpy(remap[windows])
    assert (windows >= 0).all()
    model = build_model(rows, stats).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.01)
    state = {'step': 0, 'elapsed': 0.0, 'log': [], 'n_prompt_docs': n_prompt, 'windows': len(windows)}
    if os.path.exists(CKPT):
        ck = torch.load(CKPT, map_location=device)
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['opt'])
        state = ck['state']
        print('resumed at step', state['step'], 'after', round(state['elapsed']), 's')
    else:
        state['start_eval'] = evaluate(model, remap, d, pre, mid, device)
        print('start', state['start_eval'], flush=True)

    def save():
        torch.save({'model': model.state_dict(), 'opt': opt.state_dict(), 'state': state,
                    'rows': rows, 'hp': HP}, CKPT + '.tmp')
        os.replace(CKPT + '.tmp', CKPT)

    budget = minutes * 60
    order = torch.randperm(len(windows), generator=torch.Generator().manual_seed(0))
    t0, last_save, run_loss = time.time() - state['elapsed'], time.time(), []
    mask = torch.ones(batch, SEQ + 1, dtype=torch.long, device=device)
    model.train()
    while state['elapsed'] < budget:
        frac = state['elapsed'] / budget
        cur = lr * min(1.0, (state['step'] + 1) / 50) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g['lr'] = cur
        i = (state['step'] * batch) % (len(order) - batch)
        ids = windows[order[i:i + batch]].to(device)
        logits = model(ids[:, :-1], mask[:, :-1], lm=True)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        state['step'] += 1
        state['elapsed'] = time.time() - t0
        run_loss.append(loss.item())
        if state['step'] % 25 == 0:
            row = {'step': state['step'], 's': round(state['elapsed']), 'lr': round(cur, 6),
                   'loss': round(sum(run_loss) / len(run_loss), 4), 'tokens': state['step'] * batch * SEQ}
            state['log'].append(row)
            run_loss = []
            print(row, flush=True)
        if time.time() - last_save > ckpt_every:
            save()
            last_save = time.time()
    if 'end_eval' not in state:
        state['end_eval'] = evaluate(model, remap, d, pre, mid, device)
        print('end', state['end_eval'], flush=True)
    state['device'] = device
    save()
    return model.cpu(), rows, state


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--minutes', type=float, default=25)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--export', action=argparse.BooleanOptionalAction, default=True)
    a = ap.parse_args()
    model, rows, state = train(a.minutes, a.threads, a.batch)
    if a.export:
        import export
        export.export(model, rows, state)
