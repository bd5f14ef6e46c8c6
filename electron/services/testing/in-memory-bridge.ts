// TEST HELPER: connects a contract client straight to a ContractServer peer, cloning every message the way Electron
// IPC does (structured clone), so tests exercise the real validation and serialisation boundary.
import type { Bridge, ClientMessage } from '../../../shared/protocol';
import type { ContractServer, Peer } from '../server';

export function inMemoryBridge(server: ContractServer): { bridge: Bridge; peer: Peer; sendRaw(raw: unknown): void } {
  const listeners = new Set<(m: unknown) => void>();
  const peer = server.connect({
    send: (m) => {
      const copy = structuredClone(m);
      queueMicrotask(() => listeners.forEach((l) => l(copy)));
    },
  });
  const bridge: Bridge = {
    send: (m: ClientMessage) => peer.receive(structuredClone(m)),
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return { bridge, peer, sendRaw: (raw) => peer.receive(raw) };
}
