"""Write the held-out asymmetric pairs as a BEIR folder (build/heldout-beir) so that
`sgpt-search eval` can pick the fusion weight on our own data instead of the test sets."""
import json
import os

from data import bpe, load
from evaluate import held_sample
from fetch import BUILD

OUT = os.path.join(BUILD, 'heldout-beir')


def write(limit=3000):
    enc = bpe()
    decoder = {v: k for k, v in enc.encoder.items()}
    byte_decoder = {c: b for b, c in enc.byte_encoder.items()}

    def text(ids):
        return bytes(byte_decoder[c] for c in ''.join(decoder[i] for i in ids)).decode('utf-8', 'replace')

    held = held_sample(load()['held'], limit)
    os.makedirs(os.path.join(OUT, 'qrels'), exist_ok=True)
    docs, seen = [], {}
    with open(os.path.join(OUT, 'queries.jsonl'), 'w') as fq, open(os.path.join(OUT, 'qrels', 'test.tsv'), 'w') as fr:
        fr.write('query-id\tcorpus-id\tscore\n')
        for i, (q, d, _, source) in enumerate(held):
            key = tuple(d)
            if key not in seen:
                seen[key] = f'd{len(seen)}'
                docs.append({'_id': seen[key], 'title': '', 'text': text(d)})
            fq.write(json.dumps({'_id': f'q{i}', 'text': text(q), 'metadata': {'source': source}}) + '\n')
            fr.write(f'q{i}\t{seen[key]}\t1\n')
    with open(os.path.join(OUT, 'corpus.jsonl'), 'w') as f:
        for d in docs:
            f.write(json.dumps(d) + '\n')
    return OUT


if __name__ == '__main__':
    print(write())
