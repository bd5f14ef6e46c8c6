// TEST HELPER: a Client whose methods are plain functions supplied by the test; records every call.
import type { CallOptions, Client } from '../../../shared/client';
import { AppError } from '../../../shared/errors';
import type { MethodName, TopicName } from '../../../shared/contract';

export type FakeHandler = (input: never, opts: CallOptions) => unknown;

export function fakeClient(handlers: Partial<Record<MethodName, FakeHandler>>) {
  const calls: { method: MethodName; input: unknown }[] = [];
  const topics = new Map<TopicName, (e: unknown) => void>();
  const client: Client = {
    async call(method, input, opts = {}) {
      calls.push({ method, input });
      const h = handlers[method];
      if (!h) throw new AppError('UNKNOWN_METHOD', `no fake for ${method}`);
      return (await h(input as never, opts)) as never;
    },
    subscribe(topic, _input, onEvent) {
      topics.set(topic, onEvent as (e: unknown) => void);
      return () => topics.delete(topic);
    },
    close() {},
  };
  return { client, calls, topics };
}

export const operatorStatus = { pinSet: true, role: 'operator' as const, engineerUntil: null, retryAfterMs: null };
export const engineerStatus = { pinSet: true, role: 'engineer' as const, engineerUntil: 1e13, retryAfterMs: null };
