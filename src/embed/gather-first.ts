/**
 * Gather first, dequantise after: a load-time rewrite of the token-embedding lookup of
 * weight-only quantised models (model/quantize.py writes `wte = Cast(int8) * scale (+ exact
 * columns)`, then `Gather(wte, ids)`).
 *
 * onnxruntime constant-folds that table back to fp32 at session start: for sgpt-nano, 15 M values
 * through four ops, most of the session's build (0.76 of 0.8 s in onnxruntime-node, half of it in
 * a Chromium worker), and 60 MB per session. The browser worker applies this rewrite to every
 * ONNX file it loads (src/worker/model-files). The same values come out when the
 * rows are gathered first and only they are dequantised: every op on the path is row-wise
 * (elementwise with per-row or broadcast constants, or a MatMul by a constant on the right), so
 * the rewrite is exact, bit for bit. Anything else (another consumer of the table, an op that
 * mixes rows, a reshape) leaves the model as it was.
 */
import {
  GRAPH_INITIALIZER,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  GRAPH_VALUE_INFO,
  MODEL_GRAPH,
  bytesField,
  concat,
  fieldHead,
  encodeNode,
  readNode,
  readTensorHeader,
  readValueName,
  scanFields,
  type OnnxNode,
  type RawField,
  type TensorHeader,
} from './onnx-proto';

/** Ops that act on each row of a [rows, ...] table alone. */
const ELEMENTWISE = new Set(['Cast', 'Mul', 'Add', 'Sub', 'Div']);

interface Graph {
  nodes: OnnxNode[];
  initializers: Map<string, TensorHeader>;
  producer: Map<string, number>;
  consumers: Map<string, number>;
}

/** The nodes computing `value` from initializers alone, row-wise, used by nothing else; null if it is not such a chain. */
function rowwiseChain(graph: Graph, value: string, rows: { count: number }, chain: Set<number>, leaves: Set<string>): boolean {
  const initializer = graph.initializers.get(value);
  if (initializer !== undefined) {
    // A table the rows index: gathered. A shape that broadcasts over the rows: kept.
    if (initializer.dims.length >= 2 && initializer.dims[0] !== 1) {
      if (rows.count !== 0 && rows.count !== initializer.dims[0]) return false;
      rows.count = initializer.dims[0]!;
      leaves.add(value);
    }
    return true;
  }
  const index = graph.producer.get(value);
  if (index === undefined || (graph.consumers.get(value) ?? 0) !== 1) return false;
  const node = graph.nodes[index]!;
  if (node.domain !== '' && node.domain !== 'ai.onnx') return false;
  if (node.outputs.length !== 1) return false;
  if (node.opType === 'MatMul') {
    // rows × constant: the right side must not be indexed by rows.
    const [left, right] = node.inputs;
    const rightInit = right === undefined ? undefined : graph.initializers.get(right);
    if (left === undefined || rightInit === undefined || rightInit.dims.length !== 2) return false;
    if (!rowwiseChain(graph, left, rows, chain, leaves)) return false;
  } else if (ELEMENTWISE.has(node.opType)) {
    for (const input of node.inputs) if (!rowwiseChain(graph, input, rows, chain, leaves)) return false;
  } else return false;
  chain.add(index);
  return true;
}

function readGraph(fields: RawField[]): Graph {
  const nodes: OnnxNode[] = [];
  const initializers = new Map<string, TensorHeader>();
  const consumers = new Map<string, number>();
  const use = (name: string) => consumers.set(name, (consumers.get(name) ?? 0) + 1);
  for (const f of fields) {
    if (f.field === GRAPH_NODE) nodes.push(readNode(f.body));
    else if (f.field === GRAPH_INITIALIZER) {
      const tensor = readTensorHeader(f.body);
      initializers.set(tensor.name, tensor);
    } else if (f.field === GRAPH_OUTPUT) use(readValueName(f.body));
  }
  const producer = new Map<string, number>();
  nodes.forEach((node, index) => {
    for (const output of node.outputs) producer.set(output, index);
    for (const input of node.inputs) if (input !== '') use(input);
  });
  return { nodes, initializers, producer, consumers };
}

/** The model with every embedding lookup of a quantised table gathered first; the same bytes when none applies. */
export function gatherFirst(model: Uint8Array): Uint8Array {
  const modelFields = scanFields(model);
  const graphField = modelFields.find((f) => f.field === MODEL_GRAPH);
  if (graphField === undefined) return model;
  const graphFields = scanFields(graphField.body);
  const graph = readGraph(graphFields);

  const removed = new Set<number>();
  /** Nodes to put in place of a Gather (by its index). */
  const replacements = new Map<number, OnnxNode[]>();
  graph.nodes.forEach((gather, at) => {
    const [table, indices] = gather.inputs;
    if (gather.opType !== 'Gather' || (gather.domain !== '' && gather.domain !== 'ai.onnx')) return;
    if ((gather.ints.get('axis') ?? 0) !== 0 || table === undefined || indices === undefined) return;
    if (graph.initializers.has(table)) return; // a stored table: nothing to fold
    const chain = new Set<number>();
    const leaves = new Set<string>();
    const rows = { count: 0 };
    if (!rowwiseChain(graph, table, rows, chain, leaves) || leaves.size === 0 || rows.count <= 1) return;
    const suffix = `/gathered:${gather.outputs[0]}`;
    const renamed = (name: string) => (leaves.has(name) || graph.producer.has(name) ? `${name}${suffix}` : name);
    const nodes: OnnxNode[] = [...leaves].map((leaf) => ({
      inputs: [leaf, indices],
      outputs: [`${leaf}${suffix}`],
      name: `${leaf}${suffix}`,
      opType: 'Gather',
      domain: '',
      ints: new Map(),
      rest: [],
    }));
    for (const index of [...chain].sort((a, b) => a - b)) {
      const node = graph.nodes[index]!;
      const outputs = node.outputs[0] === table ? gather.outputs : node.outputs.map(renamed);
      nodes.push({ ...node, inputs: node.inputs.map(renamed), outputs, name: node.name === '' ? '' : `${node.name}${suffix}` });
      removed.add(index);
    }
    replacements.set(at, nodes);
  });
  if (replacements.size === 0) return model;

  const gone = new Set<string>();
  for (const index of [...removed, ...replacements.keys()]) for (const output of graph.nodes[index]!.outputs) gone.add(output);
  for (const nodes of replacements.values()) for (const node of nodes) for (const output of node.outputs) gone.delete(output);

  const nodeFields = graphFields.filter((f) => f.field === GRAPH_NODE);
  const nodes: Uint8Array[] = [];
  nodeFields.forEach((field, index) => {
    const replacement = replacements.get(index);
    if (replacement !== undefined) nodes.push(...replacement.map((node) => bytesField(GRAPH_NODE, encodeNode(node))));
    else if (!removed.has(index)) nodes.push(field.raw);
  });
  // Shapes recorded for values that no longer exist would only confuse a reader of the file.
  const others = graphFields.filter((f) => f.field !== GRAPH_NODE && !(f.field === GRAPH_VALUE_INFO && gone.has(readValueName(f.body))));
  // One copy of the weights: the graph's parts go straight into the new model.
  const graphParts = [...nodes, ...others.map((f) => f.raw)];
  const graphHead = fieldHead(MODEL_GRAPH, graphParts.reduce((sum, part) => sum + part.length, 0));
  return concat(modelFields.flatMap((f) => (f === graphField ? [graphHead, ...graphParts] : [f.raw])));
}
