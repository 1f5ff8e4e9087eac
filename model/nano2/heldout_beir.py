"""The held-out documentation pairs of nano2's data (3 % of pages, by hash) as a BEIR folder, for
selecting fusion on docs queries the shipped sgpt-nano never trained on.

    /usr/bin/python3 model/nano2/heldout_beir.py [--bundle .gpu-bundle/pairs.npz] [--out model/nano2/build/heldout-beir] [--distractors 20000]

Queries: the held-out pairs from the five Debian documentation sets (postgresql, sqlite, rust,
nodejs, sphinx: heading path, API signature, term, link text, title, inverse-cloze sentence ->
its section). WordNet, Jargon and Python-docs pairs are left out: sgpt-nano trained on those
sources. Corpus: every held-out pair's document plus a fixed random sample of other documents of
the same five sources, so a query competes with real neighbours. One judgement per query (gain 1).
"""
import argparse
import json
import os
import random
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from reference_vectors import GPT2BPE  # noqa: E402
from data import SOURCES  # noqa: E402

DOCS_SOURCES = {'postgresql', 'sqlite', 'rust', 'nodejs', 'sphinx'}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bundle', default=os.path.join(os.path.dirname(os.path.dirname(HERE)), '.gpu-bundle', 'pairs.npz'))
    ap.add_argument('--out', default=os.path.join(HERE, 'build', 'heldout-beir'))
    ap.add_argument('--distractors', type=int, default=20000)
    args = ap.parse_args()
    z = dict(np.load(args.bundle))  # arrays read once (an NpzFile decompresses on every access)
    enc = GPT2BPE()
    decoder = {v: k for k, v in enc.encoder.items()}
    byte_decoder = {c: b for b, c in enc.byte_encoder.items()}

    def text(tokens, offsets, i):
        ids = tokens[offsets[i]:offsets[i + 1]].tolist()
        return bytes(byte_decoder[c] for c in ''.join(decoder[t] for t in ids)).decode('utf-8', 'replace').strip()

    docs_src = {SOURCES.index(s) for s in DOCS_SOURCES}
    held = [tuple(int(v) for v in row) for row in z['held'] if int(row[2]) in docs_src]
    wanted = {d for _, d, _, _ in held}
    in_docs = np.isin(z['doc_src'], list(docs_src))
    others = [int(d) for d in np.flatnonzero(in_docs) if int(d) not in wanted]
    random.Random(0).shuffle(others)
    corpus = sorted(wanted | set(others[:args.distractors]))
    os.makedirs(os.path.join(args.out, 'qrels'), exist_ok=True)
    with open(os.path.join(args.out, 'corpus.jsonl'), 'w') as f:
        for d in corpus:
            f.write(json.dumps({'_id': f'd{d}', 'title': '', 'text': text(z['doc_tok'], z['doc_off'], d)}) + '\n')
    with open(os.path.join(args.out, 'queries.jsonl'), 'w') as fq, open(os.path.join(args.out, 'qrels', 'test.tsv'), 'w') as fr:
        fr.write('query-id\tcorpus-id\tscore\n')
        for i, (q, d, _, _) in enumerate(held):
            fq.write(json.dumps({'_id': f'q{i}', 'text': text(z['q_tok'], z['q_off'], q)}) + '\n')
            fr.write(f'q{i}\td{d}\t1\n')
    print(f'{args.out}: {len(held)} queries, {len(corpus)} documents')


if __name__ == '__main__':
    main()
