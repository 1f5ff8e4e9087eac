"""The warm start that works: the shipped sgpt-nano's token table as a train_gpu.py init file.

Reads public/models/sgpt-nano/onnx/model.onnx (int8 weights evaluated in fp32), reorders its token
rows by how often the training bundle uses them (row 0, the shared stop row, stays first) so that
export.py --rows R prunes by slicing, and writes build/shipped-init.npz with the keys train_gpu.py
and export.py read (table, id_map, ln_f, row_count). The hand-set position unit (wpe ramp + one
MLP unit) comes along only with --unit (train_gpu.py then keeps it outside the gates).

    /usr/bin/python3 model/nano2/warm_shipped.py [--model public/models/sgpt-nano] [--pairs .gpu-bundle/pairs.npz]
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, 'model'))
from gpt2 import onnx_weights  # noqa: E402


def shipped_init(model_dir, pairs_path):
    w = onnx_weights(os.path.join(model_dir, 'onnx', 'model.onnx'))
    table, id_map = w['wte.weight'].astype(np.float32), w['wte.id_map'].astype(np.int64)
    p = np.load(pairs_path)
    ids = np.bincount(np.concatenate([p['q_tok'], p['doc_tok']]).astype(np.int64), minlength=len(id_map))
    count = np.bincount(id_map, weights=ids, minlength=len(table)).astype(np.int64)
    # most used first; row 0 (ids never seen by sgpt-nano) stays row 0
    order = np.concatenate([[0], 1 + np.argsort(-count[1:], kind='stable')])
    new_of_old = np.empty_like(order)
    new_of_old[order] = np.arange(len(order))
    init = {'table': table[order], 'id_map': new_of_old[id_map].astype(np.int32),
            'ln_f': w['ln_f.weight'].astype(np.float32), 'row_count': count[order][1:]}
    last = f"h.{max(int(k.split('.')[1]) for k in w if k.startswith('h.'))}.mlp."
    unit = {'wpe': w['wpe.weight'], 'unit_fc': w[last + 'c_fc.weight'][:, 0], 'unit_fc_bias': w[last + 'c_fc.bias'][0],
            'unit_proj': w[last + 'c_proj.weight'][0]}
    return init, unit


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', default=os.path.join(ROOT, 'public', 'models', 'sgpt-nano'))
    ap.add_argument('--pairs', default=os.path.join(ROOT, '.gpu-bundle', 'pairs.npz'))
    ap.add_argument('--unit', action='store_true', help="keep sgpt-nano's position unit (wpe ramp + last MLP unit 0)")
    ap.add_argument('--out', default=os.path.join(HERE, 'build', 'shipped-init.npz'))
    a = ap.parse_args()
    init, unit = shipped_init(a.model, a.pairs)
    if a.unit:
        init.update(unit)
    np.savez(a.out, **init)
    print(a.out, {k: v.shape for k, v in init.items()}, 'rows used by the bundle:', int((init['row_count'] > 0).sum()))
