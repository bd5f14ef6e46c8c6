// The command line of the installed app (dist/electron/cli.mjs, unpacked from app.asar). Two ways in, both documented
// in docs/desktop.md:
//   patchline-cli fit …            the wrapper beside the binary: ELECTRON_RUN_AS_NODE=1 <app binary> cli.mjs …
//   PatchLine --cli fit …          the app binary itself (main.ts hands over before any window exists)
// Either way the app's own Node runs it, so the native modules match and no separate Node install is needed.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appLayout, applyLayoutEnv } from './app-layout';

/** The CLI's arguments: everything after `--cli`, or after the script when run as Node. */
export function cliArgs(argv: readonly string[]): string[] {
  const i = argv.indexOf('--cli');
  return i >= 0 ? argv.slice(i + 1) : argv.slice(2);
}

applyLayoutEnv(appLayout(path.dirname(fileURLToPath(import.meta.url))));
const { main } = await import('../cli/main');
const code = await main(cliArgs(process.argv)).catch((err: unknown) => {
  process.stderr.write(`patchline: ${(err as Error).stack ?? String(err)}\n`);
  return 1;
});
// Inside the Electron main process (--cli) nothing ends the event loop by itself: exit once the output is flushed.
process.stdout.write('', () => process.exit(code));
