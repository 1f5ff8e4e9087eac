"""Weight-only int8 quantisation of an ONNX model with the onnx + numpy packages alone.

Every large float matrix initializer W becomes int8 W_q plus per-channel float32 scales, and
W = Cast(W_q, float) * scale recreates W under its old name, so the rest of the graph is unchanged
and the runtime constant-folds W back to fp32 once, at session start. Not DequantizeLinear:
onnxruntime fuses DequantizeLinear -> MatMul into an int8 kernel that also quantises the
activations, which cost sgpt-nano a cosine of 0.92 against fp32 (its position ramp is a small
activation next to large ones); Cast + Mul gave ~1.0 with the same int8 weights. Symmetric (zero point 0): scale = max|W| / 127 per
channel. Channels: rows for a [vocab, d] embedding (axis 0, one scale per token), output columns
for GPT-2's Conv1D [in, out] weights (axis 1).

Columns listed in exact_columns stay fp32: W = Cast(W_q) * scale + C @ S, with C the [rows, k]
fp32 columns and S a [k, cols] 0/1 selector (sgpt-nano's wte column 2 carries a small learned
per-token value that its position circuit amplifies 200-fold; int8 would erase it).

4-bit (bits={name: 4}, sgpt-nano-2): symmetric, values -7..7 per channel (-levels..levels with
levels < 7: coarser, but the fewer codes compress better under gzip), or per group of `group`
consecutive weights inside a channel's row / column, stored two per byte (uint8, value + 8 in each
nibble) with float16 scales; the graph unpacks them with ordinary ops that the runtime folds at
session start like the int8 ones: Cast -> Div 16 -> Floor (high nibble), Sub (low nibble),
Unsqueeze + Concat + Reshape (interleave), Sub 8, Mul scale, Reshape (and Transpose for the
[in, out] Conv1D weights, which are packed as [out, in]); exact columns are float16 here. No int4 tensor type is needed, so it
runs on opset 17 / onnx 1.12 and in every onnxruntime build.

    python3 model/quantize.py in.onnx out.onnx [--min-size 65536] [--keep name,name]
        [--int4 name,name] [--group 32]
"""
from __future__ import annotations

import argparse

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


def quantize_array4(m: np.ndarray, group: int = 0, levels: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric 4-bit per row of m [R, C] (or per group of `group` columns of a row): returns
    (packed uint8 [R, C/2], low nibble = even column, high = odd, each q + 8; scale float16
    [R, C/group, 1])."""
    r, c = m.shape
    g = group or c
    if c % g or g % 2:
        raise ValueError(f"group {g} must be even and divide {c}")
    x = m.reshape(r, c // g, g)
    scale = (np.abs(x).max(axis=2, keepdims=True) / levels).astype(np.float16)
    scale = np.where(scale == 0, np.float16(1.0), scale)
    q = np.clip(np.round(x / scale.astype(np.float32)), -levels, levels).astype(np.int16).reshape(r, c) + 8
    packed = (q[:, 0::2] + 16 * q[:, 1::2]).astype(np.uint8)
    return packed, scale


def dequantize_array4(packed: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """What the graph computes (for tests): float32 [R, C]."""
    p = packed.astype(np.float32)
    hi = np.floor(p / 16)
    lo = p - hi * 16
    r, half = packed.shape
    x = np.stack([lo, hi], axis=2).reshape(r, scale.shape[1], -1)
    return ((x - 8) * scale.astype(np.float32)).reshape(r, 2 * half)


def int4_nodes(name: str, w: np.ndarray, axis: int, group: int, levels: int = 7) -> tuple[list, list]:
    """Initializers and nodes that recreate w (float32 2-D) under `name` from 4-bit weights."""
    m = w if axis == 0 else np.ascontiguousarray(w.T)
    packed, scale = quantize_array4(m, group, levels)
    r, c = m.shape
    inits = [numpy_helper.from_array(packed, name + '_q4'),
             numpy_helper.from_array(scale, name + '_q4_scale16'),
             numpy_helper.from_array(np.array([r, scale.shape[1], c // scale.shape[1]], np.int64), name + '_q4_groups'),
             numpy_helper.from_array(np.array([r, c], np.int64), name + '_q4_shape')]
    t = name + '_q4_'
    out = name if axis == 0 else t + 'rows'
    nodes = [helper.make_node('Cast', [name + '_q4'], [t + 'bytes'], to=onnx.TensorProto.FLOAT, name=t + 'cast'),
             helper.make_node('Div', [t + 'bytes', Q4_SIXTEEN], [t + 'div'], name=t + 'div'),
             helper.make_node('Floor', [t + 'div'], [t + 'hi'], name=t + 'floor'),
             helper.make_node('Mul', [t + 'hi', Q4_SIXTEEN], [t + 'hi16'], name=t + 'hi16'),
             helper.make_node('Sub', [t + 'bytes', t + 'hi16'], [t + 'lo'], name=t + 'lo'),
             helper.make_node('Unsqueeze', [t + 'lo', Q4_AXIS2], [t + 'lo3'], name=t + 'lo3'),
             helper.make_node('Unsqueeze', [t + 'hi', Q4_AXIS2], [t + 'hi3'], name=t + 'hi3'),
             helper.make_node('Concat', [t + 'lo3', t + 'hi3'], [t + 'pairs'], axis=2, name=t + 'concat'),
             helper.make_node('Reshape', [t + 'pairs', name + '_q4_groups'], [t + 'grouped'], name=t + 'group'),
             helper.make_node('Sub', [t + 'grouped', Q4_EIGHT], [t + 'signed'], name=t + 'signed'),
             helper.make_node('Cast', [name + '_q4_scale16'], [t + 'scale'], to=onnx.TensorProto.FLOAT, name=t + 'scale'),
             helper.make_node('Mul', [t + 'signed', t + 'scale'], [t + 'scaled'], name=t + 'dequantize'),
             helper.make_node('Reshape', [t + 'scaled', name + '_q4_shape'], [out], name=t + 'reshape')]
    if axis == 1:
        nodes.append(helper.make_node('Transpose', [out], [name], perm=[1, 0], name=t + 'transpose'))
    return inits, nodes


Q4_SIXTEEN, Q4_EIGHT, Q4_AXIS2 = 'q4_const_16', 'q4_const_8', 'q4_const_axis2'


def channel_axis(name: str, w: np.ndarray) -> int:
    return 0 if name.endswith('wte.weight') else 1


def quantize_model(src: str, dst: str, min_size: int = 65536, keep: tuple = (),
                   exact_columns: dict | None = None, int4: tuple = (), group: int = 0, levels: int = 7) -> list[str]:
    """int4: initializer names stored 4-bit (per channel, or per `group` weights in a channel)."""
    model = onnx.load(src)
    graph = model.graph
    done, nodes, inits = [], [], []
    for init in list(graph.initializer):
        w = numpy_helper.to_array(init)
        if (w.dtype != np.float32 or w.ndim != 2 or w.size < min_size or init.name in keep):
            continue
        axis = channel_axis(init.name, w)
        if init.name in int4:
            graph.initializer.remove(init)
            cols = (exact_columns or {}).get(init.name, [])
            rest = w.copy()
            rest[:, cols] = 0.0
            name = init.name
            more_inits, more_nodes = int4_nodes(name + '_int4_part' if cols else name, rest, axis, group, levels)
            inits += more_inits
            nodes += more_nodes
            if cols:  # float16 exact columns: W = int4 part + C @ S
                selector = np.zeros((len(cols), w.shape[1]), np.float32)
                selector[np.arange(len(cols)), cols] = 1.0
                inits += [numpy_helper.from_array(np.ascontiguousarray(w[:, cols]).astype(np.float16), name + '_exact_columns16'),
                          numpy_helper.from_array(selector, name + '_exact_selector')]
                nodes += [helper.make_node('Cast', [name + '_exact_columns16'], [name + '_exact_columns'],
                                           to=onnx.TensorProto.FLOAT, name=name + '_exact_cast'),
                          helper.make_node('MatMul', [name + '_exact_columns', name + '_exact_selector'],
                                           [name + '_exact_part'], name=name + '_exact'),
                          helper.make_node('Add', [name + '_int4_part', name + '_exact_part'], [name],
                                           name=name + '_sum')]
            done.append(name)
            continue
        cols = (exact_columns or {}).get(init.name, [])
        rest = w.copy()
        rest[:, cols] = 0.0
        q, scale = quantize_array(rest, axis)
        graph.initializer.remove(init)
        name = init.name
        inits += [numpy_helper.from_array(q, name + '_quantized'),
                  numpy_helper.from_array(scale.reshape([-1, 1] if axis == 0 else [1, -1]), name + '_scale')]
        nodes.append(helper.make_node('Cast', [name + '_quantized'], [name + '_float'],
                                      to=onnx.TensorProto.FLOAT, name=name + '_cast'))
        if cols:
            selector = np.zeros((len(cols), w.shape[1]), np.float32)
            selector[np.arange(len(cols)), cols] = 1.0
            inits += [numpy_helper.from_array(np.ascontiguousarray(w[:, cols]), name + '_exact_columns'),
                      numpy_helper.from_array(selector, name + '_exact_selector')]
            nodes += [helper.make_node('Mul', [name + '_float', name + '_scale'], [name + '_int8_part'],
                                       name=name + '_dequantize'),
                      helper.make_node('MatMul', [name + '_exact_columns', name + '_exact_selector'],
                                       [name + '_exact_part'], name=name + '_exact'),
                      helper.make_node('Add', [name + '_int8_part', name + '_exact_part'], [name],
                                       name=name + '_sum')]
        else:
            nodes.append(helper.make_node('Mul', [name + '_float', name + '_scale'], [name],
                                          name=name + '_dequantize'))
        done.append(init.name)
    if any(n in int4 for n in done):
        inits += [numpy_helper.from_array(np.array(16.0, np.float32), Q4_SIXTEEN),
                  numpy_helper.from_array(np.array(8.0, np.float32), Q4_EIGHT),
                  numpy_helper.from_array(np.array([2], np.int64), Q4_AXIS2)]
    graph.initializer.extend(inits)
    for i, node in enumerate(nodes):  # dequantize first: nodes must stay topologically sorted
        graph.node.insert(i, node)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    return done


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('src')
    ap.add_argument('dst')
    ap.add_argument('--min-size', type=int, default=65536)
    ap.add_argument('--keep', default='')
    ap.add_argument('--exact-columns', default='', help='name:col,col;name:col')
    ap.add_argument('--int4', default='', help='names stored 4-bit')
    ap.add_argument('--group', type=int, default=0, help='4-bit group size (0: one scale per channel)')
    a = ap.parse_args()
    exact = {n: [int(c) for c in cs.split(',')] for n, cs in
             (item.split(':') for item in filter(None, a.exact_columns.split(';')))}
    print(quantize_model(a.src, a.dst, a.min_size, tuple(filter(None, a.keep.split(','))), exact,
                         tuple(filter(None, a.int4.split(','))), a.group))
