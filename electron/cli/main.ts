// `patchline` entry point: dispatches to a command, turns errors into one clear line (exit 1; usage errors exit 2),
// and turns Ctrl-C into a clean cancellation (exit 130) that leaves no half-written model behind.
import { cmdAddGood, cmdBackbones, cmdEval, cmdFit, cmdInfo, cmdPredict, cmdThreshold, type Context } from './commands';
import { cmdDemo } from './demo';
import { cmdFold, FOLD_HELP } from './fold';
import { cmdRollback, cmdUpdate, ROLLBACK_HELP, UPDATE_HELP } from './update';
import { cmdWatch, WATCH_HELP } from './watch';
import { UsageError } from './args';
import { ADD_GOOD_HELP, BACKBONES_HELP, DEMO_HELP, EVAL_HELP, FIT_HELP, INFO_HELP, MAIN_HELP, PREDICT_HELP, THRESHOLD_HELP } from './help';
import { ProgressBar, type BarOutput } from './progress-bar';

type Command = (argv: string[], ctx: Context) => Promise<void>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  fit: { run: cmdFit, help: FIT_HELP },
  eval: { run: cmdEval, help: EVAL_HELP },
  predict: { run: cmdPredict, help: PREDICT_HELP },
  info: { run: cmdInfo, help: INFO_HELP },
  'add-good': { run: cmdAddGood, help: ADD_GOOD_HELP },
  threshold: { run: cmdThreshold, help: THRESHOLD_HELP },
  update: { run: cmdUpdate, help: UPDATE_HELP },
  rollback: { run: cmdRollback, help: ROLLBACK_HELP },
  fold: { run: cmdFold, help: FOLD_HELP },
  backbones: { run: cmdBackbones, help: BACKBONES_HELP },
  demo: { run: cmdDemo, help: DEMO_HELP },
  watch: { run: cmdWatch, help: WATCH_HELP },
};

export interface MainIO {
  out?: (s: string) => void;
  err?: (s: string) => void;
  /** Progress bars and notes; default stderr, null for none. */
  progress?: BarOutput | null;
}

export async function main(argv: string[], io: MainIO = {}): Promise<number> {
  const out = io.out ?? ((s: string) => process.stdout.write(`${s}\n`));
  const err = io.err ?? ((s: string) => process.stderr.write(`${s}\n`));
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(MAIN_HELP);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    const { readFileSync } = await import('node:fs');
    const { projectRoot } = await import('../engine/paths');
    const pkg = JSON.parse(readFileSync(`${projectRoot()}/package.json`, 'utf8')) as { version: string };
    out(pkg.version);
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    err(`patchline: unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}. Try patchline --help.`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(cmd.help);
    return 0;
  }
  const controller = new AbortController();
  // Ctrl-C, or a service manager's stop: cancel the work in progress (nothing half-written is left) and exit 130; a
  // second one exits at once. A listener that stays (not `once`): libraries using signal-exit (node-opcua's lock
  // files) re-send the signal to kill the process when they see no other listener left.
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    err('\ncancelling…');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const bar = io.progress === null ? new ProgressBar(process.stderr, true) : new ProgressBar(io.progress ?? process.stderr);
  const ctx: Context = { signal: controller.signal, out, bar };
  try {
    await cmd.run(rest, ctx);
    return 0;
  } catch (e) {
    const error = e as Error;
    if (error instanceof UsageError) {
      err(`patchline ${name}: ${error.message}\n`);
      err(cmd.help);
      return 2;
    }
    if (error.name === 'AbortError' || controller.signal.aborted) {
      err('cancelled; nothing was written.');
      return 130;
    }
    err(`patchline ${name}: ${error.message}`);
    if (process.env.PATCHLINE_DEBUG) err(error.stack ?? '');
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
