// Electron IPC as a transport for the contract server: one channel; one peer (session) per window's page. A page's
// requests are cancelled and its subscriptions end when it navigates, reloads or its window is destroyed.
import { CHANNEL } from '../../shared/channel';
import type { ContractServer, Peer } from '../services/server';
import type { ServerMessage } from '../../shared/protocol';
import { isAppUrl } from './window-options';

export interface WebContentsLike {
  id: number;
  send(channel: string, message: unknown): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
  on(event: 'did-navigate' | 'render-process-gone', listener: () => void): unknown;
}

export interface IpcEventLike {
  sender: WebContentsLike;
  senderFrame: { url: string } | null;
}

export interface IpcMainLike {
  on(channel: string, listener: (event: IpcEventLike, message: unknown) => void): unknown;
  removeAllListeners(channel: string): unknown;
}

export function attachIpc(ipc: IpcMainLike, server: ContractServer, log: (m: string) => void = () => {}): () => void {
  const peers = new Map<number, Peer>();

  const tracked = new Set<number>();

  const end = (id: number) => {
    const peer = peers.get(id);
    peers.delete(id);
    peer?.close();
  };

  const peerFor = (wc: WebContentsLike): Peer => {
    const existing = peers.get(wc.id);
    if (existing) return existing;
    const peer = server.connect({
      send: (m: ServerMessage) => {
        if (!wc.isDestroyed()) wc.send(CHANNEL, m);
      },
    });
    peers.set(wc.id, peer);
    if (!tracked.has(wc.id)) {
      // Once per window: the listeners end whichever page's session is current.
      tracked.add(wc.id);
      wc.once('destroyed', () => {
        tracked.delete(wc.id);
        end(wc.id);
      });
      wc.on('did-navigate', () => end(wc.id));
      wc.on('render-process-gone', () => end(wc.id));
    }
    return peer;
  };

  ipc.on(CHANNEL, (event, message) => {
    // Only the app's own page: never a frame that navigated elsewhere or an embedded document.
    if (!isAppUrl(event.senderFrame?.url)) {
      log(`ignored a contract message from ${event.senderFrame?.url ?? 'an unknown frame'}`);
      return;
    }
    peerFor(event.sender).receive(message);
  });

  return () => {
    ipc.removeAllListeners(CHANNEL);
    for (const p of peers.values()) p.close();
    peers.clear();
  };
}
