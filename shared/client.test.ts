import { describe, expect, it } from 'vitest';
import { createClient } from './client';
import { AppError } from './errors';
import { CONTRACT_VERSION } from './contract';
import type { Bridge, ClientMessage, ServerMessage } from './protocol';

function loopback() {
  const sent: ClientMessage[] = [];
  const listeners = new Set<(m: unknown) => void>();
  const bridge: Bridge = {
    send: (m) => void sent.push(m),
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  const reply = (m: ServerMessage) => listeners.forEach((l) => l(m));
  const replyRaw = (m: unknown) => listeners.forEach((l) => l(m));
  return { bridge, sent, reply, replyRaw, listeners };
}

describe('contract client', () => {
  it('parses every incoming message: a malformed reply fails its call, anything else malformed is dropped', async () => {
    const { bridge, sent, replyRaw } = loopback();
    const client = createClient(bridge);
    const p = client.call('models.list', {});
    const q = client.call('models.list', {});
    replyRaw({ t: 'evt', data: 1 }); // no id: dropped
    replyRaw({ t: 'err', id: sent[0].id, error: { code: 'NOT_A_CODE', message: 'x' } });
    await expect(p).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/malformed reply/) });
    replyRaw({ t: 'res', id: sent[1].id, ok: true, data: ['still served'] });
    await expect(q).resolves.toEqual(['still served']);
  });

  it('sends a versioned request and resolves with its response', async () => {
    const { bridge, sent, reply } = loopback();
    const client = createClient(bridge);
    const p = client.call('models.list', {});
    expect(sent[0]).toMatchObject({ t: 'req', v: CONTRACT_VERSION, method: 'models.list', input: {} });
    reply({ t: 'res', id: sent[0].id, ok: true, data: [] });
    await expect(p).resolves.toEqual([]);
  });

  it('rejects with a typed error carrying the code and message', async () => {
    const { bridge, sent, reply } = loopback();
    const p = createClient(bridge).call('auth.elevate', { pin: '0000' });
    reply({ t: 'err', id: sent[0].id, error: { code: 'WRONG_PIN', message: 'Wrong PIN.' } });
    const e = await p.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AppError);
    expect(e).toMatchObject({ code: 'WRONG_PIN', message: 'Wrong PIN.' });
  });

  it('forwards progress, and cancels: a cancel message goes out and the call rejects at once', async () => {
    const { bridge, sent, reply } = loopback();
    const ac = new AbortController();
    const seen: number[] = [];
    const p = createClient(bridge).call(
      'models.train',
      { name: 'm', folder: '/x' },
      { signal: ac.signal, onProgress: (pr) => seen.push(pr.done) },
    );
    const id = sent[0].id;
    reply({ t: 'progress', id, data: { phase: 'extract', done: 3, total: 10, etaSeconds: 2 } });
    expect(seen).toEqual([3]);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(sent[1]).toEqual({ t: 'cancel', id });
    // A late answer for a cancelled call is ignored.
    reply({ t: 'res', id, ok: true, data: {} });
  });

  it('fails fast on an unknown method without sending anything', async () => {
    const { bridge, sent } = loopback();
    const client = createClient(bridge);
    const call = client.call as (m: string, i: unknown) => Promise<unknown>;
    await expect(call('models.format', {})).rejects.toMatchObject({ code: 'UNKNOWN_METHOD' });
    expect(sent).toHaveLength(0);
  });

  it('delivers topic events until unsubscribed', () => {
    const { bridge, sent, reply } = loopback();
    const events: unknown[] = [];
    const off = createClient(bridge).subscribe('hotfolder.events', {}, (e) => events.push(e));
    const id = sent[0].id;
    expect(sent[0]).toMatchObject({ t: 'sub', topic: 'hotfolder.events' });
    reply({ t: 'evt', id, data: { kind: 'error', file: 'a.png', at: 1, message: 'bad' } });
    off();
    expect(sent[1]).toEqual({ t: 'unsub', id });
    reply({ t: 'evt', id, data: { kind: 'error', file: 'b.png', at: 2, message: 'bad' } });
    expect(events).toHaveLength(1);
  });

  it('rejects everything pending when the transport closes', async () => {
    const { bridge, reply } = loopback();
    const client = createClient(bridge);
    let ended: AppError | undefined;
    client.subscribe('metrics.stream', {}, () => {}, (e) => (ended = e));
    const p = client.call('models.list', {});
    reply({ t: 'closed', reason: 'socket closed' });
    await expect(p).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(ended?.code).toBe('DISCONNECTED');
  });

  it('close() detaches from the bridge', () => {
    const { bridge, listeners } = loopback();
    const client = createClient(bridge);
    expect(listeners.size).toBe(1);
    client.close();
    expect(listeners.size).toBe(0);
  });
});
