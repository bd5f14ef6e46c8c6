// The live extractor's device: the workstation's setting (PATCHLINE_DEVICE, `watch --device`) reaches the engine
// worker's model load, a device the machine lacks is refused by name, and it is recorded in the station status.
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkstation, deviceFromEnv, type Workstation } from './app';
import { createClient } from '../../shared/client';
import { inMemoryBridge } from './testing/in-memory-bridge';
import { fakeEngineModule, goodFolder, tempDir } from './testing/fixtures';

let ws: Workstation | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

async function trained(device: 'cuda' | 'auto') {
  ws = await createWorkstation({ dataDir: await tempDir('device'), engineModule: fakeEngineModule, device, log: () => {} });
  const c = createClient(inMemoryBridge(ws.server).bridge);
  await c.call('auth.setupPin', { pin: '2468' });
  return { c, folder: await goodFolder(6) };
}

describe('extractor device', () => {
  it('loads the live model on the device asked for, and records it', async () => {
    const { c, folder } = await trained('auto');
    await c.call('models.train', { name: 'Tile', folder });
    expect((await c.call('station.status', {})).device).toBe('auto');
    expect((await c.call('models.list', {})).find((m) => m.active)).toBeTruthy();
  });

  it('names a device this machine does not have when the model is loaded', async () => {
    const { c, folder } = await trained('cuda');
    await expect(c.call('models.train', { name: 'Tile', folder })).rejects.toThrow(/cuda execution provider is not available/);
  });

  it('reads PATCHLINE_DEVICE and refuses a value it does not know, naming the variable', () => {
    expect(deviceFromEnv({})).toBeUndefined();
    expect(deviceFromEnv({ PATCHLINE_DEVICE: 'cuda' })).toBe('cuda');
    expect(() => deviceFromEnv({ PATCHLINE_DEVICE: 'gpu' })).toThrow('PATCHLINE_DEVICE must be one of cpu, cuda, webgpu, dml, coreml, auto, got "gpu"');
  });
});
