// The contract over the headless host's WebSocket, exposing exactly what the Electron preload exposes (send and
// subscribe), so nothing above this file knows which host it talks to. The socket authenticates with the HttpOnly
// cookie the host set when the page was opened with its token.
import { decodeFrame, encodeFrame } from '../../../shared/codec';
import type { Bridge, ClientMessage, ServerMessage } from '../../../shared/protocol';

export function webSocketUrl(loc: Pick<Location, 'protocol' | 'host'> = location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}

export function createWebSocketBridge(url = webSocketUrl()): Bridge {
  const listeners = new Set<(m: ServerMessage) => void>();
  const queued: (string | Uint8Array)[] = [];
  const socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  let closedReason: string | null = null;

  const emit = (m: ServerMessage) => listeners.forEach((l) => l(m));

  socket.addEventListener('open', () => {
    for (const f of queued) socket.send(f);
    queued.length = 0;
  });
  socket.addEventListener('message', (ev: MessageEvent<string | ArrayBuffer>) => {
    let msg: ServerMessage;
    try {
      msg = decodeFrame(ev.data) as ServerMessage;
    } catch {
      return; // a malformed frame is not a message
    }
    emit(msg);
  });
  socket.addEventListener('close', (ev) => {
    closedReason = ev.reason || `the connection closed (code ${ev.code})`;
    emit({ t: 'closed', reason: closedReason });
  });

  return {
    send(message: ClientMessage) {
      const frame = encodeFrame(message);
      if (socket.readyState === WebSocket.OPEN) socket.send(frame);
      else if (socket.readyState === WebSocket.CONNECTING) queued.push(frame);
      else queueMicrotask(() => emit({ t: 'closed', reason: closedReason ?? 'the connection is closed' }));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
