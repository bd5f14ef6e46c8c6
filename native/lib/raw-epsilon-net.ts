// Raw shape of the epsilon-net export of the addon (native/src/epsilon_net_wrap.cc). Only epsilon-net.ts uses it.
import type { RawCancelToken } from './binding';

/** Every call resolves to its value plus the net's size and radius after the call. */
export interface RawNetReply<T> {
  value: T;
  size: number;
  radius: number;
}

export interface RawAddValue {
  added: Uint32Array;
  uncovered: number;
  scanned: number;
  skipped: number;
}

export interface RawEpsilonNet {
  train(sample: Float32Array, seed: number, token?: RawCancelToken): Promise<RawNetReply<undefined>>;
  setCentroids(centroids: Float32Array): Promise<RawNetReply<undefined>>;
  add(batch: Float32Array): Promise<RawNetReply<RawAddValue>>;
  append(vectors: Float32Array): Promise<RawNetReply<undefined>>;
  rethin(target: number, growth: number, token?: RawCancelToken): Promise<RawNetReply<Uint32Array>>;
  exportVectors(): Promise<RawNetReply<Float32Array>>;
  centroids(): Promise<RawNetReply<Float32Array>>;
  nearest(queries: Float32Array): Promise<RawNetReply<Float32Array>>;
  setRadius(radius: number): Promise<RawNetReply<undefined>>;
  close(): Promise<RawNetReply<undefined>>;
}

export interface RawEpsilonNetBinding {
  EpsilonNet: new (dim: number, nlist: number, nprobe: number, radius: number) => RawEpsilonNet;
}
