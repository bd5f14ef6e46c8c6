// The envelopes that travel on the one channel (Electron IPC message or WebSocket frame). Ids are chosen by the client,
// unique per connection; a request gets exactly one `res`; a subscription gets `evt`s until `unsub` or `end`.
import { z } from 'zod';
import { appErrorSchema } from './errors';
import { progressSchema } from './domain';

export { CHANNEL } from './channel';

const id = z.number().int().nonnegative();

export const clientMessageSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('req'), id, v: z.number().int(), method: z.string().max(100), input: z.unknown() }),
  z.object({ t: z.literal('cancel'), id }),
  z.object({ t: z.literal('sub'), id, v: z.number().int(), topic: z.string().max(100), input: z.unknown() }),
  z.object({ t: z.literal('unsub'), id }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

export const serverMessageSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('res'), id, ok: z.literal(true), data: z.unknown() }),
  z.object({ t: z.literal('err'), id, error: appErrorSchema }),
  z.object({ t: z.literal('progress'), id, data: progressSchema }),
  z.object({ t: z.literal('evt'), id, data: z.unknown() }),
  z.object({ t: z.literal('end'), id, error: appErrorSchema.optional() }),
  /** Sent by a transport, never by main: the connection is gone and nothing pending will be answered. */
  z.object({ t: z.literal('closed'), reason: z.string() }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;

/**
 * What both the Electron preload and the WebSocket client expose to the renderer, and nothing more: the renderer cannot
 * tell which host it talks to. A bridge delivers what arrived as it arrived (`unknown`); the client parses every
 * message with serverMessageSchema (shared/client.ts), whichever bridge it came through.
 */
export interface Bridge {
  send(message: ClientMessage): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: (message: unknown) => void): () => void;
}
