"""sgpt-nano-2 training pairs, token statistics and warm start, written as compact numpy arrays.

Sources: the five documentation packages of docs.py, plus sgpt-nano's sources (WordNet, Jargon
File, Python docs sections without faq/). Pages (synsets, entries) whose md5 starts below 8 (~3 %)
are held out for selection. Pair kinds: heading path -> section, API signature -> description,
term (<dt>) -> definition (<dd>), link text -> the section it points to, page title -> first
paragraph, inverse cloze (a sentence -> its neighbourhood). Documents are deduplicated; each has a
group (its page section) so a BM25-mined hard negative is never a part of the positive's section.

    /usr/bin/python3 model/nano2/data.py [--d-max 126] [--questions 0] [--more] [--out model/nano2/build]   # pairs.npz, corpus.pkl
"""
import collections
import gzip
import hashlib
import json
import os
import random
import re
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'nano'))
sys.path.insert(0, os.path.dirname(HERE))
import docs  # noqa: E402

BUILD = os.path.join(HERE, 'build')
Q_MAX, D_MAX = 62, 126  # text tokens; brackets make 64 / 128 (--d-max 298: the engine's 300-token windows)
V = 50257
SOURCES = ['wordnet', 'jargon', 'pydocs', 'postgresql', 'sqlite', 'rust', 'nodejs', 'sphinx',
           'pysci', 'pylibs', 'erlang', 'cmake']
PKG_SOURCE = {'postgresql-doc-15': 'postgresql', 'sqlite3-doc': 'sqlite', 'rust-doc': 'rust',
              'nodejs-doc': 'nodejs', 'sphinx-doc': 'sphinx'}
# --more: the packages issue 9's "ten times the documentation" added; a source per family, so
# that the sampler's per-source weights (train_gpu.py) stay about a kind of text, not a package
SCIENTIFIC = {'scipy', 'sklearn', 'pandas', 'sympy', 'statsmodels', 'astropy', 'dask', 'xarray', 'h5py', 'mpmath'}
MORE = {p: ('pysci' if p.split('-')[1] in SCIENTIFIC else 'pylibs') for p in docs.SPHINX_LIBS}
MORE.update({'erlang-doc': 'erlang', 'cmake-doc': 'cmake'})
KINDS = ['heading', 'api', 'term', 'link', 'title', 'ict', 'lemma', 'example', 'first', 'question']
MAX_PER_TARGET = 4  # link pairs per target section (a few API pages are linked thousands of times)
# --questions: a heading or a term asked as a visitor asks a docs site (no question data is
# licensed for training here; these teach that the asking words carry little of what is asked)
QUESTIONS = {
    'heading': ['How do I use {}?', 'What is {}?', 'How does {} work?', 'What should I know about {}?',
                'Where is {} explained?', 'Can you explain {}?', 'how to {}', 'Is there a way to do {}?'],
    'gerund': ['How do I go about {}?', 'What is the right way of {}?', 'Help with {}', 'How is {} done?'],
    'term': ['What is {}?', 'What does {} mean?', 'What does {} do?', 'How do I use {}?', 'What is {} for?'],
}


def held_out(key):
    return hashlib.md5(key.encode()).digest()[0] < 8  # ~3%


def sentences(text):
    return [s for s in re.split(r'(?<=[.!?])\s+(?=[A-Z0-9"(])', text.strip()) if s]


def flat(text):
    return re.sub(r'\s+', ' ', text).strip()


class Builder:
    def __init__(self, d_max=D_MAX, questions=0.0):
        from reference_vectors import GPT2BPE
        self.d_max = d_max
        self.questions = questions
        self.qrng = random.Random(1)  # its own stream: the other pairs stay those of a bundle without questions
        self.enc = GPT2BPE()
        self.docs, self.doc_index, self.doc_group, self.doc_src = [], {}, [], []
        self.queries = []
        self.pairs = {False: [], True: []}  # held -> list of (q, d, src, kind)
        self.corpus_tokens = {s: 0 for s in SOURCES}
        self.corpus = []  # token lists for statistics (not held out)
        self.rng = random.Random(0)
        self.groups = {}

    def group(self, key):
        return self.groups.setdefault(key, len(self.groups))

    def doc(self, text, group, src):
        toks = tuple(self.enc.encode(text)[:self.d_max])
        if len(toks) < 4:
            return None
        i = self.doc_index.get(toks)
        if i is None:
            i = self.doc_index[toks] = len(self.docs)
            self.docs.append(toks)
            self.doc_group.append(group)
            self.doc_src.append(SOURCES.index(src))
        return i

    def add(self, q, dtext, group, src, kind, held):
        q = self.enc.encode(flat(q))[:Q_MAX]
        if not q:
            return
        d = self.doc(flat(dtext), group, src)
        if d is None:
            return
        self.queries.append(q)
        self.pairs[held].append((len(self.queries) - 1, d, SOURCES.index(src), KINDS.index(kind)))

    def question(self, name, dtext, group, src, kind, held):
        """With probability --questions, also ask for `name` (a heading or a term) as a question."""
        name = name.strip()
        if not self.questions or not 2 <= len(name) <= 80 or self.qrng.random() >= self.questions:
            return
        if kind == 'heading' and re.match(r'[A-Za-z]{3,}ing\b', name):
            kind = 'gerund'
        if self.qrng.random() < 0.5:
            name = name.lower()
        self.add(self.qrng.choice(QUESTIONS[kind]).format(name), dtext, group, src, 'question', held)

    def text(self, src, text, held):
        toks = self.enc.encode(text)
        self.corpus_tokens[src] += len(toks)
        if not held:
            self.corpus.append(toks)

    def ict(self, key, text, group, src, held, n=3):
        sents = sentences(flat(text))
        if len(sents) < 3:
            return
        for _ in range(min(n, len(sents) // 4)):
            i = self.rng.randrange(1, len(sents))
            rest = sents if self.rng.random() < 0.1 else sents[:i] + sents[i + 1:]
            lo = max(0, i - 3)
            if 20 <= len(sents[i]) <= 300:
                self.add(sents[i], ' '.join(rest[lo:lo + 8]), group, src, 'ict', held)

    def package(self, pkg):
        src = {**PKG_SOURCE, **MORE}[pkg]
        recs = list(docs.extract(pkg))
        by_page = {r['page']: r for r in recs}
        per_target = collections.Counter()
        seen_links = set()
        for r in recs:
            held = held_out(pkg + r['page'])
            first = True
            for i, s in enumerate(r['sections']):
                g = self.group((pkg, r['page'], i))
                if not s['text']:
                    continue
                self.text(src, s['path'] + '\n' + s['text'], held)
                if len(s['text']) >= 40:
                    kind = 'api' if s['api'] else 'heading'
                    q = s['heading'] if s['api'] else s['path'].replace(' > ', ', ')
                    if q:
                        self.add(q, s['text'], g, src, kind, held)
                        if kind == 'heading':
                            self.question(s['heading'], s['text'], g, src, 'heading', held)
                    if first and r['title']:
                        self.add(r['title'], s['text'].split('\n')[0], g, src, 'title', held)
                    first = False
                    self.ict(r['page'] + str(i), s['text'], g, src, held)
            for dt, dd, si, sig in r['terms']:
                if len(dd) >= 30 and 2 <= len(dt) <= 200:
                    self.add(dt, dd, self.group((pkg, r['page'], si)), src, 'api' if sig else 'term', held)
                    if not sig:
                        self.question(dt, dd, self.group((pkg, r['page'], si)), src, 'term', held)
            for text, target, si in r['links']:
                if not target or len(text) < 3:
                    continue
                page, frag = target
                t = by_page.get(page)
                if t is None:
                    continue
                ti = t['ids'].get(frag, None) if frag else None
                if ti is None:
                    ti = next((j for j, s in enumerate(t['sections']) if len(s['text']) >= 40), None)
                if ti is None or (page == r['page'] and ti == si):
                    continue
                sec = t['sections'][ti]
                while ti + 1 < len(t['sections']) and len(sec['text']) < 40 and not frag:
                    ti += 1
                    sec = t['sections'][ti]
                if len(sec['text']) < 40:
                    continue
                key = (text.lower(), page, ti)
                if key in seen_links or per_target[(page, ti)] >= MAX_PER_TARGET:
                    continue
                seen_links.add(key)
                per_target[(page, ti)] += 1
                held = held_out(pkg + page) or held_out(pkg + r['page'])
                self.add(text, sec['path'] + '. ' + sec['text'], self.group((pkg, page, ti)), src, 'link', held)
        return len(recs)

    def nano_sources(self):
        import data as nano_data  # model/nano/data.py
        nano_data.ROOTFS = os.path.join(docs.DEBS, 'wordnet-base', 'root')
        docs.fetch('wordnet-base')
        for key, lemmas, definition, examples in nano_data.wordnet():
            held = held_out(key)
            self.text('wordnet', ', '.join(lemmas) + ': ' + definition + ('. ' + '. '.join(examples) if examples else ''), held)
            g = self.group(('wn', key))
            gloss = definition + ('; ' + '; '.join(examples) if examples else '')
            self.add(', '.join(lemmas), gloss, g, 'wordnet', 'lemma', held)
            for ex in examples[:1]:
                self.add(ex, ', '.join(lemmas) + ': ' + definition, g, 'wordnet', 'example', held)
        nano_data.ROOTFS = os.path.join(docs.DEBS, 'dict-jargon', 'root')
        docs.fetch('dict-jargon')
        for head, body in nano_data.jargon():
            held = held_out('j' + head)
            self.text('jargon', head + ': ' + body, held)
            g = self.group(('j', head))
            self.add(head, body, g, 'jargon', 'heading', held)
            sents = sentences(body)
            if len(sents) > 2:
                self.add(sents[0], ' '.join(sents[1:]), g, 'jargon', 'first', held)
        for r in nano_data.pydocs():
            key, text = 'p' + r['_id'], r['text']
            held = held_out(key)
            self.text('pydocs', r['heading_path'] + '. ' + text, held)
            g = self.group(('py', key))
            self.add(r['heading_path'].replace(' > ', ', '), text, g, 'pydocs', 'heading', held)
            self.question(r['heading_path'].split(' > ')[-1], text, g, 'pydocs', 'heading', held)
            sents = sentences(text)
            if len(sents) >= 3:
                self.add(sents[0], ' '.join(sents[1:]), g, 'pydocs', 'first', held)
                self.ict(key, text, g, 'pydocs', held)


def concat(seqs):
    off = np.zeros(len(seqs) + 1, np.int64)
    off[1:] = np.cumsum([len(s) for s in seqs])
    tok = np.fromiter((t for s in seqs for t in s), np.uint16, count=int(off[-1]))
    return tok, off


def build(out=BUILD, d_max=D_MAX, questions=0.0, more=False):
    t0 = time.time()
    os.makedirs(out, exist_ok=True)
    b = Builder(d_max, questions)
    b.nano_sources()
    pages = {}
    packages = list(PKG_SOURCE) + (list(MORE) if more else [])
    for pkg in packages:
        pages[pkg] = b.package(pkg)
        print(pkg, pages[pkg], 'pages', round(time.time() - t0), 's', flush=True)
    dtok, doff = concat(b.docs)
    qtok, qoff = concat(b.queries)
    arr = {k: np.array(v, np.int32).reshape(-1, 4) for k, v in (('train', b.pairs[False]), ('held', b.pairs[True]))}
    np.savez_compressed(os.path.join(out, 'pairs.npz'), doc_tok=dtok, doc_off=doff,
                        doc_group=np.array(b.doc_group, np.int32), doc_src=np.array(b.doc_src, np.int8),
                        q_tok=qtok, q_off=qoff, train=arr['train'], held=arr['held'])
    versions = {p: docs.fetch(p)[1] for p in packages + ['wordnet-base', 'dict-jargon']}
    stats = {'corpus_tokens': b.corpus_tokens, 'pages': pages, 'versions': versions,
             'docs': len(b.docs), 'doc_tokens': int(doff[-1]), 'queries': len(b.queries), 'query_tokens': int(qoff[-1]),
             'pairs': {h: {f'{SOURCES[s]}/{KINDS[k]}': c for (s, k), c in sorted(collections.Counter(
                 (int(p[2]), int(p[3])) for p in arr[h]).items())} for h in arr},
             'n_train': len(arr['train']), 'n_held': len(arr['held']), 'd_max': d_max, 'questions': questions, 'more': more, 'seconds': round(time.time() - t0)}
    with open(os.path.join(out, 'data-stats.json'), 'w') as f:
        json.dump(stats, f, indent=1)
    with open(os.path.join(out, 'corpus.pkl'), 'wb') as f:
        import pickle
        pickle.dump(b.corpus, f, protocol=4)
    print(json.dumps(stats, indent=1))


if __name__ == '__main__':
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument('--d-max', type=int, default=D_MAX, help='document text tokens kept (brackets add 2)')
    ap.add_argument('--out', default=BUILD, help='folder for pairs.npz, data-stats.json, corpus.pkl')
    ap.add_argument('--questions', type=float, default=0.0,
                    help='share of heading and term pairs also asked as a templated question')
    ap.add_argument('--more', action='store_true', help="also the packages of docs.py's second list (issue 9's ten times the text)")
    a = ap.parse_args()
    build(a.out, a.d_max, a.questions, a.more)
