"""Export a checkpoint to public/models/sgpt-nano: ONNX (int8 weights), config.json, tokenizer files,
plus build/export-check.json (torch fp32 embeddings of a few texts) for verify.mjs."""
import json
import os
import sys

import numpy as np
import torch

import evaluate
import nano
from data import bpe
from fetch import BUILD

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'model'))
from gpt2 import export_onnx, sgpt_settings, write_config  # noqa: E402
from quantize import quantize_model  # noqa: E402
from tokenizer_files import write_tokenizer_files  # noqa: E402

OUT = os.path.join(ROOT, 'public', 'models', 'sgpt-nano')
CHECK_TEXTS = ['what similarity laws must be obeyed when constructing aeroelastic models',
               'A list comprehension builds a new list from an iterable.',
               'def square(x):\n    return x ** 2  # {braces} [brackets]']


def load(name):
    """A checkpoint of build/ ('init': the untrained warm start) with its rare rows restored."""
    model = nano.build_model()
    if name != 'init':
        model.load_state_dict(torch.load(os.path.join(BUILD, name + '.pt'))['model'])
        nano.restore_rare_rows(model)
    model.eval()
    return model


def export(name, out=OUT):
    model = load(name)
    model.wte.id_map = model.wte.id_map.to(torch.int32)  # half the size of the id -> row map
    fp32 = os.path.join(BUILD, 'export-fp32.onnx')
    export_onnx(model, fp32, kind='features')
    os.makedirs(os.path.join(out, 'onnx'), exist_ok=True)
    # wpe stays fp32: its position column is a hand-set ramp that per-row int8 would flatten
    quantize_model(fp32, os.path.join(out, 'onnx', 'model.onnx'), keep=('wpe.weight',),
                   exact_columns={'wte.weight': [nano.POS_DIM]})
    write_config(out, model.hp, sgpt_settings('asymmetric'))
    write_tokenizer_files(out, 300)
    enc = bpe()
    seqs = [evaluate.wrap(enc.encode(t), br) for t in CHECK_TEXTS for br in (evaluate.Q_BR, evaluate.D_BR)]
    ids, mask = nano.pad(seqs)
    with torch.no_grad():
        hidden = model(ids, mask)
        pooled = nano.pool(hidden, mask).numpy()
    with open(os.path.join(BUILD, 'export-check.json'), 'w') as f:
        json.dump({'model': out, 'ids': seqs, 'pooled': pooled.tolist(),
                   'hidden0': hidden[0, :3, :8].numpy().tolist()}, f)
    return os.path.getsize(os.path.join(out, 'onnx', 'model.onnx'))


if __name__ == '__main__':
    print(export(sys.argv[1] if len(sys.argv) > 1 else 'final', sys.argv[2] if len(sys.argv) > 2 else OUT))
