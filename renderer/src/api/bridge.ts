// Picks the transport: the Electron preload's bridge when present, else the headless host's WebSocket. Both have the
// same two functions; the rest of the renderer only ever sees a Client.
import { createClient, type Client } from '../../../shared/client';
import type { Bridge } from '../../../shared/protocol';
import { createWebSocketBridge } from './ws-bridge';

declare global {
  interface Window {
    patchline?: Bridge;
  }
}

export function connect(): Client {
  return createClient(window.patchline ?? createWebSocketBridge());
}
