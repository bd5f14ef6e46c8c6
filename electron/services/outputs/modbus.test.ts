// The Modbus TCP output read by a real Modbus client (modbus-serial), as a PLC would poll it.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import ModbusRTU from 'modbus-serial';
import type { InspectionResult } from '../../../shared/domain';
import { freePort } from '../testing/mosquitto';
import { ModbusOutput, MODBUS_COILS, MODBUS_REGISTERS } from './modbus';
import { LineState } from './payload';

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const result = (verdict: 'OK' | 'NG', normalizedScore: number, recordId: number) =>
  ({ verdict, normalizedScore, score: normalizedScore * 2, recordId, sourceName: `p${recordId}.png`, at: Date.now() }) as InspectionResult;

describe('Modbus TCP output', () => {
  it('serves the OK / NG / busy coils and the part count registers to a Modbus client', async () => {
    let busy = false;
    const line = new LineState(() => busy, () => ({ id: 'm', version: 2 }));
    const out = new ModbusOutput(line, { host: '127.0.0.1' });
    const port = await freePort();
    await out.start({ enabled: true, port });
    cleanup.push(() => out.stop());
    expect(out.status()).toMatchObject({ state: 'running', error: null });
    const client = new ModbusRTU();
    await client.connectTCP('127.0.0.1', { port });
    cleanup.push(() => new Promise<void>((r) => client.close(() => r())));
    client.setID(1);
    client.setTimeout(2000);
    expect((await client.readCoils(0, 3)).data.slice(0, 3)).toEqual([false, false, false]);
    line.record(result('OK', 0.4, 1));
    line.record(result('NG', 1.7, 2));
    busy = true;
    expect((await client.readCoils(MODBUS_COILS.ok, 3)).data.slice(0, 3)).toEqual([false, true, true]);
    for (let i = 3; i <= 70_000; i++) line.record(result('OK', 0.25, i)); // past one 16-bit register
    busy = false;
    const regs = (await client.readHoldingRegisters(MODBUS_REGISTERS.countLow, 5)).data;
    expect(regs[0] + regs[1] * 0x10000).toBe(70_000);
    expect(regs.slice(2)).toEqual([(70_000 - 1) & 0xffff, 1, 250]);
    expect((await client.readCoils(MODBUS_COILS.ok, 3)).data.slice(0, 3)).toEqual([true, false, false]);
    await expect(client.readHoldingRegisters(100, 1)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(client.writeCoil(0, true)).rejects.toMatchObject({ modbusCode: 1 });
  });

  it('names a port it cannot open and stays usable', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const out = new ModbusOutput(new LineState(() => false, () => null), { host: '127.0.0.1' });
    await out.start({ enabled: true, port });
    expect(out.status()).toMatchObject({ state: 'error', error: `Modbus TCP port ${port} cannot be opened: it is in use by another program.` });
    const other = await freePort();
    await out.start({ enabled: true, port: other });
    cleanup.push(() => out.stop());
    expect(out.status()).toMatchObject({ state: 'running', endpoint: `127.0.0.1:${other}` });
  });
});
