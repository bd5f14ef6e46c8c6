// TEST HELPER: a contract Bridge over a Node WebSocket (the `ws` package), framed exactly like the renderer's.
import WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../../../shared/codec';
import type { Bridge } from '../../../shared/protocol';

export async function nodeWsBridge(url: string, headers: Record<string, string> = {}): Promise<{ bridge: Bridge; socket: WebSocket }> {
  const socket = new WebSocket(url, { headers });
  const listeners = new Set<(m: unknown) => void>();
  socket.on('message', (data, isBinary) => {
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const msg = decodeFrame(isBinary ? new Uint8Array(buf) : buf.toString());
    listeners.forEach((l) => l(msg));
  });
  socket.on('close', () => listeners.forEach((l) => l({ t: 'closed', reason: 'socket closed' })));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return {
    socket,
    bridge: {
      send: (m) => socket.send(encodeFrame(m)),
      subscribe: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    },
  };
}
