// TEST HELPER: a real MQTT broker (Debian's mosquitto) on a free loopback port with a temp config, for the MQTT
// output's tests and bench. `mosquittoMissing()` says why a test is skipped where it is not installed.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import path from 'node:path';
import { tempDir } from './fixtures';

const CANDIDATES = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto', '/opt/homebrew/sbin/mosquitto'];

export function mosquittoBinary(): string | null {
  return process.env.PATCHLINE_MOSQUITTO ?? CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** Null when the broker is there; else the reason a test prints as it skips. */
export function mosquittoMissing(): string | null {
  return mosquittoBinary() ? null : 'mosquitto is not installed (apt-get install mosquitto, or set PATCHLINE_MOSQUITTO): MQTT tests skipped';
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function accepting(port: number, ms: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection({ port, host: '127.0.0.1' }, () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() - t0 > ms) throw new Error(`mosquitto did not start listening on port ${port}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface Broker {
  port: number;
  url: string;
  /** Stops the broker (its persistent sessions are saved), keeping the port for start(). */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startMosquitto(): Promise<Broker> {
  const bin = mosquittoBinary();
  if (!bin) throw new Error(mosquittoMissing()!);
  const dir = await tempDir('mosquitto');
  // Started as root, mosquitto drops to its own user: it must still be able to save its sessions here.
  await chmod(dir, 0o777);
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  // Persistence so that a subscriber's session (clean: false) outlives a broker restart, as a real plant broker's does.
  await writeFile(
    conf,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`, 'log_dest none', ''].join('\n'),
  );
  let child: ChildProcess | null = null;
  const broker: Broker = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    async start() {
      child = spawn(bin, ['-c', conf], { stdio: 'ignore' });
      await accepting(port, 5000);
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      });
    },
  };
  await broker.start();
  return broker;
}
