// The OPC UA output read and subscribed to by a real OPC UA client (node-opcua), as SCADA or an MES would.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { AttributeIds, OPCUAClient, OPCUACertificateManager, type ClientSession } from 'node-opcua';
import path from 'node:path';
import type { InspectionResult } from '../../../shared/domain';
import { tempDir } from '../testing/fixtures';
import { freePort } from '../testing/mosquitto';
import { OpcuaOutput, OPCUA_NAMESPACE, OPCUA_VARIABLES } from './opcua';
import { LineState } from './payload';

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const result = (verdict: 'OK' | 'NG', score: number, recordId: number) =>
  ({ verdict, score, normalizedScore: score / 2, threshold: 2, recordId, sourceName: `tile ${recordId}.png`, at: Date.UTC(2025, 5, 1), modelId: 'm' }) as InspectionResult;

async function session(port: number, pki: string): Promise<ClientSession> {
  const client = OPCUAClient.create({
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0 },
    clientCertificateManager: new OPCUACertificateManager({ rootFolder: pki, automaticallyAcceptUnknownCertificate: true }),
  });
  await client.connect(`opc.tcp://127.0.0.1:${port}`);
  const s = await client.createSession();
  cleanup.push(async () => {
    await s.close();
    await client.disconnect();
  });
  return s;
}

describe('OPC UA output', () => {
  it('serves the last verdict, score, part id, counters and model version to an OPC UA client', async () => {
    const dir = await tempDir('opcua');
    let busy = false;
    const line = new LineState(() => busy, () => ({ id: 'tile-model', version: 4 }));
    const out = new OpcuaOutput(line, { pkiDir: path.join(dir, 'pki') });
    const port = await freePort();
    await out.start({ enabled: true, port });
    cleanup.push(() => out.stop());
    expect(out.status()).toMatchObject({ state: 'running', error: null });
    line.record(result('OK', 1, 1));
    line.record(result('NG', 3.5, 2));
    const s = await session(port, path.join(dir, 'client-pki'));
    const nsArray = (await s.read({ nodeId: 'ns=0;i=2255', attributeId: AttributeIds.Value })).value.value as string[];
    const ns = nsArray.indexOf(OPCUA_NAMESPACE);
    expect(ns).toBe(2); // 0: OPC UA, 1: the server's own, 2: PatchLine's (docs/station.md)
    const read = async (name: string) => (await s.read({ nodeId: `ns=${ns};s=PatchLine.${name}`, attributeId: AttributeIds.Value })).value.value;
    expect(await read('LastVerdict')).toBe('NG');
    expect(await read('LastScore')).toBe(3.5);
    expect(await read('LastNormalizedScore')).toBe(1.75);
    expect(await read('LastPartId')).toBe('tile 2.png');
    expect(await read('LastRecordId')).toBe(2);
    expect([await read('CountOK'), await read('CountNG'), await read('CountTotal')]).toEqual([1, 1, 2]);
    expect([await read('ModelId'), await read('ModelVersion')]).toEqual(['tile-model', 4]);
    expect(((await read('LastTime')) as Date).toISOString()).toBe('2025-06-01T00:00:00.000Z');
    line.record(result('OK', 0.5, 3));
    expect([await read('LastVerdict'), await read('CountTotal')]).toEqual(['OK', 3]);
    expect(await read('Busy')).toBe(false); // read when asked, not stuck at its value during the last result
    busy = true;
    expect(await read('Busy')).toBe(true);
    expect(OPCUA_VARIABLES.map((v) => v.name)).toContain('Busy');
  });

  it('names a port it cannot open', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, () => r()));
    cleanup.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const out = new OpcuaOutput(new LineState(() => false, () => null), { pkiDir: path.join(await tempDir('opcua'), 'pki') });
    await out.start({ enabled: true, port });
    cleanup.push(() => out.stop());
    expect(out.status()).toMatchObject({ state: 'error', error: `OPC UA port ${port} cannot be opened: it is in use by another program.` });
  });
});
