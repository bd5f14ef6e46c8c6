// Builds small ONNX graphs in memory for tests: a float "trunk" with taps at strides 8 and 16 (the shape of the
// WideResNet card) and a head that the tap rewrite must prune. Deterministic weights so outputs can be checked by hand.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;

function floatTensor(name: string, dims: number[], values: number[]): onnxProto.onnx.ITensorProto {
  return { name, dims, dataType: DT.FLOAT, floatData: values };
}

function ints(name: string, values: number[]): onnxProto.onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: values };
}

/** 1×1 conv weights [out, in, 1, 1]: w[o][i] = ((o % 7) − 3 + 1 / (i + 2)) / in, fixed so tests can recompute outputs. */
export function tinyWeight(out: number, inp: number): number[] {
  const w: number[] = [];
  for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) w.push(((o % 7) - 3 + 1 / (i + 2)) / inp);
  return w;
}

export const TINY = { c2: 4, c3: 6 };

/**
 * input [N,3,H,W] → AveragePool 8/8 → Conv 3→c2 = "layer2" (stride 8) → AveragePool 2/2 → Conv c2→c3 = "layer3"
 * (stride 16) → GlobalAveragePool = "head" (the only declared output).
 */
export function tinyTrunkOnnx(c2 = TINY.c2, c3 = TINY.c3): Uint8Array {
  const dim = (p: string) => ({ dimParam: p });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'patchline-test',
    graph: {
      name: 'tiny-trunk',
      input: [{ name: 'input', type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [dim('n'), { dimValue: 3 }, dim('h'), dim('w')] } } } }],
      output: [{ name: 'head', type: { tensorType: { elemType: DT.FLOAT } } }],
      initializer: [floatTensor('w2', [c2, 3, 1, 1], tinyWeight(c2, 3)), floatTensor('w3', [c3, c2, 1, 1], tinyWeight(c3, c2))],
      node: [
        { opType: 'AveragePool', input: ['input'], output: ['p8'], attribute: [ints('kernel_shape', [8, 8]), ints('strides', [8, 8])] },
        { opType: 'Conv', input: ['p8', 'w2'], output: ['layer2'] },
        { opType: 'AveragePool', input: ['layer2'], output: ['p16'], attribute: [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])] },
        { opType: 'Conv', input: ['p16', 'w3'], output: ['layer3'] },
        { opType: 'GlobalAveragePool', input: ['layer3'], output: ['head'] },
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
