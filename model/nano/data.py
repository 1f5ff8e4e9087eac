"""Training text and (query, document) pairs from Debian packages, tokenised with GPT-2 BPE.

Sources (see fetch.PACKAGES for licences): WordNet 3.0 glosses, the Jargon File, and the Python 3.11
documentation sections in /work/shared/data/python-docs (Debian python3.11-doc, PSF licence; faq/ is
already left out there and is never read here). Cranfield and SciFact are never read: they are the
evaluation. About 3% of synsets / sections / entries are held out for model selection.
"""
import gzip
import hashlib
import os
import pickle
import random
import re

from fetch import BUILD, ROOTFS, fetch

PYDOCS = '/work/shared/data/python-docs/sections.jsonl.gz'
OUT = os.path.join(BUILD, 'data.pkl')
Q_MAX, D_MAX = 62, 126  # text tokens; brackets make 64 / 128


def held_out(key):
    return hashlib.md5(key.encode()).digest()[0] < 8  # ~3%


def sentences(text):
    return [s for s in re.split(r'(?<=[.!?])\s+(?=[A-Z0-9"(])', text.strip()) if s]


def wordnet():
    """Yield (key, lemmas, definition, examples) per synset."""
    for pos in ('noun', 'verb', 'adj', 'adv'):
        with open(os.path.join(ROOTFS, 'usr/share/wordnet/data.' + pos), encoding='latin-1') as f:
            for line in f:
                if line.startswith('  '):
                    continue
                head, _, gloss = line.partition(' | ')
                parts = head.split()
                n = int(parts[3], 16)
                lemmas = [re.sub(r'\(.*\)$', '', parts[4 + 2 * i]).replace('_', ' ') for i in range(n)]
                chunks = [c.strip() for c in gloss.strip().split(';') if c.strip()]
                examples = [c.strip('"') for c in chunks if c.startswith('"')]
                definition = '; '.join(c for c in chunks if not c.startswith('"'))
                yield pos + parts[0], lemmas, definition, examples


def jargon():
    """Yield (headword, body) per Jargon File entry (dictd index offsets are base-64 numbers)."""
    alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

    def num(s):
        n = 0
        for c in s:
            n = n * 64 + alpha.index(c)
        return n

    data = gzip.open(os.path.join(ROOTFS, 'usr/share/dictd/jargon.dict.dz')).read()
    for line in open(os.path.join(ROOTFS, 'usr/share/dictd/jargon.index'), encoding='utf-8'):
        head, off, size = line.rstrip('\n').split('\t')
        if head.startswith('00-database'):
            continue
        entry = data[num(off):num(off) + num(size)].decode('utf-8')
        lines = entry.split('\n')
        body = ' '.join(l.strip() for l in lines[1:] if l.strip())
        body = re.sub(r'[{}]', '', re.sub(r'^(n\.|v\.|adj\.|adv\.|interj\.|vt\.|vi\.|suff\.|pref\.|//)\s*', '', body))
        body = re.sub(r'\s+', ' ', body)
        if len(body) > 40:
            yield lines[0].strip(), body


def pydocs():
    import json
    with gzip.open(PYDOCS, 'rt') as f:
        for line in f:
            r = json.loads(line)
            assert not r['page'].startswith('faq'), 'faq pages are evaluation data'
            yield r


def bpe():
    """The model helper's Python GPT-2 BPE (model/reference_vectors.py), same ids as tokenizer.json."""
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from reference_vectors import GPT2BPE
    return GPT2BPE()


def build():
    versions = fetch()
    enc = bpe()
    rng = random.Random(0)
    corpus, pairs, held = [], [], []  # corpus: token lists; pairs: (q, d, kind, source)

    def add(key, q, d, kind, source):
        q, d = enc.encode(q)[:Q_MAX], enc.encode(d)[:D_MAX]
        if q and d:
            (held if held_out(key) else pairs).append((q, d, kind, source))

    for key, lemmas, definition, examples in wordnet():
        text = ', '.join(lemmas) + ': ' + definition + ('. ' + '. '.join(examples) if examples else '')
        if not held_out(key):
            corpus.append(enc.encode(text))
        gloss = definition + ('; ' + '; '.join(examples) if examples else '')
        add(key, ', '.join(lemmas), gloss, 'asym', 'wordnet-lemma')
        for ex in examples[:1]:
            add(key, ex, ', '.join(lemmas) + ': ' + definition, 'asym', 'wordnet-example')
        if len(lemmas) > 1:
            a, b = rng.sample(lemmas, 2)
            add(key, a, b, 'sym', 'wordnet-synonym')
    for head, body in jargon():
        if not held_out('j' + head):
            corpus.append(enc.encode(head + ': ' + body))
        add('j' + head, head, body, 'asym', 'jargon-term')
        sents = sentences(body)
        if len(sents) > 2:
            add('j' + head, sents[0], ' '.join(sents[1:]), 'asym', 'jargon-first')
    for r in pydocs():
        key, text = 'p' + r['_id'], r['text']
        if not held_out(key):
            corpus.append(enc.encode(r['heading_path'] + '. ' + text))
        add(key, r['heading_path'].replace(' > ', ', '), text, 'asym', 'pydocs-heading')
        sents = sentences(text)
        if len(sents) >= 3:
            add(key, sents[0], ' '.join(sents[1:]), 'asym', 'pydocs-first')
            # inverse cloze: a middle sentence against its section, kept in the document 1 time in 10
            for _ in range(min(3, len(sents) // 4)):
                i = rng.randrange(1, len(sents))
                rest = sents if rng.random() < 0.1 else sents[:i] + sents[i + 1:]
                lo = max(0, i - 3)
                add(key, sents[i], ' '.join(rest[lo:lo + 8]), 'asym', 'pydocs-ict')
            if len(sents) >= 6:
                h = len(sents) // 2
                add(key, ' '.join(sents[:h]), ' '.join(sents[h:]), 'sym', 'pydocs-halves')
    rng.shuffle(pairs)
    os.makedirs(BUILD, exist_ok=True)
    with open(OUT, 'wb') as f:
        pickle.dump({'corpus': corpus, 'pairs': pairs, 'held': held, 'versions': versions}, f)
    return OUT


def load():
    if not os.path.exists(OUT):
        build()
    with open(OUT, 'rb') as f:
        return pickle.load(f)


if __name__ == '__main__':
    import collections
    build()
    d = load()
    print('corpus docs', len(d['corpus']), 'tokens', sum(map(len, d['corpus'])))
    print('pairs', len(d['pairs']), 'held', len(d['held']))
    print(collections.Counter(p[3] for p in d['pairs']))
    print(collections.Counter(p[3] for p in d['held']))
