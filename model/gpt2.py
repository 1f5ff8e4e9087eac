"""A hand-written GPT-2 (and GPT-Neo-style attention) in plain PyTorch, plus ONNX export
and config writing that transformers.js can load.

Public API (reused by the training helper for sgpt-nano):

    hp = HParams(n_layer=2, n_head=4, n_embd=64, n_positions=512)
    model = GPT2(hp)                      # parameter names match Hugging Face's GPT2Model
    hidden = model(input_ids, attention_mask)            # last_hidden_state (after ln_f)
    logits = model(input_ids, attention_mask, lm=True)   # tied LM head: hidden @ wte.T
    export_onnx(model, "out/onnx/model.onnx", kind="features")
    write_config("out", hp, sgpt_settings)

State-dict keys are those of Hugging Face's GPT2Model without the "transformer." prefix
(wte.weight, h.0.attn.c_attn.weight, ...; Conv1D weights stored [in, out]), so a real GPT-2
checkpoint loads with model.load_state_dict(..., strict=False) (HF keeps attn.bias buffers).

GPT-Neo mode (hp.neo=True) reproduces GPT-Neo's attention *semantics* (no 1/sqrt(d) scaling,
local layers see only the last `window_size` positions) but keeps GPT-2's fused c_attn
parameter layout; it exists to build loader fixtures, not to load GPT-Neo checkpoints.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np
import onnx
import onnx.numpy_helper
import torch
from torch import nn

from quantize import GATHER_FIRST_KEY

GPT2_VOCAB_SIZE = 50257
ENDOFTEXT_ID = 50256
OPSET = 17


@dataclass
class HParams:
    n_layer: int
    n_head: int
    n_embd: int
    n_positions: int
    vocab_size: int = GPT2_VOCAB_SIZE
    layer_norm_epsilon: float = 1e-5
    # GPT-Neo semantics: no attention scaling; per-layer "global" | "local" attention.
    neo: bool = False
    attention_layers: List[str] = field(default_factory=list)
    window_size: int = 256

    def __post_init__(self) -> None:
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd {self.n_embd} must be divisible by n_head {self.n_head}")
        if not self.attention_layers:
            self.attention_layers = ["global"] * self.n_layer
        if len(self.attention_layers) != self.n_layer:
            raise ValueError("attention_layers needs one entry per layer")


def gelu_new(x: torch.Tensor) -> torch.Tensor:
    """GPT-2's tanh approximation of GELU ("gelu_new" in Hugging Face)."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Conv1D(nn.Module):
    """GPT-2's linear layer: weight stored [in, out] (Hugging Face layout), y = x @ W + b."""

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.matmul(x, self.weight) + self.bias


class Attention(nn.Module):
    def __init__(self, hp: HParams, local: bool) -> None:
        super().__init__()
        self.n_head = hp.n_head
        self.head_dim = hp.n_embd // hp.n_head
        self.scale = not hp.neo
        self.window = hp.window_size if local else None
        self.c_attn = Conv1D(hp.n_embd, 3 * hp.n_embd)
        self.c_proj = Conv1D(hp.n_embd, hp.n_embd)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, s, _ = x.shape
        return x.view(b, s, self.n_head, self.head_dim).transpose(1, 2)  # [B, H, S, D]

    def forward(self, x, key_mask, past: Optional[tuple]):
        """key_mask: [B, T] (T = past + S), 1 for real tokens. Returns (out, (k, v))."""
        q, k, v = self.c_attn(x).split(x.shape[-1], dim=2)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        s, t = q.shape[2], k.shape[2]
        scores = torch.matmul(q, k.transpose(-1, -2))
        if self.scale:
            scores = scores / math.sqrt(self.head_dim)
        # Absolute positions: queries sit at the end of the key range (after any past).
        q_pos = torch.arange(s, device=x.device) + (t - s)
        k_pos = torch.arange(t, device=x.device)
        allowed = k_pos[None, :] <= q_pos[:, None]
        if self.window is not None:
            allowed = allowed & (k_pos[None, :] > q_pos[:, None] - self.window)
        # Causal AND key-is-real: with right padding a real token never sees a later pad.
        allowed = allowed[None, None, :, :] & key_mask[:, None, None, :].bool()
        # Finite minimum, not -inf: a fully masked row (a left pad) must not produce NaN.
        scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
        probs = torch.softmax(scores, dim=-1)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(x.shape)
        return self.c_proj(out), (k, v)


class MLP(nn.Module):
    def __init__(self, hp: HParams, n_inner: Optional[int] = None) -> None:
        super().__init__()
        n_inner = 4 * hp.n_embd if n_inner is None else n_inner
        self.c_fc = Conv1D(hp.n_embd, n_inner)
        self.c_proj = Conv1D(n_inner, hp.n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(gelu_new(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, hp: HParams, local: bool) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(hp.n_embd, eps=hp.layer_norm_epsilon)
        self.attn = Attention(hp, local)
        self.ln_2 = nn.LayerNorm(hp.n_embd, eps=hp.layer_norm_epsilon)
        self.mlp = MLP(hp)

    def forward(self, x, key_mask, past):
        present = None
        if self.attn is not None:  # None: pruned by prune_dead_branches
            a, present = self.attn(self.ln_1(x), key_mask, past)
            x = x + a
        if self.mlp is not None:
            x = x + self.mlp(self.ln_2(x))
        return x, present


class GPT2(nn.Module):
    def __init__(self, hp: HParams) -> None:
        super().__init__()
        self.hp = hp
        self.wte = nn.Embedding(hp.vocab_size, hp.n_embd)
        self.wpe = nn.Embedding(hp.n_positions, hp.n_embd)
        self.h = nn.ModuleList([Block(hp, kind == "local") for kind in hp.attention_layers])
        self.ln_f = nn.LayerNorm(hp.n_embd, eps=hp.layer_norm_epsilon)

    def forward(self, input_ids, attention_mask, position_ids=None, past=None, lm=False,
                return_present=False, logits_to_keep=None):
        """input_ids, attention_mask: int64 [B, S] ([B, past+S] for the mask when past is given).
        past: optional list of (key, value) per layer, each [B, n_head, past_len, head_dim].
        Returns last_hidden_state [B, S, n_embd] (after ln_f), or logits [B, S, vocab] if lm;
        with return_present also the list of (key, value) including the new positions.
        logits_to_keep: int64 scalar tensor N; with lm, logits only for the last N positions
        (0 = all), Hugging Face's num_logits_to_keep."""
        past_len = past[0][0].shape[2] if past is not None else 0
        if position_ids is None:
            s = input_ids.shape[1]
            position_ids = (torch.arange(s, device=input_ids.device) + past_len)[None, :]
        x = self.wte(input_ids) + self.wpe(position_ids)
        presents = []
        for i, block in enumerate(self.h):
            x, present = block(x, attention_mask, past[i] if past is not None else None)
            presents.append(present)
        x = self.ln_f(x)
        if lm and logits_to_keep is not None:
            s = x.shape[1]
            start = torch.where(logits_to_keep > 0, s - logits_to_keep, torch.zeros_like(logits_to_keep))
            x = x.index_select(1, torch.arange(start, s, device=x.device))
        if lm:
            # Tied head. export_onnx rewires the exported graph so the embedding is stored once.
            x = torch.matmul(x, self.wte.weight.transpose(0, 1))
        return (x, presents) if return_present else x


# ONNX metadata key of a pruned export: {state-dict name: {"shape": full shape} for a weight left
# out (it is zero), plus "axis" / "units" for one cut to its live units (the stored slice).
PRUNED_KEY = "sgpt.pruned"


def prune_dead_branches(model: GPT2) -> dict:
    """Remove, in place, residual branches whose output is exactly zero, so the exported graph
    computes only what contributes; the function is unchanged (x + 0 == x). An attention whose
    c_proj weight and bias are zero goes with its ln_1; an MLP keeps only the units whose c_proj
    row is non-zero (none and a zero bias: it goes with its ln_2). Returns (and sets as
    model.pruned) the PRUNED_KEY description that onnx_weights uses to put the zeros back."""
    pruned = {}
    with torch.no_grad():
        for i, blk in enumerate(model.h):
            p = f"h.{i}."
            attn_out = blk.attn.c_proj
            if not attn_out.weight.any() and not attn_out.bias.any():
                for name, t in {**_named(blk.ln_1, "ln_1."), **_named(blk.attn, "attn.")}.items():
                    pruned[p + name] = {"shape": list(t.shape)}
                blk.attn, blk.ln_1 = None, None
            mlp = blk.mlp
            live = torch.nonzero(mlp.c_proj.weight.any(1)).flatten()
            if len(live) == 0 and not mlp.c_proj.bias.any():
                for name, t in {**_named(blk.ln_2, "ln_2."), **_named(mlp, "mlp.")}.items():
                    pruned[p + name] = {"shape": list(t.shape)}
                blk.mlp, blk.ln_2 = None, None
                continue
            if len(live) == 0:  # a constant bias: one zero unit keeps the branch's form
                live = torch.zeros(1, dtype=torch.long)
            if len(live) == mlp.c_proj.weight.shape[0]:
                continue
            cut = MLP(model.hp, len(live))
            cut.c_fc.weight.copy_(mlp.c_fc.weight[:, live])
            cut.c_fc.bias.copy_(mlp.c_fc.bias[live])
            cut.c_proj.weight.copy_(mlp.c_proj.weight[live])
            cut.c_proj.bias.copy_(mlp.c_proj.bias)
            units = [int(u) for u in live]
            for name, t, axis in (("c_fc.weight", mlp.c_fc.weight, 1), ("c_fc.bias", mlp.c_fc.bias, 0),
                                  ("c_proj.weight", mlp.c_proj.weight, 0)):
                pruned[p + "mlp." + name] = {"shape": list(t.shape), "axis": axis, "units": units}
            blk.mlp = cut
    model.pruned = pruned
    return pruned


def _named(module: nn.Module, prefix: str) -> dict:
    return {prefix + n: t for n, t in module.state_dict().items()}


def init_weights(model: GPT2, seed: int) -> None:
    """Deterministic GPT-2-style random init. Biases and layer-norm gains are random too
    (not 0 / 1) so that parity tests exercise every parameter."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.split(".")[-2].startswith("ln_") and name.endswith(".weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.02 * torch.randn(p.shape, generator=g))


class _ExportWrapper(nn.Module):
    """Flat positional signature for torch.onnx.export."""

    def __init__(self, model: GPT2, lm: bool, with_position_ids: bool, with_past: bool,
                 with_logits_to_keep: bool = False) -> None:
        super().__init__()
        self.model, self.lm, self.with_position_ids, self.with_past = model, lm, with_position_ids, with_past
        self.with_logits_to_keep = with_logits_to_keep

    def forward(self, input_ids, attention_mask, *rest):
        rest = list(rest)
        keep = rest.pop() if self.with_logits_to_keep else None
        position_ids = rest.pop(0) if self.with_position_ids else None
        past = None
        if self.with_past:
            past = [(rest[2 * i], rest[2 * i + 1]) for i in range(len(rest) // 2)]
        out, presents = self.model(input_ids, attention_mask, position_ids, past, lm=self.lm,
                                   return_present=True, logits_to_keep=keep)
        if not self.with_past:
            return out
        return (out, *[t for kv in presents for t in kv])


def export_onnx(model: GPT2, path: str, kind: str = "features", with_position_ids: bool = False,
                with_past: bool = False, with_logits_to_keep: bool = False) -> None:
    """Export to ONNX (opset 17) with the signature Hugging Face optimum produces.

    kind: "features" -> output `last_hidden_state` [batch, seq, n_embd];
          "lm"       -> output `logits` [batch, seq, vocab] (tied head, embedding stored once).
    Inputs (all int64 except past): input_ids [batch, seq], attention_mask [batch, past+seq],
    position_ids [batch, seq] if with_position_ids, and if with_past
    past_key_values.{i}.key / .value float32 [batch, n_head, past_seq, head_dim] inputs plus
    present.{i}.key / .value [batch, n_head, past_seq+seq, head_dim] outputs
    (transformers.js feeds zero-length past tensors when they are declared).
    with_logits_to_keep (kind "lm"): an int64 scalar input `num_logits_to_keep` N; logits are
    [batch, N, vocab] for the last N positions (0 = all), so a scorer that needs a few positions
    skips most of the vocabulary projection (transformers.js passes 0 unless told otherwise).
    """
    if kind not in ("features", "lm"):
        raise ValueError(f"kind must be 'features' or 'lm', got {kind!r}")
    hp = model.hp
    model.eval()
    if with_logits_to_keep and kind != "lm":
        raise ValueError("with_logits_to_keep needs kind='lm'")
    wrapper = _ExportWrapper(model, kind == "lm", with_position_ids, with_past, with_logits_to_keep)
    b, s, p = 2, 5, 3 if with_past else 0
    input_ids = torch.tensor([[464, 3290, 318, 257, 50256], [15496, 995, 11, 428, 318]], dtype=torch.long)
    mask = torch.ones(b, p + s, dtype=torch.long)
    mask[0, -1] = 0  # a right pad, so nothing mask-related is constant-folded away
    args = [input_ids, mask]
    names_in = ["input_ids", "attention_mask"]
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"}}
    if with_position_ids:
        args.append((torch.cumsum(mask, 1) - 1)[:, p:].clamp(min=0))
        names_in.append("position_ids")
        axes["position_ids"] = {0: "batch_size", 1: "sequence_length"}
    out_name = "logits" if kind == "lm" else "last_hidden_state"
    names_out = [out_name]
    axes[out_name] = {0: "batch_size", 1: "sequence_length"}
    if with_past:
        d = hp.n_embd // hp.n_head
        for i in range(hp.n_layer):
            for t in ("key", "value"):
                args.append(torch.zeros(b, hp.n_head, p, d))
                names_in.append(f"past_key_values.{i}.{t}")
                axes[f"past_key_values.{i}.{t}"] = {0: "batch_size", 2: "past_sequence_length"}
                names_out.append(f"present.{i}.{t}")
                axes[f"present.{i}.{t}"] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
    if with_logits_to_keep:
        args.append(torch.tensor(2, dtype=torch.long))
        names_in.append("num_logits_to_keep")
        axes[out_name] = {0: "batch_size", 1: "kept_sequence_length"}
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(wrapper, tuple(args), path, input_names=names_in, output_names=names_out,
                          dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True)
    _tidy_graph(path, model, dict(zip(names_in, args)), axes)


def _tidy_graph(path: str, model: GPT2, inputs: dict, axes: dict) -> None:
    """Name initializers like the state dict (drop the wrapper's "model." prefix) and, for the
    LM head, undo constant folding's second copy of the embedding: Transpose(wte) was folded
    into its own initializer; replace it with a Transpose node reading the one embedding.
    Inputs the graph does not read (attention_mask, once prune_dead_branches removed every
    attention) are declared all the same: callers feed the signature above."""
    proto = onnx.load(path)
    graph = proto.graph
    declared = {i.name for i in graph.input}
    for name, example in inputs.items():
        if name not in declared:
            dims = [axes.get(name, {}).get(d, example.shape[d]) for d in range(example.dim())]
            elem = onnx.TensorProto.INT64 if example.dtype == torch.long else onnx.TensorProto.FLOAT
            graph.input.append(onnx.helper.make_tensor_value_info(name, elem, dims))
    renames = {i.name: i.name[len("model."):] for i in graph.initializer if i.name.startswith("model.")}
    for init in graph.initializer:
        init.name = renames.get(init.name, init.name)
    for node in graph.node:
        for j, name in enumerate(node.input):
            if name in renames:
                node.input[j] = renames[name]
    wte = model.wte.weight.detach().numpy()
    inits = {init.name: init for init in graph.initializer}
    wte_name = next(n for n, i in inits.items()
                    if tuple(i.dims) == wte.shape and np.array_equal(onnx.numpy_helper.to_array(i), wte))
    copies = [n for n, i in inits.items()
              if tuple(i.dims) == wte.shape[::-1] and np.array_equal(onnx.numpy_helper.to_array(i), wte.T)]
    for name in copies:
        graph.initializer.remove(inits[name])
        graph.node.insert(0, onnx.helper.make_node("Transpose", [wte_name], [name], perm=[1, 0],
                                                   name=f"tied_lm_head_transpose_{name}"))
    if getattr(model, "pruned", None):
        proto.metadata_props.add(key=PRUNED_KEY, value=json.dumps(model.pruned, sort_keys=True))
    onnx.checker.check_model(proto)
    onnx.save(proto, path)


def hf_config(hp: HParams, sgpt_settings: Optional[dict], model_type: str = "gpt2",
              kind: str = "features") -> dict:
    """config.json content for transformers.js ("gpt2" or "gpt_neo"); kind as in export_onnx."""
    head = "LMHeadModel" if kind == "lm" else "Model"
    common = {
        "vocab_size": hp.vocab_size,
        "bos_token_id": ENDOFTEXT_ID,
        "eos_token_id": ENDOFTEXT_ID,
        "layer_norm_epsilon": hp.layer_norm_epsilon,
        "activation_function": "gelu_new",
        "transformers.js_config": {"dtype": "fp32"},
    }
    if model_type == "gpt2":
        cfg = {"model_type": "gpt2", "architectures": [f"GPT2{head}"], "n_layer": hp.n_layer,
               "n_head": hp.n_head, "n_embd": hp.n_embd, "n_positions": hp.n_positions,
               "n_ctx": hp.n_positions}
    elif model_type == "gpt_neo":
        if not hp.neo:
            raise ValueError("model_type gpt_neo needs HParams(neo=True)")
        cfg = {"model_type": "gpt_neo", "architectures": [f"GPTNeo{head}"], "num_layers": hp.n_layer,
               "num_heads": hp.n_head, "hidden_size": hp.n_embd,
               "max_position_embeddings": hp.n_positions,
               "attention_types": _neo_attention_types(hp.attention_layers),
               "attention_layers": hp.attention_layers, "window_size": hp.window_size}
    else:
        raise ValueError(f"model_type must be 'gpt2' or 'gpt_neo', got {model_type!r}")
    cfg.update(common)
    if sgpt_settings is not None:
        cfg["sgpt"] = sgpt_settings
    return cfg


def _neo_attention_types(layers: List[str]) -> list:
    """GPT-Neo's run-length form: ["global","local"] x n -> [[["global","local"], n]]."""
    pattern = layers[:2] if len(layers) > 1 else layers
    reps = len(layers) // len(pattern)
    if pattern * reps != layers:
        raise ValueError(f"attention_layers {layers} is not a repeated pattern")
    return [[pattern, reps]]


def write_config(out_dir: str, hp: HParams, sgpt_settings: Optional[dict],
                 model_type: str = "gpt2", kind: str = "features") -> str:
    """Write out_dir/config.json; sgpt_settings is config.json's "sgpt" object (README, "Models") (or None to leave
    the key out); kind "lm" only changes "architectures"."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "config.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(hf_config(hp, sgpt_settings, model_type, kind), f, indent=2)
        f.write("\n")
    return path


def sgpt_settings(mode: str) -> dict:
    """The "sgpt" config object (README, "Models") for a mode, with the SGPT paper's defaults."""
    if mode == "asymmetric":
        return {"mode": "asymmetric", "pooling": "weightedmean", "pad_token_id": ENDOFTEXT_ID,
                "query_brackets": [58, 60], "document_brackets": [90, 92],
                "max_length": {"query": 300, "document": 300}}
    if mode == "symmetric":
        return {"mode": "symmetric", "pooling": "weightedmean", "pad_token_id": ENDOFTEXT_ID,
                "query_brackets": [58, 60], "document_brackets": [90, 92],
                "max_length": {"query": 75, "document": 75}}
    raise ValueError(f"mode must be 'symmetric' or 'asymmetric', got {mode!r}")


def _attr(node, name):
    return onnx.helper.get_attribute_value(next(a for a in node.attribute if a.name == name))


# Nodes whose inputs are all weights: quantize.py's Cast(int8) * scale (+ exact columns), its
# 4-bit unpacking (Div/Floor/Sub/Unsqueeze/Concat/Reshape/Transpose), its gather-first lookups
# (Gather) and the exporter's Identity aliases of equal initializers. Evaluated in fp32 as
# onnxruntime computes them.
_CONSTANT_OPS = {
    "Identity": lambda node, x: x,
    "Cast": lambda node, x: x.astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[onnx.helper.get_attribute_value(next(a for a in node.attribute if a.name == "to"))]),
    "Mul": lambda node, a, b: a * b,
    "Add": lambda node, a, b: a + b,
    "MatMul": lambda node, a, b: a @ b,
    "Sub": lambda node, a, b: a - b,
    "Div": lambda node, a, b: a / b,
    "Floor": lambda node, x: np.floor(x),
    "Unsqueeze": lambda node, x, axes: np.expand_dims(x, tuple(int(a) for a in axes)),
    "Concat": lambda node, *xs: np.concatenate(xs, axis=_attr(node, "axis")),
    # ONNX Reshape: a 0 copies the input's dim there
    "Reshape": lambda node, x, shape: x.reshape(tuple(int(x.shape[i]) if d == 0 else int(d) for i, d in enumerate(shape))),
    "Transpose": lambda node, x: np.ascontiguousarray(np.transpose(x, _attr(node, "perm"))),
    "Gather": lambda node, x, i: np.take(x, i.astype(np.int64), axis=0),
}


def onnx_weights(onnx_path: str) -> dict:
    """Every weight of an ONNX file by state-dict name: its initializers plus the values of the
    weight-only nodes above (names without the exporter's "model." prefix). A table that
    quantize.py wrote gather-first is rebuilt by running its lookup on every row id; weights that
    prune_dead_branches left out come back as zeros (a unit slice put back in its place), so the
    result is the full GPT-2's."""
    proto = onnx.load(onnx_path)
    meta = {p.key: json.loads(p.value) for p in proto.metadata_props if p.key in (GATHER_FIRST_KEY, PRUNED_KEY)}
    graph = proto.graph
    values = {i.name: onnx.numpy_helper.to_array(i) for i in graph.initializer}
    for lookup in meta.get(GATHER_FIRST_KEY, {}).values():  # every row, as one [1, rows] "batch"
        values[lookup["indices"]] = np.arange(lookup["rows"], dtype=np.int64)[None, :]
    for node in graph.node:
        if node.op_type in _CONSTANT_OPS and node.input and all(n in values for n in node.input):
            values[node.output[0]] = _CONSTANT_OPS[node.op_type](node, *(values[n] for n in node.input))
    for table, lookup in meta.get(GATHER_FIRST_KEY, {}).items():
        values[table] = values[lookup["output"]][0]
    weights = {name[len("model."):] if name.startswith("model.") else name: v for name, v in values.items()}
    for name, cut in meta.get(PRUNED_KEY, {}).items():
        full = np.zeros(cut["shape"], np.float32)
        if "units" in cut:
            index = [slice(None)] * full.ndim
            index[cut["axis"]] = cut["units"]
            full[tuple(index)] = weights[name]
        weights[name] = full
    return weights


def load_onnx_weights(model: GPT2, onnx_path: str) -> None:
    """Load a model's parameters from an ONNX file exported by export_onnx (torch keeps parameter
    names as initializer names), int8-quantised by quantize.py or not. An embedding with an
    id -> row map `<name>.id_map` (sgpt-nano's vocabulary pruning) is expanded to one row per id."""
    weights = onnx_weights(onnx_path)
    state = {}
    for name, p in model.named_parameters():
        if name not in weights:
            raise KeyError(f"{onnx_path} has no weight {name}")
        arr = weights[name]
        id_map = weights.get(name.rsplit(".", 1)[0] + ".id_map")
        if id_map is not None:
            arr = arr[id_map.astype(np.int64)]
        if arr.shape != tuple(p.shape):
            raise ValueError(f"{name}: shape {arr.shape} != {tuple(p.shape)}")
        if arr.dtype != np.float32:
            raise ValueError(f"{name}: dtype {arr.dtype}, expected float32")
        state[name] = torch.from_numpy(arr.copy())  # to_array gives read-only arrays
    model.load_state_dict(state)
