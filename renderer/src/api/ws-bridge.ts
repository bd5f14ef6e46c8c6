// The contract over the headless host's WebSocket, exposing exactly what the Electron preload exposes (send and
// subscribe), so nothing above this file knows which host it talks to. The socket authenticates with the HttpOnly
// cookie the host set when the page was opened with its token.
import { decodeFrame, encodeFrame } from '../../../shared/codec';
import type { Bridge, ClientMessage, ServerMessage } from '../../../shared/protocol';

export function webSocketUrl(loc: Pick<Location, 'protocol' | 'host'> = location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}

export function createWebSocketBridge(url = webSocketUrl()): Bridge {
  const listeners = new Set<(m: unknown) => void>();
  const queued: (string | Uint8Array)[] = [];
  const socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  let closedReason: string | null = null;

  // Frames are decoded here and parsed with serverMessageSchema by the client (shared/client.ts).
  const emit = (m: unknown) => listeners.forEach((l) => l(m));
  const closed = (reason: string): ServerMessage => ({ t: 'closed', reason });

  socket.addEventListener('open', () => {
    for (const f of queued) socket.send(f);
    queued.length = 0;
  });
  socket.addEventListener('message', (ev: MessageEvent<string | ArrayBuffer>) => {
    let msg: unknown;
    try {
      msg = decodeFrame(ev.data);
    } catch {
      return; // a malformed frame is not a message
    }
    emit(msg);
  });
  socket.addEventListener('close', (ev) => {
    closedReason = ev.reason || `the connection closed (code ${ev.code})`;
    emit(closed(closedReason));
  });

  return {
    send(message: ClientMessage) {
      const frame = encodeFrame(message);
      if (socket.readyState === WebSocket.OPEN) socket.send(frame);
      else if (socket.readyState === WebSocket.CONNECTING) queued.push(frame);
      else queueMicrotask(() => emit(closed(closedReason ?? 'the connection is closed')));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
