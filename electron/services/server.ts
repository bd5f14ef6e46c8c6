// The contract's server side, independent of transport: Electron IPC and the headless host's WebSocket both hand it
// raw messages from a connection. It validates every envelope and payload with zod, fails fast on unknown methods and
// versions, enforces roles, audits engineer actions, cancels long requests, and ends a connection's requests and
// subscriptions when it closes (subscriptions die with their window).
import type { z } from 'zod';
import { AppError, toAppError } from '../../shared/errors';
import { CONTRACT_VERSION, isMethod, isTopic, methodDef, topicDef } from '../../shared/contract';
import type { MethodName, MethodOutput, ParsedInput, TopicEvent, TopicName } from '../../shared/contract';
import type { Progress } from '../../shared/domain';
import { clientMessageSchema } from '../../shared/protocol';
import type { ClientMessage, ServerMessage } from '../../shared/protocol';
import type { AuditLog } from './audit';
import { Session } from './auth';

export interface CallContext {
  session: Session;
  signal: AbortSignal;
  progress(p: Progress): void;
}

export type Handlers = {
  [M in MethodName]: (input: ParsedInput<M>, ctx: CallContext) => Promise<MethodOutput<M>> | MethodOutput<M>;
};

export type Topics = {
  [T in TopicName]: (ctx: { session: Session }, emit: (event: TopicEvent<T>) => void) => () => void;
};

export interface Connection {
  send(message: ServerMessage): void;
}

export interface Peer {
  readonly session: Session;
  receive(raw: unknown): void;
  close(): void;
}

export interface ServerOptions {
  audit: AuditLog;
  /** Check every response against its schema too (tests and development). */
  validateOutputs?: boolean;
  log?: (message: string) => void;
}

function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/** Audit details: the request without secrets or bulk bytes. */
function auditDetails(input: unknown): Record<string, unknown> {
  if (!input || typeof input !== 'object') return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    if (k === 'pin' || v instanceof Uint8Array) continue;
    out[k] = v;
  }
  return out;
}

function auditTarget(input: unknown): string | null {
  if (!input || typeof input !== 'object') return null;
  const o = input as Record<string, unknown>;
  for (const k of ['id', 'modelId', 'name', 'dir']) if (typeof o[k] === 'string' || typeof o[k] === 'number') return String(o[k]);
  if (Array.isArray(o.ids)) return o.ids.join(',');
  return null;
}

export class ContractServer {
  private readonly peers = new Set<Peer>();

  constructor(
    private readonly handlers: Handlers,
    private readonly topics: Topics,
    private readonly opts: ServerOptions,
  ) {}

  get connections(): number {
    return this.peers.size;
  }

  connect(conn: Connection): Peer {
    const session = new Session();
    const requests = new Map<number, AbortController>();
    const subs = new Map<number, () => void>();
    let closed = false;
    const send = (m: ServerMessage) => {
      if (closed) return;
      try {
        conn.send(m);
      } catch (e) {
        this.opts.log?.(`send failed: ${(e as Error).message}`);
      }
    };
    const fail = (id: number, e: unknown) => send({ t: 'err', id, error: toAppError(e).toJSON() });

    const onRequest = async (msg: Extract<ClientMessage, { t: 'req' }>) => {
      const { id, method } = msg;
      if (msg.v !== CONTRACT_VERSION) {
        throw new AppError(
          'VERSION_MISMATCH',
          `This window speaks contract version ${msg.v} but the workstation speaks ${CONTRACT_VERSION}. Reload the window.`,
        );
      }
      if (!isMethod(method)) throw new AppError('UNKNOWN_METHOD', `Unknown method "${method}".`);
      if (requests.has(id)) throw new AppError('BAD_REQUEST', `Request id ${id} is already in use.`);
      const def = methodDef(method);
      const parsed = def.input.safeParse(msg.input);
      if (!parsed.success) {
        throw new AppError('BAD_REQUEST', `Invalid request to ${method}: ${describeIssues(parsed.error.issues)}.`, {
          issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
        });
      }
      const roleBefore = session.current();
      if (def.access === 'engineer' && roleBefore !== 'engineer') {
        this.opts.audit.write({ role: roleBefore, action: method, target: auditTarget(parsed.data), ok: false, details: { reason: 'engineer PIN required' } });
        throw new AppError('PIN_REQUIRED', 'This needs the engineer PIN.');
      }
      session.touch();
      const ac = new AbortController();
      requests.set(id, ac);
      const ctx: CallContext = {
        session,
        signal: ac.signal,
        progress: def.long ? (p) => send({ t: 'progress', id, data: p }) : () => {},
      };
      const handler = this.handlers[method] as (input: unknown, ctx: CallContext) => unknown;
      try {
        let out = await handler(parsed.data, ctx);
        if (ac.signal.aborted) throw new AppError('CANCELLED', 'Cancelled.');
        if (this.opts.validateOutputs) {
          const check = def.output.safeParse(out);
          if (!check.success) throw new AppError('INTERNAL', `Response of ${method} breaks the contract: ${describeIssues(check.error.issues)}`);
          out = check.data;
        }
        if (def.audited) this.opts.audit.write({ role: session.current(), action: method, target: auditTarget(parsed.data), ok: true, details: auditDetails(parsed.data) });
        send({ t: 'res', id, ok: true, data: out });
      } catch (e) {
        const err = ac.signal.aborted ? new AppError('CANCELLED', 'Cancelled.') : toAppError(e);
        if (def.audited) {
          this.opts.audit.write({
            role: session.current(),
            action: method,
            target: auditTarget(parsed.data),
            ok: false,
            details: { ...auditDetails(parsed.data), error: err.code, message: err.message },
          });
        }
        throw err;
      } finally {
        requests.delete(id);
      }
    };

    const onSubscribe = (msg: Extract<ClientMessage, { t: 'sub' }>) => {
      if (msg.v !== CONTRACT_VERSION) throw new AppError('VERSION_MISMATCH', `Contract version ${msg.v} is not ${CONTRACT_VERSION}. Reload the window.`);
      if (!isTopic(msg.topic)) throw new AppError('UNKNOWN_METHOD', `Unknown topic "${msg.topic}".`);
      if (subs.has(msg.id)) throw new AppError('BAD_REQUEST', `Subscription id ${msg.id} is already in use.`);
      const parsed = topicDef(msg.topic).input.safeParse(msg.input);
      if (!parsed.success) throw new AppError('BAD_REQUEST', `Invalid subscription to ${msg.topic}: ${describeIssues(parsed.error.issues)}.`);
      const start = this.topics[msg.topic] as (ctx: { session: Session }, emit: (e: unknown) => void) => () => void;
      subs.set(msg.id, start({ session }, (data) => send({ t: 'evt', id: msg.id, data })));
    };

    const peer: Peer = {
      session,
      receive: (raw) => {
        if (closed) return;
        const env = clientMessageSchema.safeParse(raw);
        if (!env.success) {
          const id = (raw as { id?: unknown } | null)?.id;
          const message = `Malformed message: ${describeIssues(env.error.issues)}.`;
          if (typeof id === 'number' && Number.isInteger(id) && id >= 0) send({ t: 'err', id, error: { code: 'BAD_REQUEST', message } });
          else this.opts.log?.(message);
          return;
        }
        const msg = env.data;
        switch (msg.t) {
          case 'req':
            onRequest(msg).catch((e: unknown) => fail(msg.id, e));
            return;
          case 'cancel':
            requests.get(msg.id)?.abort();
            return;
          case 'sub':
            try {
              onSubscribe(msg);
            } catch (e) {
              send({ t: 'end', id: msg.id, error: toAppError(e).toJSON() });
            }
            return;
          case 'unsub': {
            const off = subs.get(msg.id);
            subs.delete(msg.id);
            off?.();
            return;
          }
        }
      },
      close: () => {
        if (closed) return;
        closed = true;
        for (const ac of requests.values()) ac.abort();
        requests.clear();
        for (const off of subs.values()) off();
        subs.clear();
        session.dispose();
        this.peers.delete(peer);
      },
    };
    this.peers.add(peer);
    return peer;
  }

  closeAll(): void {
    for (const p of [...this.peers]) p.close();
  }
}
