"""sgpt-nano-2 training: one self-contained script (torch + numpy only), CUDA when present.

Reads pairs.npz and init.npz (from make_bundle.py) next to it. Trains, on the same batches and in
lock-step, two models from the same warm start:
  full: GPT-2 (n_layer x n_embd) whose residual branches are gated, x + g * branch(x), each gate a
        scalar starting at 0 -- at step 0 the model is exactly the bag-of-words warm start and the
        gates open as the loss asks (ReZero-style); exported with g folded into c_proj.
  bow:  the same with the branches removed (token table, wpe, ln_f trained): the ablation.
SGPT loss: weighted-mean pooling (weights cumsum(mask)), L2 norm, cross-entropy over 20 * cos
against in-batch positives and one BM25-mined hard negative per pair; query [ ] and document { }
brackets as ids; right padding with 50256. Checkpoints to --out every --ckpt-every seconds.

    python3 train_gpu.py --budget 390 --out $OUT

On a CPU: --init from warm_shipped.py (the shipped sgpt-nano, --unit keeps its position unit
outside the gates), --chunks 6 (length-sorted pieces: most documents are short, padding was most
of the cost), short --q-len / --d-len, --keep (a copy of every checkpoint for selection.py).
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
Q_BR, D_BR, PAD = (58, 60), (90, 92), 50256
SOURCES = ['wordnet', 'jargon', 'pydocs', 'postgresql', 'sqlite', 'rust', 'nodejs', 'sphinx',
           'pysci', 'pylibs', 'erlang', 'cmake']  # data.py's
# --bow-freeze: parameter-name prefixes of each part. Trained ln_f and position unit cost the
# bag-of-words run half of SciFact train, the table did not (model card, "the trained
# bag-of-words table without the collapse"). 'table' held in the layered model with an already
# trained init (warm_shipped.py) trains its branches alone on top of the shipped model.
BOW_PARTS = {'wpe': ('wpe',), 'ln_f': ('ln_f.',), 'unit': ('h.',), 'table': ('wte',)}


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Conv1D(nn.Module):
    def __init__(self, n_in, n_out, std):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out) * std)
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return x @ self.weight + self.bias


class Block(nn.Module):
    def __init__(self, d, n_head, n_layer, unit=False):
        super().__init__()
        self.n_head = n_head
        # unit: MLP hidden unit 0 is outside the gate (sgpt-nano's position unit, see Net)
        self.register_buffer('has_unit', torch.tensor(float(unit)))
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.Module()
        self.attn.c_attn = Conv1D(d, 3 * d, 0.02)
        self.attn.c_proj = Conv1D(d, d, 0.02 / math.sqrt(2 * n_layer))
        self.mlp = nn.Module()
        self.mlp.c_fc = Conv1D(d, 4 * d, 0.02)
        self.mlp.c_proj = Conv1D(4 * d, d, 0.02 / math.sqrt(2 * n_layer))
        self.g_attn = nn.Parameter(torch.zeros(()))
        self.g_mlp = nn.Parameter(torch.zeros(()))

    def attention(self, x):
        b, s, d = x.shape
        q, k, v = self.attn.c_attn(x).split(d, dim=2)
        q, k, v = (t.view(b, s, self.n_head, d // self.n_head).transpose(1, 2) for t in (q, k, v))
        # Causal only: with right padding a real token never sees a pad (gpt2.py's key mask is
        # then a no-op for every position that is pooled).
        if hasattr(F, 'scaled_dot_product_attention'):
            o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            sc = q @ k.transpose(-1, -2) / math.sqrt(d // self.n_head)
            sc = sc.masked_fill(torch.ones(s, s, dtype=torch.bool, device=x.device).triu(1), torch.finfo(sc.dtype).min)
            o = torch.softmax(sc, -1) @ v
        return self.attn.c_proj(o.transpose(1, 2).reshape(b, s, d))

    def forward(self, x, branches=True):
        """branches=False: the gated branches removed (the ablation); the unit, if any, stays."""
        unit = bool(self.has_unit)
        if branches:
            x = x + self.g_attn * self.attention(self.ln_1(x))
            h = gelu_new(self.mlp.c_fc(self.ln_2(x)))
            w, b = self.mlp.c_proj.weight, self.mlp.c_proj.bias
            if not unit:
                return x + self.g_mlp * (h @ w + b)
            return x + self.g_mlp * (h[..., 1:] @ w[1:] + b) + h[..., :1] * w[0]
        if not unit:
            return x
        u = gelu_new(self.ln_2(x) @ self.mlp.c_fc.weight[:, 0] + self.mlp.c_fc.bias[0])
        return x + u[..., None] * self.mlp.c_proj.weight[0]


class Net(nn.Module):
    def __init__(self, init, n_layer, n_head, n_pos=320, blocks=True, scale=1.0):
        super().__init__()
        # ln_f makes the bag-of-words function blind to the table's scale; rows of norm
        # sqrt(d) (GPT-2-like per-dim size) keep the first branch outputs small next to them
        table = torch.from_numpy(init['table'].astype(np.float32)) * scale
        d = table.shape[1]
        self.register_buffer('id_map', torch.from_numpy(init['id_map'].astype(np.int64)))
        self.wte = nn.Parameter(table.clone())
        self.wpe = nn.Parameter(torch.zeros(n_pos, d))
        # With 'unit_fc' in the init (warm_shipped.py --unit), sgpt-nano's position unit comes
        # along: a wpe ramp read by the last block's MLP unit 0, which writes along the stop
        # direction and so cancels SGPT's position weights; it is trainable, outside the gates, and
        # kept in the ablations (without it the warm start loses half its quality, model card).
        unit = 'unit_fc' in init
        n_blocks = n_layer if blocks else int(unit)
        self.blocks = blocks
        self.h = nn.ModuleList([Block(d, n_head, n_layer, unit and i == n_blocks - 1) for i in range(n_blocks)])
        self.ln_f = nn.LayerNorm(d)
        with torch.no_grad():
            self.ln_f.weight.copy_(torch.from_numpy(init['ln_f'].astype(np.float32)))
            if unit:
                self.wpe.copy_(torch.from_numpy(init['wpe'].astype(np.float32)) * scale)
                mlp = self.h[-1].mlp
                mlp.c_fc.weight[:, 0] = torch.from_numpy(init['unit_fc'].astype(np.float32))
                mlp.c_fc.bias[0] = float(init['unit_fc_bias'])
                mlp.c_proj.weight[0] = torch.from_numpy(init['unit_proj'].astype(np.float32)) * scale

    def forward(self, ids, use_blocks=True, rows=None, sub=None):
        """rows/sub: the rows of ids in sub = wte[some rows] (pooled() gathers once per batch side)."""
        x = (self.wte[self.id_map[ids]] if sub is None else sub[rows]) + self.wpe[:ids.shape[1]][None]
        for blk in self.h:
            x = blk(x, use_blocks and self.blocks)
        return self.ln_f(x)


def pool(h, mask):
    w = (torch.cumsum(mask, 1) * mask).unsqueeze(-1).float()
    return F.normalize((h.float() * w).sum(1) / w.sum(1), dim=-1)


class Seqs:
    """Token sequences on the device: concat uint16 tokens + offsets -> padded, bracketed batches."""

    def __init__(self, tok, off, device, max_len):
        self.tok = torch.from_numpy(tok.astype(np.int64)).to(device)
        self.off = torch.from_numpy(off[:-1].astype(np.int64)).to(device)
        self.len = torch.from_numpy(np.minimum(np.diff(off), max_len - 2).astype(np.int64)).to(device)
        self.device = device

    def batch(self, idx, br):
        idx = torch.as_tensor(idx, device=self.device).long()
        n = self.len[idx]
        L = int(n.max()) + 2
        ar = torch.arange(L, device=self.device)[None]
        pos = (self.off[idx][:, None] + ar - 1).clamp(0, len(self.tok) - 1)
        ids = torch.where((ar >= 1) & (ar <= n[:, None]), self.tok[pos], torch.full_like(pos, PAD))
        if br is not None:
            ids[:, 0] = br[0]
            ids.scatter_(1, (n + 1)[:, None], br[1])
            mask = (ar < (n + 2)[:, None]).long()
        else:
            ids = torch.cat([ids[:, 1:], torch.full_like(ids[:, :1], PAD)], 1)
            mask = (ar < n[:, None]).long()
        return ids, mask


def pooled(model, seqs, idx, br, use_blocks, chunks):
    """Pooled vectors of seqs[idx], run in `chunks` length-sorted pieces, each padded only to its
    own longest sequence (most documents are short: on a CPU, padding is most of the cost)."""
    idx = np.asarray(idx)
    order = np.argsort(seqs.len[torch.as_tensor(idx, device=seqs.device).long()].cpu().numpy(), kind='stable')
    batches = [seqs.batch(idx[part], br) for part in np.array_split(order, min(chunks, len(order)))]
    # one gather from the table for all pieces: each gather's backward writes a dense table-sized
    # gradient, which per piece cost more than the layers on a CPU
    uniq, inv = torch.unique(torch.cat([model.id_map[ids].flatten() for ids, _ in batches]), return_inverse=True)
    sub = model.wte[uniq]
    parts, o = [], 0
    for ids, mask in batches:
        rows = inv[o:o + ids.numel()].view(ids.shape)
        o += ids.numel()
        parts.append(pool(model(ids, use_blocks, rows, sub), mask))
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return torch.cat(parts)[torch.from_numpy(back).to(parts[0].device)]


def encode(model, seqs, idx, br, use_blocks, bs=256):
    model.eval()
    with torch.no_grad(), autocast(seqs.device):
        out = pooled(model, seqs, idx, br, use_blocks, -(-len(idx) // bs))
    model.train()
    return out


def autocast(device):
    if str(device).startswith('cuda'):
        return torch.autocast('cuda', dtype=torch.bfloat16)
    import contextlib
    return contextlib.nullcontext()


def selection(model, use_blocks, sel, qs, ds):
    """MRR@10 of each held-out query's document among all selection documents, per source."""
    q = encode(model, qs, sel['q'], Q_BR, use_blocks)
    docs_u, inv = np.unique(sel['d'], return_inverse=True)
    d = encode(model, ds, docs_u, D_BR, use_blocks)
    s = q @ d.T
    inv = torch.from_numpy(inv).to(s.device)
    pos = s.gather(1, inv[:, None])
    rank = (s > pos).sum(1).cpu().numpy()
    rr = np.where(rank < 10, 1.0 / (rank + 1), 0.0)
    res = {'all': float(rr.mean())}
    for si in np.unique(sel['src']):
        res[SOURCES[si]] = float(rr[sel['src'] == si].mean())
    return res


def mine_negatives(P, ds, n_rows, device, seconds, chunk=2048, k=8, k1=0.9, b=0.4):
    """BM25 over the token rows (each document a bag of rows) on the device; for each training
    pair the best-scoring document outside the positive's group. -1 where not mined in time."""
    t0 = time.time()
    neg = np.full(len(P['train']), -1, np.int64)
    try:
        N = len(ds.off)
        lens = ds.len
        doc_of = torch.repeat_interleave(torch.arange(N, device=device), lens)
        starts = torch.repeat_interleave(ds.off, lens)
        within = torch.arange(len(doc_of), device=device) - torch.repeat_interleave(torch.cumsum(lens, 0) - lens, lens)
        rows = P['id_map_t'][ds.tok[starts + within]]
        keep = rows > 0
        key = doc_of[keep] * n_rows + rows[keep]
        uk, tf = torch.unique(key, return_counts=True)
        dd, rr = uk // n_rows, uk % n_rows
        df = torch.bincount(rr, minlength=n_rows).float()
        idf = torch.log(1 + (N - df + 0.5) / (df + 0.5))
        dl = lens.float()
        tf = tf.float()
        w = idf[rr] * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl[dd] / dl.mean()))
        D = torch.sparse_coo_tensor(torch.stack([dd, rr]), w, (N, n_rows)).coalesce()
        try:
            D = D.to_sparse_csr()
        except Exception:
            pass
        groups = torch.from_numpy(P['doc_group'].astype(np.int64)).to(device)
        qs = P['qs']
        order = np.random.default_rng(1).permutation(len(P['train']))
        done = 0
        for i in range(0, len(order), chunk):
            if time.time() - t0 > seconds:
                break
            sel = order[i:i + chunk]
            qi = torch.from_numpy(P['train'][sel, 0].astype(np.int64)).to(device)
            pos = torch.from_numpy(P['train'][sel, 1].astype(np.int64)).to(device)
            ids, mask = qs.batch(qi, None)
            r = P['id_map_t'][ids] * mask
            Q = torch.zeros(n_rows, len(sel), device=device)
            Q[r, torch.arange(len(sel), device=device)[:, None].expand_as(r)] = 1.0
            Q[0] = 0
            S = torch.sparse.mm(D, Q) if D.layout != torch.strided else D @ Q  # [N, C]
            top = S.topk(k, dim=0).indices.T  # [C, k]
            ok = groups[top] != groups[pos][:, None]
            first = ok.float().argmax(1)
            cand = top.gather(1, first[:, None])[:, 0]
            cand = torch.where(ok.any(1), cand, torch.full_like(cand, -1))
            neg[sel] = cand.cpu().numpy()
            done += len(sel)
        return neg, {'mined': int(done), 'seconds': round(time.time() - t0, 1), 'nnz': int(w.numel())}
    except Exception as e:  # never lose the run to the miner: train with in-batch negatives only
        return neg, {'error': repr(e)[:500], 'seconds': round(time.time() - t0, 1)}


def hold_unit(block):
    """Keeps a layered block's position unit (ln_2, MLP hidden unit 0 in and out) at the warm start
    while its gated branches train: the gradients of those entries are zeroed."""
    if not bool(block.has_unit):
        return
    for q in (block.ln_2.weight, block.ln_2.bias):
        q.requires_grad_(False)
    block.mlp.c_fc.weight.register_hook(lambda g: torch.cat([torch.zeros_like(g[:, :1]), g[:, 1:]], 1))
    block.mlp.c_fc.bias.register_hook(lambda g: torch.cat([torch.zeros_like(g[:1]), g[1:]]))
    block.mlp.c_proj.weight.register_hook(lambda g: torch.cat([torch.zeros_like(g[:1]), g[1:]]))


def save_weights(out, full, bow, meta):
    def dump(name, tensors):
        tmp = os.path.join(out, name + '.tmp.npz')
        np.savez(tmp, **{k: v.detach().float().cpu().numpy().astype(np.float16 if v.numel() > 4096 else np.float32)
                         for k, v in tensors.items()})
        os.replace(tmp, os.path.join(out, name + '.npz'))
    # the token table apart: every returned file stays under 16 MB
    dump('full_wte', {'wte': full.wte})
    dump('full_rest', {k: v for k, v in full.state_dict().items() if k not in ('id_map', 'wte')})
    dump('bow', {k: v for k, v in bow.state_dict().items() if k != 'id_map'})
    tmp = os.path.join(out, 'log.json.tmp')
    with open(tmp, 'w') as f:
        json.dump(meta, f, indent=1)
    os.replace(tmp, os.path.join(out, 'log.json'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--budget', type=float, default=float(os.environ.get('NANO2_BUDGET', 390)), help='training seconds')
    ap.add_argument('--out', default=os.environ.get('OUT', os.path.join(HERE, 'out')))
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--layers', type=int, default=4)
    ap.add_argument('--heads', type=int, default=4)
    ap.add_argument('--batch', type=int, default=1024)
    ap.add_argument('--lr', type=float, default=5e-4, help='peak lr of the layers and gates')
    ap.add_argument('--lr-table', type=float, default=2e-4)
    ap.add_argument('--embed-scale', type=float, default=0.0, help='table scale; 0: sqrt(dims)')
    ap.add_argument('--log-every', type=int, default=50)
    ap.add_argument('--warmup', type=int, default=300)
    ap.add_argument('--mine-seconds', type=float, default=45)
    ap.add_argument('--mine-chunk', type=int, default=2048)
    ap.add_argument('--hard-share', type=float, default=0.5, help='pairs that get their mined negative')
    ap.add_argument('--sel', type=int, default=4000, help='held-out pairs for selection')
    ap.add_argument('--ckpt-every', type=float, default=60)
    ap.add_argument('--eval-every', type=float, default=90, help='seconds between selection evals')
    ap.add_argument('--subset', type=int, default=0, help='smoke test: use only this many training pairs')
    ap.add_argument('--threads', type=int, default=0)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--resume', default=os.path.join(HERE, 'ckpt.pt'))
    ap.add_argument('--bundle', default=HERE, help='folder with pairs.npz (and init.npz)')
    ap.add_argument('--init', default='', help='warm start (default <bundle>/init.npz; warm_shipped.py writes the shipped sgpt-nano as one)')
    ap.add_argument('--q-len', type=int, default=64, help='max query tokens, brackets included')
    ap.add_argument('--d-len', type=int, default=128, help='max document tokens, brackets included')
    ap.add_argument('--train-rows', type=int, default=0, help='only the first R table rows (the most used) are trained; 0: all')
    ap.add_argument('--chunks', type=int, default=1, help='length-sorted pieces per batch side (less padding; 4-8 on a CPU)')
    ap.add_argument('--keep', action='store_true', help='also keep each checkpoint in <out>/step-N/ for selection')
    ap.add_argument('--bow-only', action='store_true', help='train only the bag-of-words model (the layered one stays at its warm start)')
    ap.add_argument('--full-only', action='store_true', help='train only the layered model (the twin stays where it is; e.g. resuming a run past its twin)')
    ap.add_argument('--bow-freeze', default='', help=f'bag-of-words parts kept at the warm start: {",".join(BOW_PARTS)}')
    ap.add_argument('--full-freeze', default='', help=f'the same for the layered model (its gated branches always train): {",".join(BOW_PARTS)}')
    a = ap.parse_args()
    if a.bow_only and a.full_only:
        ap.error('--bow-only and --full-only exclude each other')
    t_start = time.time()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    dev = torch.device(a.device)
    if dev.type == 'cuda':
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    os.makedirs(a.out, exist_ok=True)
    P = dict(np.load(os.path.join(a.bundle, 'pairs.npz')))
    init = dict(np.load(a.init or os.path.join(a.bundle, 'init.npz')))
    rng = np.random.default_rng(a.seed)
    if a.subset:
        P['train'] = P['train'][rng.permutation(len(P['train']))[:a.subset]]
    n_rows = init['table'].shape[0]
    P['id_map_t'] = torch.from_numpy(init['id_map'].astype(np.int64)).to(dev)
    qs = Seqs(P['q_tok'], P['q_off'], dev, a.q_len)
    ds = Seqs(P['doc_tok'], P['doc_off'], dev, a.d_len)
    P['qs'] = qs
    held = P['held']
    sel_idx = np.random.default_rng(0).permutation(len(held))[:a.sel]
    sel = {'q': held[sel_idx, 0], 'd': held[sel_idx, 1], 'src': held[sel_idx, 2]}
    meta = {'args': vars(a), 'device': torch.cuda.get_device_name(0) if dev.type == 'cuda' else 'cpu',
            'torch': torch.__version__, 'n_train': int(len(P['train'])), 'n_held_sel': int(len(sel_idx)),
            'rows': int(n_rows), 'dims': int(init['table'].shape[1]), 'log': [], 'evals': []}
    scale = a.embed_scale or math.sqrt(init['table'].shape[1])
    meta['embed_scale'] = scale
    full = Net(init, a.layers, a.heads, scale=scale).to(dev)
    bow = Net(init, a.layers, a.heads, blocks=False, scale=scale).to(dev)
    if a.train_rows:
        # rare rows keep their warm-start values: too few pairs to learn from, and training them
        # cost sgpt-nano out-of-domain quality (its model card, "Selection and honesty")
        for m in (full, bow):
            m.wte.register_hook(lambda g: torch.cat([g[:a.train_rows], torch.zeros_like(g[a.train_rows:])]))
    meta['params'] = {'table': int(full.wte.numel()), 'other': int(sum(p.numel() for n, p in full.named_parameters() if n != 'wte'))}
    meta['evals'].append({'step': 0, 'warm_start': selection(full, False, sel, qs, ds),
                          'full_step0': selection(full, True, sel, qs, ds)})
    print('step 0', meta['evals'][-1], flush=True)
    neg, meta['mining'] = mine_negatives(P, ds, n_rows, dev, a.mine_seconds, chunk=a.mine_chunk)
    print('mining', meta['mining'], flush=True)
    # source weights ~ sqrt(pairs per source): big sources do not drown the small ones
    src = P['train'][:, 2]
    counts = np.bincount(src, minlength=len(SOURCES)).astype(np.float64)
    wsrc = np.sqrt(counts) / np.sqrt(counts).sum()
    p = wsrc[src] / counts[src]
    p /= p.sum()
    meta['source_weights'] = {SOURCES[i]: round(float(wsrc[i]), 4) for i in range(len(SOURCES))}

    def groups(model, table_lr):
        # Adam is scale-free: lr x scale on the scaled table (and wpe, which adds to it) is the
        # same trajectory as lr on unit rows
        emb = [q for n, q in model.named_parameters() if n in ('wte', 'wpe') and q.requires_grad]
        rest = [q for n, q in model.named_parameters() if n not in ('wte', 'wpe') and q.requires_grad]
        return torch.optim.AdamW([{'params': emb, 'lr': table_lr * scale, 'base': table_lr * scale},
                                  {'params': rest, 'lr': a.lr, 'base': a.lr}], betas=(0.9, 0.98), weight_decay=0.0)
    def freeze(model, option, spec):
        frozen = set(filter(None, spec.split(',')))
        if frozen - set(BOW_PARTS):
            raise SystemExit(f'{option}: unknown parts {",".join(sorted(frozen - set(BOW_PARTS)))} (choose from {",".join(BOW_PARTS)})')
        # 'unit' names the block holding the position unit; in the layered model only the
        # unit's own weights (ln_2, MLP column/row 0) are held, by zeroing their gradients
        for n, q in model.named_parameters():
            if n.startswith('h.') and 'unit' in frozen and model.blocks:
                continue
            if any(n.startswith(pre) for part in frozen for pre in BOW_PARTS[part]):
                q.requires_grad_(False)
        if 'unit' in frozen and model.blocks:
            hold_unit(model.h[-1])
        return sorted(frozen)
    meta['bow_frozen'] = freeze(bow, '--bow-freeze', a.bow_freeze)
    meta['full_frozen'] = freeze(full, '--full-freeze', a.full_freeze)
    opt_full, opt_bow = groups(full, a.lr_table), groups(bow, a.lr_table)
    step, trained = 0, 0.0
    if a.resume and os.path.exists(a.resume):
        try:
            c = torch.load(a.resume, map_location=dev, weights_only=False)
        except TypeError:  # torch < 1.13
            c = torch.load(a.resume, map_location=dev)
        full.load_state_dict(c['full']), bow.load_state_dict(c['bow'])
        opt_full.load_state_dict(c['opt_full']), opt_bow.load_state_dict(c['opt_bow'])
        step, trained, meta['log'] = c['step'], c['trained'], c['log']
        print('resumed at step', step, flush=True)
    labels = torch.arange(a.batch, device=dev)
    losses = []
    t0 = time.time() - trained
    last_ckpt, last_eval = time.time(), time.time()
    ridx = np.random.default_rng(a.seed + 1 + step)
    n_docs = len(ds.off)

    def loss_of(model, use_blocks, qidx, didx):
        with autocast(dev):
            q = pooled(model, qs, qidx, Q_BR, use_blocks, a.chunks)
            d = pooled(model, ds, didx, D_BR, use_blocks, a.chunks)
        return F.cross_entropy(20.0 * q @ d.T, labels[:len(q)])

    def train_step(model, opt, use_blocks, qidx, didx):
        loss = loss_of(model, use_blocks, qidx, didx)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        # frozen parameters have no gradient, so clipping over the trainable ones is clipping over all
        torch.nn.utils.clip_grad_norm_([q for q in model.parameters() if q.requires_grad], 1.0)
        opt.step()
        return loss

    def checkpoint(final=False):
        meta['step'] = step
        meta['train_seconds'] = round(time.time() - t0, 1)
        meta['wall_seconds'] = round(time.time() - t_start, 1)
        meta['gates'] = [[round(float(b.g_attn), 4), round(float(b.g_mlp), 4)] for b in full.h]
        save_weights(a.out, full, bow, meta)
        if a.keep:
            keep = os.path.join(a.out, f'step-{step}')
            os.makedirs(keep, exist_ok=True)
            save_weights(keep, full, bow, meta)
        if a.resume:
            torch.save({'full': full.state_dict(), 'bow': bow.state_dict(), 'opt_full': opt_full.state_dict(),
                        'opt_bow': opt_bow.state_dict(), 'step': step, 'trained': time.time() - t0,
                        'log': meta['log']}, a.resume + '.tmp')
            os.replace(a.resume + '.tmp', a.resume)

    while time.time() - t0 < a.budget:
        bi = ridx.choice(len(P['train']), a.batch, replace=False, p=p)
        rows = P['train'][bi]
        nb = neg[bi]
        use_hard = (nb >= 0) & (ridx.random(len(bi)) < a.hard_share)
        nb = np.where(use_hard, nb, ridx.integers(0, n_docs, len(bi)))
        qidx, didx = rows[:, 0], np.concatenate([rows[:, 1], nb])
        frac = (time.time() - t0) / a.budget
        sched = min(1.0, (step + 1) / a.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))
        for opt in (opt_full, opt_bow):
            for g in opt.param_groups:
                g['lr'] = g['base'] * sched
        lf = None if a.bow_only else train_step(full, opt_full, True, qidx, didx)
        lb = None if a.full_only else train_step(bow, opt_bow, False, qidx, didx)
        step += 1
        current = tuple(float('nan') if x is None else x.item() for x in (lf, lb))
        losses.append(current if step % 10 == 0 or a.log_every < 10 else None)
        if step % a.log_every == 0:
            recent = [x for x in losses[-a.log_every:] if x] or [x for x in losses if x][-5:] or [current]
            entry = {'step': step, 't': round(time.time() - t0, 1), 'loss_full': round(float(np.mean([x[0] for x in recent])), 4),
                     'loss_bow': round(float(np.mean([x[1] for x in recent])), 4), 'lr_scale': round(sched, 4),
                     'gates': [round(float(b.g_attn), 3) for b in full.h] + [round(float(b.g_mlp), 3) for b in full.h]}
            meta['log'].append(entry)
            print(entry, flush=True)
        if time.time() - last_eval > a.eval_every:
            which = ('bow', bow, False) if a.bow_only else ('full', full, True)
            meta['evals'].append({'step': step, 't': round(time.time() - t0, 1), which[0]: selection(which[1], which[2], sel, qs, ds)})
            print('eval', meta['evals'][-1], flush=True)
            last_eval = time.time()
        if time.time() - last_ckpt > a.ckpt_every:
            checkpoint()
            last_ckpt = time.time()
    final = {'step': step, 't': round(time.time() - t0, 1), 'bow': selection(bow, False, sel, qs, ds),
             'warm_start': meta['evals'][0]['warm_start']}
    if not a.bow_only:
        final.update(full=selection(full, True, sel, qs, ds), full_branches_zeroed=selection(full, False, sel, qs, ds))
    meta['evals'].append(final)
    meta['final'] = final
    print('final', json.dumps(final), flush=True)
    checkpoint(final=True)
    print('done', step, 'steps', round(time.time() - t_start), 's', flush=True)


if __name__ == '__main__':
    main()
