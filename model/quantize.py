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

    python3 model/quantize.py in.onnx out.onnx [--min-size 65536] [--keep name,name]
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


def channel_axis(name: str, w: np.ndarray) -> int:
    return 0 if name.endswith('wte.weight') else 1


def quantize_model(src: str, dst: str, min_size: int = 65536, keep: tuple = (),
                   exact_columns: dict | None = None) -> list[str]:
    model = onnx.load(src)
    graph = model.graph
    done, nodes, inits = [], [], []
    for init in list(graph.initializer):
        w = numpy_helper.to_array(init)
        if (w.dtype != np.float32 or w.ndim != 2 or w.size < min_size or init.name in keep):
            continue
        axis = channel_axis(init.name, w)
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
    a = ap.parse_args()
    exact = {n: [int(c) for c in cs.split(',')] for n, cs in
             (item.split(':') for item in filter(None, a.exact_columns.split(';')))}
    print(quantize_model(a.src, a.dst, a.min_size, tuple(filter(None, a.keep.split(','))), exact))
