"""Score model candidates with the product's own eval (`sgpt-search eval`, onnxruntime-node, the
exported ONNX file) on SELECTION sets only, and print one table (dense and `default` nDCG@10).

Candidates: model folders (--models name=dir), and train_gpu.py checkpoints (--checkpoints
<run>/step-N), each exported three ways -- full (the layered model), zeroed (the same weights with
every residual branch zeroed: the ablation) and bow (the lock-step bag-of-words run) -- with the
given table / layer bits. Test sets (Cranfield, SciFact test, the Python and Django FAQ sets) are
never listed here: they are measured once, at the end, by hand.

    /usr/bin/python3 model/nano2/selection.py --models shipped=public/models/sgpt-nano \\
        --checkpoints model/nano2/build/cpu-run/step-1200 [--sets scifact-train,sqlite-faq] [--table-bits 4]
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(HERE, 'build')
# name: (BEIR folder, qrels split); the docs-question dev sets come from scripts/faq-beir.ts and
# heldout-pairs from heldout_beir.py
SELECTION_SETS = {
    'scifact-train': ('/work/shared/data/scifact/beir', 'train'),
    'heldout-pairs': ('/work/faqsets/heldout-pairs', 'test'),
    **{f'{site}-faq': (f'/work/faqsets2/{site}-faq', 'test')
       for site in ('sqlite', 'sphinx', 'aiohttp', 'celery', 'scrapy', 'sqlalchemy', 'lxml')},
}


def evaluate(model_dir, data, split, methods, threads):
    out = subprocess.run(['node', os.path.join(ROOT, 'bin', 'sgpt-search.js'), 'eval', '--data', data, '--split', split,
                          '--model', model_dir, '--methods', methods, '--threads', str(threads), '--json'],
                         check=True, capture_output=True, text=True).stdout
    return {r['method']: r['ndcg10'] for r in json.loads(out)['results']}


def export_checkpoint(step_dir, bits, heads, init):
    import numpy as np
    import export  # noqa: E402 (torch and onnx only when a checkpoint is exported)
    # with sgpt-nano's position unit: its table column 2 and wpe ramp stay exact (model card)
    unit = 'unit_fc' in np.load(init)
    exact, keep = ((0, 1, 2), ('wpe.weight',)) if unit else ((0, 1), ())
    name = os.path.basename(step_dir.rstrip('/'))
    made = {}
    for variant, which, zero in (('full', 'full', False), ('zeroed', 'full', True), ('bow', 'bow', False)):
        out = os.path.join(BUILD, 'select', f'{name}-{variant}-t{bits[0]}')
        if not os.path.exists(os.path.join(out, 'onnx', 'model.onnx')):
            model = export.load(step_dir, init, which, bits[2] or None, zero, heads)
            export.export(model, out, bits[0], bits[1], exact=exact, keep=keep)
        made[f'{name}-{variant}'] = out
    return made


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--models', default='', help='name=dir,name=dir')
    ap.add_argument('--checkpoints', nargs='*', default=[])
    ap.add_argument('--init', default=os.path.join(BUILD, 'shipped-init-unit.npz'))
    ap.add_argument('--heads', type=int, default=6)
    ap.add_argument('--table-bits', type=int, default=8, choices=[4, 8])
    ap.add_argument('--layer-bits', type=int, default=8, choices=[4, 8])
    ap.add_argument('--rows', type=int, default=0, help='prune the table to the R most used rows')
    ap.add_argument('--sets', default=','.join(SELECTION_SETS))
    ap.add_argument('--methods', default='bm25,dense,default')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--out', default=os.path.join(BUILD, 'selection.json'))
    a = ap.parse_args()
    models = dict(item.split('=', 1) for item in filter(None, a.models.split(',')))
    for step_dir in a.checkpoints:
        models.update(export_checkpoint(step_dir, (a.table_bits, a.layer_bits, a.rows), a.heads, a.init))
    results = json.load(open(a.out)) if os.path.exists(a.out) else {}
    for name, model_dir in models.items():
        for s in a.sets.split(','):
            if s not in SELECTION_SETS:
                sys.exit(f'{s}: not a selection set (choose from {", ".join(SELECTION_SETS)})')
            key = f'{name}|{s}'
            if key not in results:  # resumable: a finished (model, set) is not measured again
                results[key] = {'model': model_dir, **evaluate(os.path.abspath(model_dir), *SELECTION_SETS[s], a.methods, a.threads)}
                with open(a.out, 'w') as f:
                    json.dump(results, f, indent=1)
            r = results[key]
            print(f"{name:28s} {s:14s} bm25 {r.get('bm25', float('nan')):.4f}  dense {r.get('dense', float('nan')):.4f}"
                  f"  default {r.get('default', float('nan')):.4f}", flush=True)


if __name__ == '__main__':
    main()
