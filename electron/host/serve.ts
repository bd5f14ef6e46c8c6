// `npm run serve`: the workstation without Electron. Runs the same services in plain Node and serves the built
// renderer and the contract on 127.0.0.1, printing the URL with this start's token.
//
//   npm run serve -- [--data-dir DIR] [--port N] [--renderer-dir DIR]
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createWorkstation } from '../services/app';
import { startHost } from './host';
import { appRoot, defaultDataDir, defaultRendererDir } from './paths';

export interface ServeArgs {
  dataDir: string;
  port: number;
  rendererDir: string;
}

export function parseServeArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ServeArgs {
  const out: ServeArgs = { dataDir: env.PATCHLINE_DATA_DIR || defaultDataDir(env), port: 0, rendererDir: defaultRendererDir() };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--data-dir') out.dataDir = path.resolve(value());
    else if (flag === '--renderer-dir') out.rendererDir = path.resolve(value());
    else if (flag === '--port') {
      const p = Number(value());
      if (!Number.isInteger(p) || p < 0 || p > 65535) throw new Error(`--port must be 0..65535, got ${p}`);
      out.port = p;
    } else if (flag === '--help' || flag === '-h') throw new Error('usage: npm run serve -- [--data-dir DIR] [--port N] [--renderer-dir DIR]');
    else throw new Error(`Unknown option ${flag}`);
  }
  return out;
}

async function main(): Promise<void> {
  let args: ServeArgs;
  try {
    args = parseServeArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  if (!existsSync(path.join(args.rendererDir, 'index.html'))) {
    console.error(`The renderer is not built (${args.rendererDir}/index.html is missing). Run \`npm run build\` first.`);
    process.exit(1);
  }
  const version = (JSON.parse(readFileSync(path.join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  const ws = await createWorkstation({ dataDir: args.dataDir, appVersion: version });
  const host = await startHost({ server: ws.server, rendererDir: args.rendererDir, port: args.port, records: ws.records, log: (m) => console.error(`[host] ${m}`) });
  console.log(`PatchLine workstation (headless host), data in ${ws.dataDir}`);
  console.log(`Open: ${host.openUrl}`);
  console.log('Listening on 127.0.0.1 only. To review from another PC, forward the port (ssh -L) and open the same URL.');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    await host.close();
    await ws.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename ?? '')) {
  main().catch((e: unknown) => {
    console.error(`[patchline] ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  });
}
