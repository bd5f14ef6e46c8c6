// What the line outputs say about a part: one JSON document per result (MQTT, the HTTP results API), and the live
// state a PLC polls (OPC UA variables, Modbus coils and registers): last verdict, score, part, counters.
import { hostname } from 'node:os';
import type { InspectionRecord, InspectionResult, Verdict } from '../../../shared/domain';

export interface ResultPayload {
  /** The record's id: increasing, so a consumer can spot a gap or a repeat (QoS 1 may deliver twice). */
  recordId: number;
  at: string;
  source: string;
  /** The part: the file name in the hot folder (relative path with --recursive), or the camera's name. */
  part: string;
  verdict: Verdict;
  score: number;
  normalizedScore: number;
  threshold: number;
  modelId: string;
  latencyMs: number;
  station: string;
}

const STATION = hostname();

export function resultPayload(r: InspectionRecord): ResultPayload {
  return {
    recordId: r.id,
    at: new Date(r.at).toISOString(),
    source: r.source,
    part: r.sourceName,
    verdict: r.verdict,
    score: r.score,
    normalizedScore: r.normalizedScore,
    threshold: r.threshold,
    modelId: r.modelId,
    latencyMs: Math.round(r.latencyMs * 100) / 100,
    station: STATION,
  };
}

/** The live state behind OPC UA and Modbus: the last result and counters since the station started. */
export class LineState {
  last: InspectionResult | null = null;
  ok = 0;
  ng = 0;
  private readonly listeners = new Set<() => void>();

  constructor(
    /** Whether a part is being scored now (the "busy" signal). */
    readonly busy: () => boolean,
    /** The active model's id and version. */
    readonly model: () => { id: string; version: number } | null,
  ) {}

  get total(): number {
    return this.ok + this.ng;
  }

  record(r: InspectionResult): void {
    this.last = r;
    if (r.verdict === 'OK') this.ok++;
    else this.ng++;
    for (const l of this.listeners) l();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
