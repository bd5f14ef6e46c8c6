// WebSocket framing for contract messages. Electron IPC clones typed arrays natively; a WebSocket does not, and base64
// in JSON would cost a third more bytes and a copy per camera frame. A message without binary parts is a JSON text
// frame; one with Uint8Array parts is a binary frame:
//   u32 LE header length | header (UTF-8 JSON, each part replaced by {"$bin": n}) | per part: u32 LE length | bytes
const BIN = '$bin';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function extract(value: unknown, parts: Uint8Array[]): unknown {
  if (value instanceof Uint8Array) {
    parts.push(value);
    return { [BIN]: parts.length - 1 };
  }
  if (Array.isArray(value)) return value.map((v) => extract(v, parts));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === BIN) throw new Error(`A contract message may not use the reserved key "${BIN}".`);
      if (v !== undefined) out[k] = extract(v, parts);
    }
    return out;
  }
  return value;
}

function revive(value: unknown, parts: Uint8Array[]): unknown {
  if (Array.isArray(value)) return value.map((v) => revive(v, parts));
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0] === BIN) {
      const part = parts[obj[BIN] as number];
      if (!part) throw new Error(`Binary part ${String(obj[BIN])} is missing from the frame.`);
      return part;
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = revive(obj[k], parts);
    return out;
  }
  return value;
}

export function encodeFrame(message: unknown): string | Uint8Array {
  const parts: Uint8Array[] = [];
  const header = extract(message, parts);
  const json = JSON.stringify(header);
  if (parts.length === 0) return json;
  const head = encoder.encode(json);
  const total = 4 + head.byteLength + parts.reduce((n, p) => n + 4 + p.byteLength, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, head.byteLength, true);
  out.set(head, 4);
  let at = 4 + head.byteLength;
  for (const p of parts) {
    view.setUint32(at, p.byteLength, true);
    out.set(p, at + 4);
    at += 4 + p.byteLength;
  }
  return out;
}

/** Throws on a malformed frame; the caller treats that as a protocol error, never as a message. */
export function decodeFrame(frame: string | ArrayBuffer | Uint8Array): unknown {
  if (typeof frame === 'string') return JSON.parse(frame);
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  if (bytes.byteLength < 4) throw new Error('Frame too short.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headLen = view.getUint32(0, true);
  if (4 + headLen > bytes.byteLength) throw new Error('Frame header overruns the frame.');
  const header: unknown = JSON.parse(decoder.decode(bytes.subarray(4, 4 + headLen)));
  const parts: Uint8Array[] = [];
  let at = 4 + headLen;
  while (at < bytes.byteLength) {
    if (at + 4 > bytes.byteLength) throw new Error('Truncated binary part length.');
    const len = view.getUint32(at, true);
    if (at + 4 + len > bytes.byteLength) throw new Error('Binary part overruns the frame.');
    // A copy, so a part never pins (or aliases) the whole frame's buffer.
    parts.push(bytes.slice(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return revive(header, parts);
}
