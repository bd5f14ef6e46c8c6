// What the preload exposes to the renderer, and nothing else: send and subscribe on the one contract channel.
// Kept free of Electron imports so it can be tested (and so the sandboxed preload bundle stays tiny).
import { CHANNEL } from '../../shared/channel';
import type { Bridge, ClientMessage } from '../../shared/protocol';

export interface IpcRendererLike {
  send(channel: string, message: unknown): void;
  on(channel: string, listener: (event: unknown, message: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, message: unknown) => void): unknown;
}

export function createPreloadBridge(ipc: IpcRendererLike): Bridge {
  return {
    send(message: ClientMessage) {
      ipc.send(CHANNEL, message);
    },
    subscribe(listener: (message: unknown) => void) {
      // The IPC event object never reaches the page: it would hand it `sender` and `ports`. The message is parsed by
      // the renderer's client (shared/client.ts), as the WebSocket's are.
      const wrapped = (_event: unknown, message: unknown) => listener(message);
      ipc.on(CHANNEL, wrapped);
      return () => {
        ipc.removeListener(CHANNEL, wrapped);
      };
    },
  };
}
