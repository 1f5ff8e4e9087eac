"""Build test/fixtures/models/tiny-gpt2-lm: tiny-gpt2's own weights exported as a causal LM (the tied
head, logits = last hidden state x wte^T), the reranker's offline default (SGPT-CE, ../shared/design/SGPT.md §2).

    /usr/bin/python3 model/build_tiny_lm.py

Same seed and shape as tiny-gpt2 (model/build_tiny.py), so this *is* the embedding model's LM
head; deterministic bytes. Random weights: it makes reranking run end to end, not rank well.
"""
from __future__ import annotations

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build_tiny import ROOT, TINY, TINY_SEED, build, link_shared_tokenizer  # noqa: E402

OUT_DIR = os.path.join(ROOT, "test", "fixtures", "models", "tiny-gpt2-lm")

MODEL_CARD = """\
# tiny-gpt2-lm (random weights)

tiny-gpt2's weights (2 layers, 4 heads, 64 dims, 512 positions, GPT-2 BPE vocabulary of 50257,
seed 1234) exported as a causal language model: `onnx/model.onnx` takes `input_ids`,
`attention_mask` (int64 [batch, sequence]) and an optional int64 scalar `num_logits_to_keep` N,
and returns `logits` [batch, N, 50257] for the last N positions (0 = all) from the tied head
(the embedding is stored once). The reranker asks only for the positions that predict the query,
which skips most of the vocabulary projection. It is the default model of the SGPT-CE reranker
(`src/rerank/`) so that reranking runs offline. **Its weights are random: the reranked order is
meaningless.** Use a trained causal LM (e.g. an ONNX export of GPT-2 / GPT-Neo with a `logits`
output) for real reranking.

Built by `model/build_tiny_lm.py`; rebuilding gives identical bytes.
"""


def main() -> None:
    torch.set_num_threads(1)
    build(OUT_DIR, TINY, TINY_SEED, "gpt2", {"kind": "lm", "with_logits_to_keep": True}, None)
    link_shared_tokenizer(OUT_DIR)  # the tokenizer files model/build_tiny.py writes
    with open(os.path.join(OUT_DIR, "README.md"), "w", encoding="utf-8") as f:
        f.write(MODEL_CARD)
    print(f"wrote {OUT_DIR}")


if __name__ == "__main__":
    main()
