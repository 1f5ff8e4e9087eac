"""SGPT-CE reference scores for the TypeScript reranker's parity test.

    /usr/bin/python3 model/reference_rerank.py      -> test/parity/rerank-reference.json

Follows the reference code (Muennighoff/sgpt crossencoder/beir/sgptce.py) step by step, in torch,
with the weights read from the fixture's ONNX initializers:
  context = encode(prompt.format(doc)); continuation = encode(query)      (two separate encodes)
  instruction_len = len(encode(prompt up to "{"))
  inp = (context[:I] + (context[I:] + continuation)[-(max_length + 1 - I):])[:-1]
  score = sum(log_softmax(logits(inp), -1)[len(inp) - len(cont) + j, cont[j]])   (fp32)
Tokenisation is the Python GPT-2 BPE of model/reference_vectors.py (independent of the
tokenizer.json that transformers.js reads), so the test checks prompt assembly end to end.
"""
from __future__ import annotations

import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from gpt2 import GPT2, HParams, load_onnx_weights  # noqa: E402
from reference_vectors import GPT2BPE  # noqa: E402

MODEL_DIR = "test/fixtures/models/gpt2-lm"
# tiny-gpt2-lm has a num_logits_to_keep input: its cases check the reranker's kept-positions path.
KEEP_MODEL_DIR = "test/fixtures/models/tiny-gpt2-lm"
# GPT-Neo semantics (unscaled attention, local layers with a 16-position window), also with that input.
NEO_MODEL_DIR = "test/fixtures/models/gpt-neo-lm"
OUT = os.path.join(ROOT, "test", "parity", "rerank-reference.json")

PROMPTS = {
    "asymmetric": 'Documents are searched to find matches with the same content.\nThe document "{}" is a good search result for "',
    "symmetric": 'Questions are searched to find matches with the same content.\nThe question "{}" is a good search result for "',
}

NEPTUNE = ("Neptune is the eighth and farthest-known Solar planet from the Sun. In the Solar System, "
           "it is the fourth-largest planet by diameter, the third-most-massive planet, and the densest giant planet.")
TATOOINE = ("A harsh desert world orbiting twin suns in the galaxy's Outer Rim, Tatooine is a lawless place "
            "ruled by Hutt gangsters.")
# Starts and ends with punctuation that BPE merges with the surrounding quote marks.
QUOTED = '(see "Planets") -- a list of planets, ordered by mass.'
UNICODE = "Café Überall: naïve résumé ✓ 東京 🚀"
LONG = " ".join(f"Paragraph {i} describes orbital mechanics, transfer windows and delta-v budgets." for i in range(40))

# (prompt, max_length or None for the model's positions, query, document)
CASES = [
    ("asymmetric", None, "I'm searching for a planet not too far from Earth.", NEPTUNE),
    ("asymmetric", None, "I'm searching for a planet not too far from Earth.", TATOOINE),
    ("asymmetric", None, "planets by mass", QUOTED),
    ("asymmetric", None, "coffee in Tokyo", UNICODE),
    ("asymmetric", None, "delta-v budget", LONG),      # longer than 512 positions: cut from the left
    ("asymmetric", 64, "which planet is densest?", NEPTUNE),  # a small window cuts the document too
    ("asymmetric", None, "x", ""),                     # one-token query, empty document
    ("symmetric", None, "What is the farthest planet?", "Which planet is farthest from the Sun?"),
]
KEEP_CASES = [CASES[0], CASES[1], CASES[4]]
NEO_CASES = [CASES[0], CASES[2], CASES[5]]


def load_model(model_dir: str) -> tuple[GPT2, int]:
    with open(os.path.join(ROOT, model_dir, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    if cfg["model_type"] == "gpt_neo":
        hp = HParams(n_layer=cfg["num_layers"], n_head=cfg["num_heads"], n_embd=cfg["hidden_size"],
                     n_positions=cfg["max_position_embeddings"], vocab_size=cfg["vocab_size"],
                     layer_norm_epsilon=cfg["layer_norm_epsilon"], neo=True,
                     attention_layers=cfg["attention_layers"], window_size=cfg["window_size"])
    else:
        hp = HParams(n_layer=cfg["n_layer"], n_head=cfg["n_head"], n_embd=cfg["n_embd"],
                     n_positions=cfg["n_positions"], vocab_size=cfg["vocab_size"],
                     layer_norm_epsilon=cfg["layer_norm_epsilon"])
    model = GPT2(hp)
    load_onnx_weights(model, os.path.join(ROOT, model_dir, "onnx", "model.onnx"))
    model.eval()
    return model, hp.n_positions


def model_input(enc: GPT2BPE, prompt: str, doc: str, query: str, max_length: int) -> tuple[list, list]:
    context = enc.encode(prompt.format(doc))
    continuation = enc.encode(query)
    instruction_len = len(enc.encode(prompt[:prompt.index("{")]))
    kept = (context[instruction_len:] + continuation)[-(max_length + 1 - instruction_len):]
    return (context[:instruction_len] + kept)[:-1], continuation


def score(model: GPT2, inp: list, cont: list) -> float:
    ids = torch.tensor([inp], dtype=torch.long)
    with torch.no_grad():
        logits = model(ids, torch.ones_like(ids), lm=True)[0].to(torch.float32)  # [seq, vocab]
    logprobs = torch.log_softmax(logits, dim=-1)[len(inp) - len(cont):]
    return float(torch.gather(logprobs, 1, torch.tensor(cont).unsqueeze(-1)).sum())


def main() -> None:
    torch.set_num_threads(1)
    enc = GPT2BPE()
    cases = []
    for model_dir, chosen in ((MODEL_DIR, CASES), (KEEP_MODEL_DIR, KEEP_CASES), (NEO_MODEL_DIR, NEO_CASES)):
        model, positions = load_model(model_dir)
        for prompt, max_length, query, doc in chosen:
            inp, cont = model_input(enc, PROMPTS[prompt], doc, query, max_length or positions)
            cases.append({"model": model_dir, "prompt": prompt, "maxLength": max_length or positions, "query": query,
                          "document": doc, "inputIds": inp, "queryIds": cont, "score": score(model, inp, cont)})
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
