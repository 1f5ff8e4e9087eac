"""The whole sgpt-nano recipe in one command, resumable (every stage keeps its output in
model/nano/build/ and skips or resumes what is there):

    /usr/bin/python3 model/nano/recipe.py [--bow-minutes 25] [--full-minutes 35]

1. fetch Debian packages, build pairs (data.py)   2. PPMI + SVD token statistics (ppmi.py)
3. phase "bow": contrastive training of the token table (train.py), then the rows of tokens seen
   fewer than nano.TRAIN_MIN_COUNT times get their warm-start values back
4. keep it if its held-out MRR@10 (own held-out pairs) beats the untrained warm start
5. export to public/models/sgpt-nano (int8, ONNX) and check it in Node (verify.mjs)
6. report: dense nDCG@10 / Recall@100 on the BEIR sets with the Python eval (evaluate.py);
   the model card's table comes from `sgpt-search eval` (see the card for the commands)
Uses CUDA when available (minutes are a wall-clock training budget). The "full" phase of train.py
(every parameter) was tried and is not part of the recipe; see the model card.
"""
import argparse
import json
import os
import subprocess
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import data  # noqa: E402
import evaluate  # noqa: E402
import export  # noqa: E402
import nano  # noqa: E402
import ppmi  # noqa: E402
import train  # noqa: E402
from fetch import BUILD  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bow-minutes', type=float, default=25)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    data.load()
    ppmi.load_stats()
    held = data.load()['held']
    train.train('bow', a.bow_minutes, 'bow', batch=256, lr=1e-4, eval_every=150)
    candidates = {name: evaluate.held_eval(nano.encoder(export.load(name)), held, limit=2000)['all']
                  for name in ('init', 'bow')}
    best = max(candidates, key=candidates.get)
    print('held-out MRR@10', candidates, '->', best)
    size = export.export(best)
    subprocess.run(['node', os.path.join(HERE, 'verify.mjs')], check=True)
    model = export.load(best)
    report = {'selected': best, 'held_mrr10': candidates, 'onnx_bytes': size,
              'beir_dense_python': evaluate.beir_eval(nano.encoder(model))}
    with open(os.path.join(BUILD, 'report.json'), 'w') as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report, indent=2))


if __name__ == '__main__':
    main()
