"""WiSE-FT for the bag-of-words model: weight-space interpolation between the shipped sgpt-nano
(the warm start, train_gpu.py's step 0) and a trained bag-of-words checkpoint, per part,
exported the way the shipped file is (4-bit table, codes -7..7 or a --levels schedule with
--keep-norms, columns 0-2 exact, wpe fp32, gather-first), one folder per candidate, for bow_eval.py and `sgpt-search eval`.

    theta = theta_shipped + alpha * (theta_trained - theta_shipped)

Parts (the rest stays shipped): `table` (token rows, columns 3.. : the meaning), `stop`
(columns 0-2: the IDF stop direction and the position unit's per-token offset), `wpe`,
`ln_f`, `unit` (the position unit's block: its ln_2 and MLP unit 0). `--row-alpha K` scales the
table's alpha per row by use: alpha * min(1, count / K) (rows the training pairs saw rarely move
less).

    /usr/bin/python3 model/nano2/interpolate.py --trained model/nano2/build/cpu-run2/step-267 \\
        --init model/nano2/build/shipped-init-unit.npz --pairs .gpu-bundle/pairs.npz \\
        --alpha 0.5 --parts table,stop,ln_f --out model/nano2/build/cand-a05
"""
import argparse
import json
import math
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
PARTS = ('table', 'stop', 'wpe', 'ln_f', 'unit')
EXACT_COLUMNS = 3  # the warm start's stop direction (0, 1) and the unit's offset (2), model card


def part_alphas(parts, alpha, n_rows, d, row_scale=None):
    """The interpolation weight of every bag-of-words tensor: a scalar, or for the token table an
    (rows, dims) array (columns 0..2 are `stop`, the rest `table`; row_scale scales `table` per row)."""
    on = {p: (alpha if p in parts else 0.0) for p in PARTS}
    table = np.full((n_rows, d), on['table'], np.float32)
    if row_scale is not None:
        table *= row_scale[:, None].astype(np.float32)
    table[:, :EXACT_COLUMNS] = on['stop']
    return {'wte': table, 'wpe': on['wpe'], 'ln_f.': on['ln_f'], 'h.': on['unit']}


def alpha_of(alphas, key):
    for prefix, a in alphas.items():
        if key == prefix or (prefix.endswith('.') and key.startswith(prefix)):
            return a
    raise KeyError(f'{key}: no interpolation weight (not a bag-of-words tensor)')


def mix(theta0, theta1, alphas):
    """theta0 + alpha * (theta1 - theta0) per tensor (float32); both must have the same keys and shapes."""
    if theta0.keys() != theta1.keys():
        raise ValueError(f'different tensors: {sorted(theta0.keys() ^ theta1.keys())}')
    out = {}
    for k, a0 in theta0.items():
        a0, a1 = np.asarray(a0, np.float32), np.asarray(theta1[k], np.float32)
        if a0.shape != a1.shape:
            raise ValueError(f'{k}: shapes {a0.shape} and {a1.shape} differ')
        out[k] = a0 + np.asarray(alpha_of(alphas, k), np.float32) * (a1 - a0)
    return out


def use_scale(row_count, k):
    """Per-row scale min(1, count / k) for the table rows (row 0, the stop row, gets 0)."""
    return np.concatenate([[0.0], np.minimum(1.0, np.asarray(row_count, np.float64) / k)])


def shipped_bow(init, trained):
    """The warm start in the trained checkpoint's bow.npz layout and scale: train_gpu.Net's step 0."""
    import torch
    from train_gpu import Net
    torch.manual_seed(0)
    d = init['table'].shape[1]
    n_layer = len({k.split('.')[1] for k in trained if k.startswith('h.')})
    # the run's table scale (train_gpu.py --embed-scale 0: sqrt(dims)), read back from the checkpoint
    scale = float(np.median(np.linalg.norm(trained['wte'][1:].astype(np.float32), axis=1)) /
                  np.median(np.linalg.norm(init['table'][1:], axis=1)))
    if abs(scale - math.sqrt(d)) > 0.01 * math.sqrt(d):
        raise ValueError(f'checkpoint table scale {scale:.3f}, expected sqrt({d}): not a run from this init?')
    net = Net(init, max(n_layer, 1), 6, blocks=False, scale=math.sqrt(d))
    sd = {k: v.numpy() for k, v in net.state_dict().items() if k != 'id_map'}
    # branch weights other than the unit are never trained and multiplied by zero gates: take the
    # checkpoint's own, so only live tensors differ
    for k in sd:
        if k.startswith('h.') and k in trained and not any(k.endswith(s) for s in ('ln_2.weight', 'ln_2.bias', 'c_fc.weight', 'c_fc.bias', 'c_proj.weight')):
            sd[k] = trained[k]
    return sd


def build(trained_dir, init_path, alpha, parts, row_alpha, out, levels='7', keep_norms=False):
    import export  # noqa: E402 (torch and onnx only here)
    init = dict(np.load(init_path))
    trained = dict(np.load(os.path.join(trained_dir, 'bow.npz')))
    base = shipped_bow(init, trained)
    n_rows, d = trained['wte'].shape
    scale = use_scale(init['row_count'], row_alpha) if row_alpha else None
    mixed = mix(base, trained, part_alphas(parts, alpha, n_rows, d, scale))
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(os.path.join(tmp, 'bow.npz'), **mixed)
        model = export.load(tmp, init_path, 'bow', None, False, 6)
    # the shipped file's export options (model card, "Issue 9/10: the exact, lighter file"); the
    # table's levels schedule and norm-keeping scales pass through to the one exporter ("Issue 9: ≤ 5 MB")
    return export.export(model, out, 4, 8, exact=tuple(range(EXACT_COLUMNS)), keep=('wpe.weight',), levels=levels,
                         keep_norms=keep_norms)


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--trained', required=True, help='a train_gpu.py checkpoint folder with bow.npz')
    ap.add_argument('--init', required=True, help="the run's warm start (warm_shipped.py --unit)")
    ap.add_argument('--alpha', type=float, required=True)
    ap.add_argument('--parts', default=','.join(PARTS), help=f'interpolated parts, the rest shipped: {",".join(PARTS)}')
    ap.add_argument('--row-alpha', type=float, default=0, help='K: table alpha per row x min(1, uses / K)')
    ap.add_argument('--levels', default='7', help='4-bit levels schedule over the table rows (export.py --levels), '
                    'e.g. 7,4@12000,2@22000')
    ap.add_argument('--keep-norms', action='store_true', help='scales that keep each row\'s norm (export.py --keep-norms)')
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    parts = set(filter(None, a.parts.split(',')))
    if parts - set(PARTS):
        sys.exit(f'unknown parts: {",".join(sorted(parts - set(PARTS)))} (choose from {",".join(PARTS)})')
    if not 0.0 <= a.alpha <= 1.0:
        sys.exit(f'--alpha {a.alpha}: must be in [0, 1]')
    print(json.dumps({'out': a.out, **build(a.trained, a.init, a.alpha, parts, a.row_alpha, a.out, a.levels, a.keep_norms)}))
