"""Weight-only int8 quantisation of an ONNX model with the onnx + numpy packages alone.

Every large float matrix initializer W becomes int8 W_q plus per-channel float32 scales, and
W = Cast(W_q, float) * scale recreates W under its old name, so the rest of the graph is unchanged
and the runtime constant-folds W back to fp32 once, at session start. An embedding table (read
only by one Gather, its lookup) is written gather-first instead: the lookup gathers the stored
rows (codes, scales, exact columns) and the same ops dequantise only those rows, so no fp32 table
is ever built (sgpt-nano: 15 M values that folding cost most of each session's build). Not DequantizeLinear:
onnxruntime fuses DequantizeLinear -> MatMul into an int8 kernel that also quantises the
activations, which cost sgpt-nano a cosine of 0.92 against fp32 (its position ramp is a small
activation next to large ones); Cast + Mul gave ~1.0 with the same int8 weights. Symmetric (zero point 0): scale = max|W| / 127 per
channel. Channels: rows for a [vocab, d] embedding (axis 0, one scale per token), output columns
for GPT-2's Conv1D [in, out] weights (axis 1).

Columns listed in exact_columns stay fp32: W = Cast(W_q) * scale + C @ S, with C the [rows, k]
fp32 columns and S a [k, cols] 0/1 selector (sgpt-nano's wte column 2 carries a small learned
per-token value that its position circuit amplifies 200-fold; int8 would erase it).

4-bit (bits={name: 4}, sgpt-nano-2): symmetric, values -7..7 per channel (-levels..levels with
levels < 7: coarser, but the fewer codes compress better under gzip; levels may differ by row,
levels_by_row), or per group of `group`
consecutive weights inside a channel's row / column, stored two per byte (uint8, value + 8 in each
nibble) with float16 scales; the graph unpacks them with ordinary ops (folded at session start
like the int8 ones, or run on the gathered rows of a table): Cast -> Div 16 -> Floor (high nibble), Sub (low nibble),
Unsqueeze + Concat + Reshape (interleave), Sub 8, Mul scale, Reshape (and Transpose for the
[in, out] Conv1D weights, which are packed as [out, in]); exact columns are float16 here. No int4 tensor type is needed, so it
runs on opset 17 / onnx 1.12 and in every onnxruntime build.

    python3 model/quantize.py in.onnx out.onnx [--min-size 65536] [--keep name,name]
        [--int4 name,name] [--group 32]
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import onnx
from onnx import helper, numpy_helper


def quantize_array(w: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-channel int8: returns (q int8 same shape, scale float32 [w.shape[axis]])."""
    reduce = tuple(i for i in range(w.ndim) if i != axis)
    scale = np.abs(w).max(axis=reduce) / 127.0
    scale = np.where(scale == 0, 1.0, scale).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return q, scale


def quantize_array4(m: np.ndarray, group: int = 0, levels=7, keep_norm: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric 4-bit per row of m [R, C] (or per group of `group` columns of a row): returns
    (packed uint8 [R, C/2], low nibble = even column, high = odd, each q + 8; scale float16
    [R, C/group, 1]). levels: the largest |q|, one for every row or one per row ([R] ints, 1..7).
    The codes round x / (max|x| / levels); the scale is max|x| / levels, or with keep_norm |x| / |q|
    (the dequantised group keeps x's norm: coarse codes inflate it, and sgpt-nano's layer norm
    turns a token row's norm into its weight in the pooled vector)."""
    r, c = m.shape
    g = group or c
    if c % g or g % 2:
        raise ValueError(f"group {g} must be even and divide {c}")
    lv = np.broadcast_to(np.asarray(levels, np.int64), (r,)).reshape(r, 1, 1)
    if lv.min() < 1 or lv.max() > 7:
        raise ValueError(f"4-bit levels must lie in 1..7, got {int(lv.min())}..{int(lv.max())}")
    x = m.reshape(r, c // g, g)
    scale = (np.abs(x).max(axis=2, keepdims=True) / lv).astype(np.float16)
    scale = np.where(scale == 0, np.float16(1.0), scale)
    q = np.clip(np.round(x / scale.astype(np.float32)), -lv, lv).astype(np.int16)
    if keep_norm:
        qn = np.sqrt((q.astype(np.float32) ** 2).sum(axis=2, keepdims=True))
        xn = np.sqrt((x.astype(np.float64) ** 2).sum(axis=2, keepdims=True))
        scale = np.where(qn > 0, xn / np.maximum(qn, 1e-30), scale).astype(np.float16)
    q = q.reshape(r, c) + 8
    packed = (q[:, 0::2] + 16 * q[:, 1::2]).astype(np.uint8)
    return packed, scale


def levels_by_row(spec: str, rows: int) -> np.ndarray:
    """A 4-bit levels schedule over a table's rows: "7" (every row), or "7,3@8000,1@20000" (rows
    0..7999 -7..7, from row 8000 on -3..3, from 20000 on -1..1). Tables ordered by use (the most
    frequent token first) spend their bits on the rows that most text is made of."""
    parts = [p.strip() for p in spec.split(',') if p.strip()]
    try:
        steps = [(0, int(parts[0]))] + [(int(at), int(lv)) for lv, at in (p.split('@') for p in parts[1:])]
    except (IndexError, ValueError):
        raise ValueError(f'levels schedule "{spec}": expected LEVELS[,LEVELS@ROW...], e.g. "7,3@8000"') from None
    starts = [at for at, _ in steps]
    if starts != sorted(set(starts)) or starts[-1] >= rows:
        raise ValueError(f'levels schedule "{spec}": rows must increase and lie below {rows}')
    out = np.empty(rows, np.int64)
    for at, lv in steps:
        if not 1 <= lv <= 7:
            raise ValueError(f'levels schedule "{spec}": levels must lie in 1..7, got {lv}')
        out[at:] = lv
    return out


def dequantize_array4(packed: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """What the graph computes (for tests): float32 [R, C]."""
    p = packed.astype(np.float32)
    hi = np.floor(p / 16)
    lo = p - hi * 16
    r, half = packed.shape
    x = np.stack([lo, hi], axis=2).reshape(r, scale.shape[1], -1)
    return ((x - 8) * scale.astype(np.float32)).reshape(r, 2 * half)


def int4_nodes(name: str, w: np.ndarray, axis: int, group: int, levels, out: str, take, lead: int,
               keep_norm: bool = False) -> tuple[list, list]:
    """Initializers and nodes that recreate w (float32 2-D) as `out` from 4-bit weights. take(init)
    names the value a row-indexed initializer is read as (itself, or its gathered rows; float16 ones
    cast to float32 first, see _reader); lead is
    the number of leading (row) dims of what take gives: 1 for the stored table, 2 for rows
    gathered by [batch, seq] ids."""
    m = w if axis == 0 else np.ascontiguousarray(w.T)
    packed, scale = quantize_array4(m, group, levels, keep_norm)
    r, c = m.shape
    groups = scale.shape[1]
    t = name + '_q4_'
    zeros = [0] * lead  # Reshape's 0: copy that dim (rows, or batch and sequence)
    inits = [numpy_helper.from_array(packed, name + '_q4'),
             numpy_helper.from_array(scale, name + '_q4_scale16'),
             numpy_helper.from_array(np.array(zeros + [groups, c // groups], np.int64), t + 'groups%d' % lead),
             numpy_helper.from_array(np.array(zeros + [c], np.int64), t + 'shape%d' % lead)]
    unpacked = out if axis == 0 else t + 'rows'
    nodes = [helper.make_node('Cast', [take(name + '_q4')], [t + 'bytes'], to=onnx.TensorProto.FLOAT, name=t + 'cast'),
             helper.make_node('Div', [t + 'bytes', Q4_SIXTEEN], [t + 'div'], name=t + 'div'),
             helper.make_node('Floor', [t + 'div'], [t + 'hi'], name=t + 'floor'),
             helper.make_node('Mul', [t + 'hi', Q4_SIXTEEN], [t + 'hi16'], name=t + 'hi16'),
             helper.make_node('Sub', [t + 'bytes', t + 'hi16'], [t + 'lo'], name=t + 'lo'),
             helper.make_node('Unsqueeze', [t + 'lo', Q4_LAST_AXIS], [t + 'lo1'], name=t + 'lo1'),
             helper.make_node('Unsqueeze', [t + 'hi', Q4_LAST_AXIS], [t + 'hi1'], name=t + 'hi1'),
             helper.make_node('Concat', [t + 'lo1', t + 'hi1'], [t + 'pairs'], axis=-1, name=t + 'concat'),
             helper.make_node('Reshape', [t + 'pairs', t + 'groups%d' % lead], [t + 'grouped'], name=t + 'group'),
             helper.make_node('Sub', [t + 'grouped', Q4_EIGHT], [t + 'signed'], name=t + 'signed'),
             helper.make_node('Mul', [t + 'signed', take(name + '_q4_scale16', f16=True)], [t + 'scaled'], name=t + 'dequantize'),
             helper.make_node('Reshape', [t + 'scaled', t + 'shape%d' % lead], [unpacked], name=t + 'reshape')]
    if axis == 1:
        nodes.append(helper.make_node('Transpose', [unpacked], [out], perm=[1, 0], name=t + 'transpose'))
    return inits, nodes


def int8_nodes(name: str, w: np.ndarray, axis: int, out: str, take) -> tuple[list, list]:
    """Initializers and nodes that recreate w as `out` from int8 weights (take as in int4_nodes)."""
    q, scale = quantize_array(w, axis)
    inits = [numpy_helper.from_array(q, name + '_quantized'),
             numpy_helper.from_array(scale.reshape([-1, 1] if axis == 0 else [1, -1]), name + '_scale')]
    nodes = [helper.make_node('Cast', [take(name + '_quantized')], [name + '_float'], to=onnx.TensorProto.FLOAT, name=name + '_cast'),
             helper.make_node('Mul', [name + '_float', take(name + '_scale')], [out], name=name + '_dequantize')]
    return inits, nodes


Q4_SIXTEEN, Q4_EIGHT, Q4_LAST_AXIS = 'q4_const_16', 'q4_const_8', 'q4_const_last_axis'
# ONNX metadata key: {table name: {"indices": ids value, "output": lookup value, "rows": R}} for
# each table written gather-first (model/gpt2.py onnx_weights rebuilds the table from it).
GATHER_FIRST_KEY = 'quantize.gather_first'


def channel_axis(name: str, lookup_tables) -> int:
    """Rows (one scale per token) for an embedding table, output columns for Conv1D [in, out]."""
    return 0 if name.endswith('wte.weight') or name in lookup_tables else 1


def _lookups(graph) -> dict:
    """Initializers read only by one Gather on axis 0 (an embedding lookup): name -> that node."""
    uses: dict = {}
    for node in graph.node:
        for j, name in enumerate(node.input):
            uses.setdefault(name, []).append((node, j))
    outputs = {o.name for o in graph.output}
    found = {}
    for name, users in uses.items():
        if len(users) != 1 or name in outputs:
            continue
        node, j = users[0]
        axis = next((helper.get_attribute_value(a) for a in node.attribute if a.name == 'axis'), 0)
        if node.op_type == 'Gather' and j == 0 and axis == 0:
            found[name] = node
    return found


def quantize_model(src: str, dst: str, min_size: int = 65536, keep: tuple = (),
                   exact_columns: dict | None = None, int4: tuple = (), group: int = 0, levels: int = 7,
                   gather_first: bool = True, channel_levels: dict | None = None, keep_norms: bool = False) -> list[str]:
    """int4: initializer names stored 4-bit (per channel, or per `group` weights in a channel), with
    codes -levels..levels, or -channel_levels[name][i]..channel_levels[name][i] in channel i;
    keep_norms: each 4-bit channel (group) gets the scale that keeps its norm (quantize_array4).

    A table read only by an embedding lookup (Gather) is written gather-first: the lookup gathers
    the stored rows (codes, scales, exact columns) and dequantises only those, so no runtime folds
    the whole table to fp32 at session start (sgpt-nano: 15 M values, most of a session's build).
    Every op on that path is row-wise, so the looked-up rows equal the folded table's, bit for bit.
    The lookup's indices must be [batch, seq] (token ids). gather_first=False folds every table
    (the test fixtures compare both forms)."""
    model = onnx.load(src)
    graph = model.graph
    tables = _lookups(graph)
    lookups = tables if gather_first else {}
    done, nodes, inits, gathered, first = [], [], [], {}, {}
    for init in list(graph.initializer):
        w = numpy_helper.to_array(init)
        if (w.dtype != np.float32 or w.ndim != 2 or w.size < min_size or init.name in keep):
            continue
        name = init.name
        axis = channel_axis(name, tables)
        lookup = lookups.get(name) if axis == 0 else None
        graph.initializer.remove(init)
        if lookup is None:
            out, lead, place = name, 1, nodes
            take = _reader(place)
        else:
            ids, out, lead, place = lookup.input[1], lookup.output[0], 2, []
            take = _reader(place, ids)
            gathered[name] = (lookup, place)
            first[name] = {'indices': ids, 'output': out, 'rows': int(w.shape[0])}
        cols = (exact_columns or {}).get(name, [])
        rest = w.copy()
        rest[:, cols] = 0.0
        four = name in int4
        part = (name + ('_int4_part' if four else '_int8_part')) if cols else out
        more_inits, more_nodes = (int4_nodes(name, rest, axis, group, (channel_levels or {}).get(name, levels), part, take, lead, keep_norms) if four
                                  else int8_nodes(name, rest, axis, part, take))
        inits += more_inits
        place += more_nodes
        if cols:  # exact columns (float16 next to 4-bit codes): W = quantised part + C @ S
            selector = np.zeros((len(cols), w.shape[1]), np.float32)
            selector[np.arange(len(cols)), cols] = 1.0
            exact = np.ascontiguousarray(w[:, cols])
            stored = name + ('_exact_columns16' if four else '_exact_columns')
            inits += [numpy_helper.from_array(exact.astype(np.float16) if four else exact, stored),
                      numpy_helper.from_array(selector, name + '_exact_selector')]
            columns = take(stored, f16=four)
            place += [helper.make_node('MatMul', [columns, name + '_exact_selector'], [name + '_exact_part'], name=name + '_exact'),
                      helper.make_node('Add', [part, name + '_exact_part'], [out], name=name + '_sum')]
        done.append(name)
    if any(n in int4 for n in done):
        inits += [numpy_helper.from_array(np.array(16.0, np.float32), Q4_SIXTEEN),
                  numpy_helper.from_array(np.array(8.0, np.float32), Q4_EIGHT),
                  numpy_helper.from_array(np.array([-1], np.int64), Q4_LAST_AXIS)]
    graph.initializer.extend(inits)
    for lookup, place in gathered.values():  # the lookup's nodes take the Gather's place
        at = list(graph.node).index(lookup)
        graph.node.remove(lookup)
        for j, node in enumerate(place):
            graph.node.insert(at + j, node)
    for i, node in enumerate(nodes):  # dequantize first: nodes must stay topologically sorted
        graph.node.insert(i, node)
    if first:
        model.metadata_props.add(key=GATHER_FIRST_KEY, value=json.dumps(first, sort_keys=True))
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    return done


def _reader(place: list, ids: str | None = None):
    """take() of int4_nodes / int8_nodes: how a row-indexed initializer is read, its nodes appended
    to `place`. With `ids` (a gather-first table) through Gather(., ids). A float16 initializer is
    cast to float32 before any Gather: the cast of the whole (small) tensor folds at session start,
    and the lookup gathers float32, which every execution provider has (WebGPU without shader-f16
    fails on a float16 Gather)."""
    def take(stored: str, f16: bool = False) -> str:
        value = stored
        if f16:
            value = stored + '_float32'
            place.append(helper.make_node('Cast', [stored], [value], to=onnx.TensorProto.FLOAT, name=value))
        if ids is not None:
            place.append(helper.make_node('Gather', [value, ids], [value + '_rows'], axis=0, name=value + '_rows'))
            value += '_rows'
        return value
    return take
