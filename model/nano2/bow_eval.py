"""A quick proxy for choosing how to shrink sgpt-nano, NOT the product's eval: dense nDCG@10 of
exported model folders whose transformer branches are zero (sgpt-nano and its re-quantised /
pruned variants), computed with nano.bow_forward (no matmuls: minutes where `sgpt-search eval`
takes an hour on busy cores). Documents are truncated at 300 tokens (the product chunks them), so
absolute figures differ from `sgpt-search eval`; compare rows of one run. Also prints each
model's mean document cosine against the first model.

    /usr/bin/python3 model/nano2/bow_eval.py --sets scifact-train,heldout-pairs \\
        public/models/sgpt-nano /tmp/variant-a /tmp/variant-b [public/models/sgpt-nano:nounit]

`<dir>:nounit` zeroes sgpt-nano's position unit (SGPT's position weights then act as the paper has them).
"""
import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
# model/nano first: its data.py / export.py share names with this folder's
sys.path[:0] = [os.path.join(os.path.dirname(HERE), 'nano'), HERE]
import importlib.util  # noqa: E402
import evaluate  # noqa: E402  (model/nano: BEIR loading and metrics)
import nano  # noqa: E402
from selection import SELECTION_SETS  # noqa: E402
_spec = importlib.util.spec_from_file_location('nano2_export', os.path.join(HERE, 'export.py'))
nano2_export = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nano2_export)

CACHE = os.path.join(HERE, 'build', 'bow-eval')


def encode(model, seqs, br):
    out = np.zeros((len(seqs), model.hp.n_embd), np.float32)
    order = np.argsort([len(s) for s in seqs])
    with torch.no_grad():
        for i in range(0, len(order), 256):
            idx = order[i:i + 256]
            ids, mask = nano.pad([evaluate.wrap(seqs[j], br) for j in idx])
            out[idx] = nano.pool(nano.bow_forward(model, ids, mask), mask).numpy()
    return out


def model_of(spec, pairs):
    folder, _, variant = spec.partition(':')
    model = nano2_export.load_folder(folder, pairs)
    if variant == 'nounit':
        with torch.no_grad():
            model.h[-1].mlp.c_proj.weight.zero_()
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('models', nargs='+')
    ap.add_argument('--sets', default=','.join(SELECTION_SETS))
    ap.add_argument('--pairs', default=os.path.join(os.path.dirname(os.path.dirname(HERE)), '.gpu-bundle', 'pairs.npz'))
    a = ap.parse_args()
    torch.set_num_threads(1)
    models = {m: model_of(m, a.pairs) for m in a.models}
    scores = {m: {} for m in a.models}
    for name in a.sets.split(','):
        base, split = SELECTION_SETS[name]
        beir = evaluate.load_beir(name, base, split, CACHE)
        first = None
        for spec, model in models.items():
            d = encode(model, beir['doc_tokens'], evaluate.D_BR)
            q = encode(model, beir['query_tokens'], evaluate.Q_BR)
            cos = '' if first is None else f"  mean document cosine vs {a.models[0]}: {float((d * first).sum(1).mean()):.4f}"
            first = d if first is None else first
            scores[spec][name] = evaluate.metrics(q @ d.T, beir)[0]
            print(f'{name:14s} {spec:40s} dense nDCG@10 {scores[spec][name]:.4f}{cos}', flush=True)
    print_summary(scores)


def print_summary(scores):
    """One row per model: each set, the FAQ dev sets' mean (the selection rule's docs figure)."""
    sets = list(next(iter(scores.values())))
    faq = [s for s in sets if s.endswith('-faq')]
    print('| model | ' + ' | '.join(sets) + (' | FAQ mean |' if faq else ' |'))
    print('|---' * (len(sets) + 1 + bool(faq)) + '|')
    for spec, row in scores.items():
        mean = f' | {np.mean([row[s] for s in faq]):.4f}' if faq else ''
        print(f'| {spec} | ' + ' | '.join(f'{row[s]:.4f}' for s in sets) + mean + ' |', flush=True)


if __name__ == '__main__':
    main()
