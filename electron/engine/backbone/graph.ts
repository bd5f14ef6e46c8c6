// Rewrites an ONNX graph in memory so the tapped feature tensors become its only outputs, and drops every node that
// does not feed them (the classifier head is wasted work for PatchCore). Parsed with onnx-proto, no Python.
import onnxProto from 'onnx-proto';
import type { TapSpec } from './card';

const { onnx } = onnxProto;
type TensorProto = onnxProto.onnx.ITensorProto;
const DT = onnx.TensorProto.DataType;

export interface Dequant {
  scale: number;
  zeroPoint: number;
  /** The integer type the tensor arrives in. */
  type: 'uint8' | 'int8';
}

export interface TappedGraph {
  bytes: Uint8Array;
  inputName: string;
  /** Per tap name: how to dequantize it (absent for float taps). */
  dequant: Map<string, Dequant>;
  nodesKept: number;
  nodesTotal: number;
}

function scalarOf(t: TensorProto, what: string): number {
  const count = (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1);
  if (count !== 1) throw new Error(`${what} (${t.name}) must be a scalar, it has ${count} elements`);
  const raw = t.rawData && t.rawData.length ? t.rawData : null;
  switch (t.dataType) {
    case DT.FLOAT:
      if (raw) return new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getFloat32(0, true);
      return Number(t.floatData?.[0]);
    case DT.UINT8:
      return raw ? raw[0] : Number(t.int32Data?.[0]);
    case DT.INT8:
      return raw ? new Int8Array(raw.buffer, raw.byteOffset, 1)[0] : Number(t.int32Data?.[0]);
    default:
      throw new Error(`${what} (${t.name}) has unsupported data type ${t.dataType}`);
  }
}

function hasSubgraph(node: onnxProto.onnx.INodeProto): boolean {
  return (node.attribute ?? []).some((a) => a.g || (a.graphs && a.graphs.length));
}

/**
 * `inputSize`, when given, fixes the input's spatial dims to that side (fully convolutional trunks run at other
 * sizes than the card's, e.g. 320) and drops stored intermediate shapes, which would then be stale.
 */
export function tapGraph(modelBytes: Uint8Array, taps: TapSpec[], source = 'model', inputSize?: number): TappedGraph {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(modelBytes);
  } catch (err) {
    throw new Error(`${source} is not a valid ONNX model: ${(err as Error).message}`, { cause: err });
  }
  const graph = model.graph;
  if (!graph) throw new Error(`${source} has no graph`);
  const nodes = graph.node ?? [];
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const produced = new Set(nodes.flatMap((n) => n.output ?? []));
  const realInputs = (graph.input ?? []).filter((i) => !initializers.has(i.name ?? ''));
  if (realInputs.length !== 1) {
    throw new Error(`${source} must have exactly one image input, it has ${realInputs.length}: ${realInputs.map((i) => i.name).join(', ')}`);
  }

  if (inputSize) {
    const dims = realInputs[0].type?.tensorType?.shape?.dim;
    if (dims && dims.length === 4) {
      const [h, w] = [dims[2], dims[3]];
      const fixed = (d: onnxProto.onnx.TensorShapeProto.IDimension) => d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0;
      if (!(fixed(h) && fixed(w) && Number(h.dimValue) === inputSize && Number(w.dimValue) === inputSize)) {
        dims[2] = { dimValue: inputSize };
        dims[3] = { dimValue: inputSize };
        graph.valueInfo = [];
      }
    }
  }

  const dequant = new Map<string, Dequant>();
  const outputs: onnxProto.onnx.IValueInfoProto[] = [];
  const known = new Map([...(graph.valueInfo ?? []), ...(graph.output ?? [])].map((v) => [v.name ?? '', v]));
  for (const tap of taps) {
    if (!produced.has(tap.name)) {
      const sample = [...produced].filter((n) => !initializers.has(n)).slice(0, 8).join(', ');
      throw new Error(`${source} has no tensor "${tap.name}" to tap (tensors look like: ${sample}, ...)`);
    }
    let elemType: number = DT.FLOAT;
    if (tap.quant) {
      const s = initializers.get(tap.quant.scale);
      const z = initializers.get(tap.quant.zeroPoint);
      if (!s) throw new Error(`${source} has no initializer "${tap.quant.scale}" (scale of ${tap.name})`);
      if (!z) throw new Error(`${source} has no initializer "${tap.quant.zeroPoint}" (zero point of ${tap.name})`);
      const type = z.dataType === DT.INT8 ? 'int8' : 'uint8';
      dequant.set(tap.name, { scale: scalarOf(s, 'scale'), zeroPoint: scalarOf(z, 'zero point'), type });
      elemType = type === 'int8' ? DT.INT8 : DT.UINT8;
    }
    const existing = known.get(tap.name);
    outputs.push(existing ?? onnx.ValueInfoProto.create({ name: tap.name, type: { tensorType: { elemType } } }));
  }
  graph.output = outputs;

  // Nodes are stored in topological order, so one backward sweep finds everything the taps depend on.
  const nodesTotal = nodes.length;
  if (!nodes.some(hasSubgraph)) {
    const needed = new Set(taps.map((t) => t.name));
    const keep: boolean[] = new Array(nodes.length).fill(false);
    for (let i = nodes.length - 1; i >= 0; i--) {
      if ((nodes[i].output ?? []).some((o) => needed.has(o))) {
        keep[i] = true;
        for (const inp of nodes[i].input ?? []) if (inp) needed.add(inp);
      }
    }
    graph.node = nodes.filter((_, i) => keep[i]);
    graph.initializer = (graph.initializer ?? []).filter((t) => needed.has(t.name ?? ''));
    graph.input = (graph.input ?? []).filter((i) => needed.has(i.name ?? '') || !initializers.has(i.name ?? ''));
    graph.valueInfo = (graph.valueInfo ?? []).filter((v) => needed.has(v.name ?? ''));
  }
  return {
    bytes: onnx.ModelProto.encode(model).finish(),
    inputName: realInputs[0].name ?? '',
    dequant,
    nodesKept: graph.node?.length ?? 0,
    nodesTotal,
  };
}
