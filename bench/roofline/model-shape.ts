/**
 * A model folder's decoder shape for the FLOP count (flops.ts): config.json, and the blocks its
 * onnx/model.onnx really computes when the exporter pruned it (Node only: reads files).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decoderShape, type DecoderShape, type LiveBlock } from './flops';
import { readMetadata } from './onnx-proto';

/** ONNX metadata key of model/gpt2.py's prune_dead_branches: {weight name: {shape, units?}}. */
const PRUNED_KEY = 'sgpt.pruned';

/** The live blocks of a pruned export, from its metadata (see PRUNED_KEY). */
function liveBlocks(shape: DecoderShape, pruned: Record<string, { units?: number[] }>): LiveBlock[] {
  return Array.from({ length: shape.layers }, (_, i) => {
    const mlp = pruned[`h.${i}.mlp.c_fc.weight`];
    return { attention: pruned[`h.${i}.attn.c_attn.weight`] === undefined, mlpUnits: mlp === undefined ? 4 * shape.dims : (mlp.units?.length ?? 0) };
  });
}

/** A model folder's shape: config.json, and the live blocks when its onnx/model.onnx was pruned. */
export function modelShape(folder: string): DecoderShape {
  const shape = decoderShape(JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>);
  const file = join(folder, 'onnx', 'model.onnx');
  const pruned = existsSync(file) ? readMetadata(readFileSync(file)).get(PRUNED_KEY) : undefined;
  return pruned === undefined ? shape : { ...shape, live: liveBlocks(shape, JSON.parse(pruned) as Record<string, { units?: number[] }>) };
}
