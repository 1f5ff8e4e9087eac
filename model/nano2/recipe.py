"""sgpt-nano-2 in one command, resumable (each stage keeps its output and skips it when there):

    /usr/bin/python3 model/nano2/recipe.py [--budget 390] [--rows 16384] [--device cuda|cpu]

1. docs.py + data.py: fetch the Debian packages (apt-get download, dpkg-deb -x under /work/debs),
   sections / links / API entries -> pairs (build/pairs.npz), statistics text (build/corpus.pkl)
2. make_bundle.py: PPMI+SVD statistics (build/stats.npz), warm start, the bundle (.gpu-bundle/:
   init.npz, pairs.npz, train_gpu.py; ~24 MB) -- the same bundle the GPU run used
3. train_gpu.py: trains full (gated layers) and bow (ablation) in lock-step, checkpoints to
   build/train/ (and build/train/ckpt.pt to resume); CUDA when present
4. export.py: ONNX int8 folder public/models/sgpt-nano-2 (+ verify.mjs against torch fp32)
Then report with `sgpt-search eval` (see the model card for the commands).
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(HERE, 'build')
BUNDLE = os.path.join(ROOT, '.gpu-bundle')
PY = sys.executable


def run(*args, cwd=ROOT):
    print('+', ' '.join(args), flush=True)
    subprocess.run(list(args), cwd=cwd, check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--budget', type=float, default=390)
    ap.add_argument('--rows', type=int, default=16384)
    ap.add_argument('--device', default=None)
    ap.add_argument('--weights', default=None, help='skip training: weights folder returned by a GPU run')
    ap.add_argument('--out', default=os.path.join(ROOT, 'public', 'models', 'sgpt-nano-2'))
    a = ap.parse_args()
    if not os.path.exists(os.path.join(BUILD, 'pairs.npz')):
        run(PY, os.path.join(HERE, 'data.py'))
    if not os.path.exists(os.path.join(BUNDLE, 'init.npz')):
        run(PY, os.path.join(HERE, 'make_bundle.py'), '--out', BUNDLE)
    weights = a.weights
    if not weights:
        weights = os.path.join(BUILD, 'train')
        if not os.path.exists(os.path.join(weights, 'log.json')) or 'final' not in open(os.path.join(weights, 'log.json')).read():
            extra = ['--device', a.device] if a.device else []
            run(PY, os.path.join(HERE, 'train_gpu.py'), '--budget', str(a.budget), '--out', weights,
                '--resume', os.path.join(weights, 'ckpt.pt'), *extra, cwd=BUNDLE)
    run(PY, os.path.join(HERE, 'export.py'), '--weights', weights, '--init', os.path.join(BUNDLE, 'init.npz'),
        '--rows', str(a.rows), '--out', a.out)
    run('node', os.path.join(ROOT, 'model', 'nano', 'verify.mjs'), a.out, os.path.join(BUILD, 'export-check.json'))


if __name__ == '__main__':
    main()
