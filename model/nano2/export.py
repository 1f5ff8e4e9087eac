"""Export trained sgpt-nano-2 weights (train_gpu.py's full.npz / bow.npz) to an ONNX model folder.

Gates are folded into c_proj (x + g * (h W + b) == x + h (g W) + g b), so the graph is plain GPT-2
(model/gpt2.py) with the pruned token table behind an id -> row map. --rows R keeps the R most
frequent token rows (rows are ordered by count; the others map to the shared stop row 0).
--zero-branches exports the same weights with every residual branch zeroed (the ablation).
Branches whose output is exactly zero are left out of the graph (gpt2.prune_dead_branches: an
attention with zero c_proj, MLP units with a zero c_proj row), checked on the check texts: the
pruned hidden states must equal the full model's. Weights int8 with model/quantize.py (Cast * scale, not DequantizeLinear); --table-bits 4 /
--layer-bits 4 store the token table / the layer matrices 4-bit (two per byte, float16 scales per
row / output column, or per --group weights); the token table is looked up gather-first (only the
looked-up rows are dequantised; quantize.py); --levels takes a schedule over the table's rows
(e.g. 7,2@18000: the rarer rows coarser, which gzip compresses better) and --keep-norms gives each
row the scale that keeps its norm. Also writes
build/export-check.json (torch fp32 pooled vectors) for verify.mjs and prints the gzip size.

    /usr/bin/python3 model/nano2/export.py --weights <dir with full.npz> [--which full|bow]
        [--rows 16384] [--out public/models/sgpt-nano-2]
    node model/nano/verify.mjs public/models/sgpt-nano-2 model/nano2/build/export-check.json
"""
import argparse
import gzip
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, 'model'))
sys.path.insert(0, os.path.join(ROOT, 'model', 'nano'))
from gpt2 import GPT2, HParams, export_onnx, onnx_weights, prune_dead_branches, sgpt_settings, write_config  # noqa: E402
from quantize import levels_by_row, quantize_model  # noqa: E402
from tokenizer_files import write_tokenizer_files  # noqa: E402
from nano import PrunedEmbedding, pad, pool  # noqa: E402
from warm_shipped import shipped_init  # noqa: E402

BUILD = os.path.join(HERE, 'build')
CHECK_TEXTS = ['what similarity laws must be obeyed when constructing aeroelastic models',
               'A list comprehension builds a new list from an iterable.',
               'def square(x):\n    return x ** 2  # {braces} [brackets]',
               'How do I create an index concurrently in PostgreSQL?']


def load(weights_dir, init_path, which='full', rows=None, zero_branches=False, n_head=4, branch_scale=1.0):
    w = {}
    for f in sorted(os.listdir(weights_dir)):
        if f.endswith('.npz') and (f == which + '.npz' or f.startswith(which + '_')):
            w.update(dict(np.load(os.path.join(weights_dir, f))))
    init = dict(np.load(init_path))
    w = {k: torch.from_numpy(v.astype(np.float32)) for k, v in w.items()}
    table = w['wte']
    d = table.shape[1]
    n_layer = len({k.split('.')[1] for k in w if k.startswith('h.')})
    hp = HParams(n_layer=max(n_layer, 1), n_head=n_head, n_embd=d, n_positions=w['wpe'].shape[0])
    model = GPT2(hp)
    id_map, table = prune_rows(torch.from_numpy(init['id_map'].astype(np.int64)), table, rows)
    model.wte = PrunedEmbedding(id_map, d)
    sd = {'wte.weight': table, 'wte.id_map': id_map, 'wpe.weight': w['wpe'],
          'ln_f.weight': w['ln_f.weight'], 'ln_f.bias': w['ln_f.bias']}
    for i in range(hp.n_layer):
        p = f'h.{i}.'
        if n_layer == 0:  # bow: a GPT-2 block whose branches output zero
            blk = model.h[i]
            for name, t in blk.state_dict().items():
                sd[p + name] = torch.ones_like(t) if name.endswith('ln_1.weight') or name.endswith('ln_2.weight') else torch.zeros_like(t)
            continue
        scale = 0.0 if zero_branches else branch_scale
        g_attn = scale * float(w[p + 'g_attn'])
        g_mlp = scale * float(w[p + 'g_mlp'])
        for name in ('ln_1.weight', 'ln_1.bias', 'ln_2.weight', 'ln_2.bias', 'attn.c_attn.weight', 'attn.c_attn.bias',
                     'mlp.c_fc.weight', 'mlp.c_fc.bias'):
            sd[p + name] = w[p + name]
        for name, g in (('attn.c_proj', g_attn), ('mlp.c_proj', g_mlp)):
            sd[p + name + '.weight'] = w[p + name + '.weight'] * g
            sd[p + name + '.bias'] = w[p + name + '.bias'] * g
        if float(w.get(p + 'has_unit', 0)):  # the position unit (MLP unit 0) is outside the gate
            sd[p + 'mlp.c_proj.weight'][0] = w[p + 'mlp.c_proj.weight'][0]
    model.load_state_dict(sd)
    model.eval()
    return model


def prune_rows(id_map, table, rows):
    """Keep table rows 0..rows (rows are ordered by use): ids of the others map to the stop row 0."""
    if not rows:
        return id_map, table
    return torch.where(id_map <= rows, id_map, torch.zeros_like(id_map)), table[:rows + 1]


def load_folder(model_dir, pairs, rows=None):
    """An exported model folder of ours (GPT-2 with an id -> row table, e.g. the shipped sgpt-nano)
    back as a torch GPT2, rows reordered by use in the training pairs (warm_shipped.py) and pruned."""
    with open(os.path.join(model_dir, 'config.json')) as f:
        cfg = json.load(f)
    hp = HParams(n_layer=cfg['n_layer'], n_head=cfg['n_head'], n_embd=cfg['n_embd'], n_positions=cfg['n_positions'])
    w = onnx_weights(os.path.join(model_dir, 'onnx', 'model.onnx'))
    init, _ = shipped_init(model_dir, pairs)
    id_map, table = prune_rows(torch.from_numpy(init['id_map'].astype(np.int64)), torch.from_numpy(init['table']), rows)
    model = GPT2(hp)
    model.wte = PrunedEmbedding(id_map, hp.n_embd)
    sd = {k: torch.from_numpy(np.array(w[k], np.float32)) for k in model.state_dict() if not k.startswith('wte.')}
    sd.update({'wte.weight': table, 'wte.id_map': id_map})
    model.load_state_dict(sd)
    model.eval()
    return model


def check_ids():
    from reference_vectors import GPT2BPE
    enc = GPT2BPE()
    return pad([[br[0]] + enc.encode(t) + [br[1]] for t in CHECK_TEXTS for br in ((58, 60), (90, 92))])


def prune_exactly(model):
    """prune_dead_branches, checked: the pruned model's hidden states must be the full model's
    (they differ by fp32 summation order at most; x + 0 == x)."""
    ids, mask = check_ids()
    with torch.no_grad():
        full = model(ids, mask)
        pruned = prune_dead_branches(model)
        diff = float((model(ids, mask) - full).abs().max())
    if diff > 1e-5 * max(1.0, float(full.abs().max())):
        raise RuntimeError(f'pruning changed the hidden states (max |diff| {diff})')
    return {'pruned_weights': len(pruned), 'max_abs_diff_vs_full': diff}


def export(model, out, table_bits=8, layer_bits=8, group=0, exact=(), keep=(), levels='7', keep_norms=False):
    """levels: a 4-bit levels schedule (quantize.levels_by_row): its first entry for every 4-bit
    weight, the whole schedule over the token table's rows."""
    os.makedirs(BUILD, exist_ok=True)
    checked = prune_exactly(model)
    model.wte.id_map = model.wte.id_map.to(torch.int32)
    fp32 = os.path.join(BUILD, 'export-fp32.onnx')
    export_onnx(model, fp32, kind='features')
    model.wte.id_map = model.wte.id_map.long()
    os.makedirs(os.path.join(out, 'onnx'), exist_ok=True)
    dst = os.path.join(out, 'onnx', 'model.onnx')
    int4 = [n for n, p in model.named_parameters() if p.dim() == 2 and
            ((n == 'wte.weight' and table_bits == 4) or (n.startswith('h.') and layer_bits == 4))]
    by_row = levels_by_row(levels, model.wte.weight.shape[0])
    if table_bits != 4 and len(set(by_row.tolist())) > 1:
        raise ValueError(f'levels schedule "{levels}" is for a 4-bit token table (--table-bits 4)')
    quantize_model(fp32, dst, keep=keep, int4=tuple(int4), group=group, levels=int(by_row[0]),
                   exact_columns={'wte.weight': list(exact)} if exact else None,
                   channel_levels={'wte.weight': by_row}, keep_norms=keep_norms)
    write_config(out, model.hp, sgpt_settings('asymmetric'))
    write_tokenizer_files(out, 300)
    ids, mask = check_ids()
    seqs = [[int(t) for t, m in zip(row, mrow) if m] for row, mrow in zip(ids.tolist(), mask.tolist())]
    with torch.no_grad():
        hidden = model(ids, mask)
        pooled = pool(hidden, mask).numpy()
    with open(os.path.join(BUILD, 'export-check.json'), 'w') as f:
        json.dump({'model': out, 'ids': seqs, 'pooled': pooled.tolist()}, f)
    raw = open(dst, 'rb').read()
    return {'onnx_bytes': len(raw), 'onnx_gzip_bytes': len(gzip.compress(raw, 9)), **checked}


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument('--weights', help='train_gpu.py output folder')
    src.add_argument('--from-model', help='an exported model folder (e.g. public/models/sgpt-nano) to re-quantise / prune')
    ap.add_argument('--pairs', default=os.path.join(ROOT, '.gpu-bundle', 'pairs.npz'), help='row order for --from-model')
    ap.add_argument('--keep', default='', help='initializers left fp32 (sgpt-nano: wpe.weight, its hand-set ramp)')
    ap.add_argument('--init', default=None, help='init.npz of the bundle (id -> row map); default <weights>/../init.npz or .gpu-bundle')
    ap.add_argument('--which', default='full', choices=['full', 'bow'])
    ap.add_argument('--rows', type=int, default=0)
    ap.add_argument('--heads', type=int, default=4)
    ap.add_argument('--zero-branches', action='store_true')
    ap.add_argument('--branch-scale', type=float, default=1.0, help='every gate times this (WiSE-FT between the '
                    'branches zeroed, 0, and as trained, 1)')
    ap.add_argument('--table-bits', type=int, default=8, choices=[4, 8])
    ap.add_argument('--layer-bits', type=int, default=8, choices=[4, 8])
    ap.add_argument('--group', type=int, default=0, help='4-bit group size (0: per row / column)')
    ap.add_argument('--levels', default='7', help='4-bit: largest |q| (7 uses every code; fewer compress better under gzip), '
                    'or a schedule over the token rows, e.g. "7,3@8000" (rows from 8000 on -3..3; rows are ordered by use)')
    ap.add_argument('--keep-norms', action='store_true', help='4-bit: scales that keep each row\'s (group\'s) norm '
                    '(quantize.py; with coarse levels the max-based scale inflates the rare rows)')
    ap.add_argument('--exact-columns', default='0,1', help="token-table columns kept out of the quantisation "
                    "(the warm start's stop direction lives in dims 0 and 1, 17x the other dims; '' for none)")
    ap.add_argument('--out', default=os.path.join(ROOT, 'public', 'models', 'sgpt-nano-2'))
    a = ap.parse_args()
    if a.from_model:
        m = load_folder(a.from_model, a.pairs, a.rows or None)
    else:
        m = load(a.weights, a.init or os.path.join(ROOT, '.gpu-bundle', 'init.npz'), a.which, a.rows or None,
                 a.zero_branches, a.heads, a.branch_scale)
    exact = [int(c) for c in a.exact_columns.split(',') if c]
    print(json.dumps(export(m, a.out, a.table_bits, a.layer_bits, a.group, exact, tuple(filter(None, a.keep.split(','))), a.levels,
                            a.keep_norms)))
