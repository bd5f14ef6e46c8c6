// The renderer's typed client, built on a Bridge (Electron preload or WebSocket): the same code on either host.
import { AppError } from './errors';
import { CONTRACT_VERSION, isMethod, isTopic } from './contract';
import type { MethodInput, MethodName, MethodOutput, TopicEvent, TopicInput, TopicName } from './contract';
import type { Progress } from './domain';
import { serverMessageSchema, type Bridge, type ServerMessage } from './protocol';

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface Client {
  call<M extends MethodName>(method: M, input: MethodInput<M>, opts?: CallOptions): Promise<MethodOutput<M>>;
  subscribe<T extends TopicName>(
    topic: T,
    input: TopicInput<T>,
    onEvent: (event: TopicEvent<T>) => void,
    onEnd?: (error?: AppError) => void,
  ): () => void;
  /** Rejects everything pending and detaches from the bridge. */
  close(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: AppError): void;
  onProgress?: (p: Progress) => void;
  cleanup(): void;
}

interface Subscription {
  onEvent(event: unknown): void;
  onEnd?: (error?: AppError) => void;
}

export function createClient(bridge: Bridge): Client {
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const subs = new Map<number, Subscription>();

  function failAll(error: AppError): void {
    for (const [id, p] of pending) {
      pending.delete(id);
      p.cleanup();
      p.reject(error);
    }
    for (const [id, s] of subs) {
      subs.delete(id);
      s.onEnd?.(error);
    }
  }

  function onMessage(msg: ServerMessage): void {
    switch (msg.t) {
      case 'res':
      case 'err': {
        const p = pending.get(msg.id);
        if (!p) return; // cancelled by us already
        pending.delete(msg.id);
        p.cleanup();
        if (msg.t === 'res') p.resolve(msg.data);
        else p.reject(AppError.from(msg.error));
        return;
      }
      case 'progress':
        pending.get(msg.id)?.onProgress?.(msg.data);
        return;
      case 'evt':
        subs.get(msg.id)?.onEvent(msg.data);
        return;
      case 'end': {
        const s = subs.get(msg.id);
        subs.delete(msg.id);
        s?.onEnd?.(msg.error ? AppError.from(msg.error) : undefined);
        return;
      }
      case 'closed':
        failAll(new AppError('DISCONNECTED', `Lost the connection to the workstation (${msg.reason}).`));
        return;
    }
  }

  /** Every incoming message is checked against the envelope schema; a malformed reply fails its call instead of hanging. */
  function onRaw(raw: unknown): void {
    const parsed = serverMessageSchema.safeParse(raw);
    if (parsed.success) return onMessage(parsed.data);
    const id = raw !== null && typeof raw === 'object' && 'id' in raw && typeof raw.id === 'number' ? raw.id : null;
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ');
    const p = id === null ? undefined : pending.get(id);
    if (id !== null && p) {
      pending.delete(id);
      p.cleanup();
      p.reject(new AppError('INTERNAL', `The workstation sent a malformed reply (${why}).`));
    } else console.warn(`[patchline] dropped a malformed message from the workstation (${why})`);
  }

  const detach = bridge.subscribe(onRaw);

  return {
    call<M extends MethodName>(method: M, input: MethodInput<M>, opts: CallOptions = {}): Promise<MethodOutput<M>> {
      if (!isMethod(method)) return Promise.reject(new AppError('UNKNOWN_METHOD', `Unknown method "${String(method)}".`));
      const { signal, onProgress } = opts;
      if (signal?.aborted) return Promise.reject(new AppError('CANCELLED', 'Cancelled.'));
      const id = nextId++;
      return new Promise<MethodOutput<M>>((resolve, reject) => {
        const onAbort = () => {
          if (!pending.has(id)) return;
          pending.delete(id);
          bridge.send({ t: 'cancel', id });
          reject(new AppError('CANCELLED', 'Cancelled.'));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        pending.set(id, {
          resolve: (v) => resolve(v as MethodOutput<M>),
          reject,
          onProgress,
          cleanup: () => signal?.removeEventListener('abort', onAbort),
        });
        bridge.send({ t: 'req', id, v: CONTRACT_VERSION, method, input });
      });
    },

    subscribe(topic, input, onEvent, onEnd) {
      if (!isTopic(topic)) {
        onEnd?.(new AppError('UNKNOWN_METHOD', `Unknown topic "${String(topic)}".`));
        return () => {};
      }
      const id = nextId++;
      subs.set(id, { onEvent: onEvent as (e: unknown) => void, onEnd });
      bridge.send({ t: 'sub', id, v: CONTRACT_VERSION, topic, input });
      return () => {
        if (subs.delete(id)) bridge.send({ t: 'unsub', id });
      };
    },

    close() {
      detach();
      failAll(new AppError('DISCONNECTED', 'The client was closed.'));
    },
  };
}
