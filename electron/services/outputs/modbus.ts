// Modbus TCP (modbus-serial's ServerTCP): what a PLC polls. Coils 0 OK, 1 NG (the last part's verdict; both off before
// the first part), 2 busy (a part is being scored); holding registers 0–1 the part count (low word, high word), 2 and
// 3 the OK and NG counts (low words), 4 the last normalised score × 1000 (0–65535). Any unit id is answered. Read-only:
// writes are refused with an exception. docs/station.md has the table.
import type { ModbusSettings, OutputStatus } from '../../../shared/settings';
import type { LineState } from './payload';

export const MODBUS_COILS = { ok: 0, ng: 1, busy: 2 } as const;
export const MODBUS_REGISTERS = { countLow: 0, countHigh: 1, okLow: 2, ngLow: 3, scoreMilli: 4 } as const;

type ServerTCP = import('modbus-serial').ServerTCP;

/** Modbus exception 2 (illegal data address) for an address the station does not serve. */
function illegalAddress(): Error {
  return Object.assign(new Error('Illegal data address'), { modbusErrorCode: 0x02 });
}

export interface ModbusOutputOptions {
  /** The address to listen on (default all interfaces: a PLC is on the line's network). */
  host?: string;
  log?: (m: string) => void;
}

export class ModbusOutput {
  private server: ServerTCP | null = null;
  private port: number | null = null;
  private state: OutputStatus['state'] = 'off';
  private error: string | null = null;
  private generation = 0;

  constructor(
    private readonly line: LineState,
    private readonly opts: ModbusOutputOptions = {},
  ) {}

  status(): OutputStatus {
    return { state: this.state, endpoint: this.port ? `${this.opts.host ?? '0.0.0.0'}:${this.port}` : null, error: this.error };
  }

  coil(addr: number): boolean {
    const last = this.line.last;
    if (addr === MODBUS_COILS.ok) return last?.verdict === 'OK';
    if (addr === MODBUS_COILS.ng) return last?.verdict === 'NG';
    if (addr === MODBUS_COILS.busy) return this.line.busy();
    throw illegalAddress();
  }

  register(addr: number): number {
    const total = this.line.total;
    switch (addr) {
      case MODBUS_REGISTERS.countLow:
        return total & 0xffff;
      case MODBUS_REGISTERS.countHigh:
        return Math.floor(total / 0x10000) & 0xffff;
      case MODBUS_REGISTERS.okLow:
        return this.line.ok & 0xffff;
      case MODBUS_REGISTERS.ngLow:
        return this.line.ng & 0xffff;
      case MODBUS_REGISTERS.scoreMilli:
        return Math.max(0, Math.min(0xffff, Math.round((this.line.last?.normalizedScore ?? 0) * 1000)));
      default:
        throw illegalAddress();
    }
  }

  /** Starts (or restarts on another port). A port that cannot be opened is an error in status(), never a throw. */
  async start(settings: ModbusSettings): Promise<void> {
    await this.stop();
    const gen = this.generation;
    this.port = settings.port;
    this.state = 'starting';
    const { ServerTCP } = await import('modbus-serial');
    const readOnly = () => {
      throw Object.assign(new Error('The station is read-only'), { modbusErrorCode: 0x01 });
    };
    const server = new ServerTCP(
      {
        getCoil: (addr: number) => this.coil(addr),
        getDiscreteInput: (addr: number) => this.coil(addr),
        getHoldingRegister: (addr: number) => this.register(addr),
        getInputRegister: (addr: number) => this.register(addr),
        setCoil: readOnly,
        setRegister: readOnly,
      },
      { host: this.opts.host ?? '0.0.0.0', port: settings.port, unitID: 255 },
    );
    await new Promise<void>((resolve) => {
      server.once('initialized', () => {
        if (gen === this.generation) {
          this.server = server;
          this.state = 'running';
          this.error = null;
        } else server.close(() => undefined);
        resolve();
      });
      server.once('serverError', (e: NodeJS.ErrnoException) => {
        if (gen === this.generation) {
          this.state = 'error';
          this.error =
            e.code === 'EADDRINUSE'
              ? `Modbus TCP port ${settings.port} cannot be opened: it is in use by another program.`
              : e.code === 'EACCES'
                ? `Modbus TCP port ${settings.port} cannot be opened: ports below 1024 need administrator rights (use e.g. 1502).`
                : `Modbus TCP port ${settings.port} cannot be opened: ${e.message}`;
          this.opts.log?.(this.error);
        }
        resolve();
      });
    });
    // A client that drops its connection mid-request must not take the station down.
    server.on('socketError', () => undefined);
    server.on('error', () => undefined);
  }

  async stop(): Promise<void> {
    this.generation++;
    const server = this.server;
    this.server = null;
    this.state = 'off';
    this.error = null;
    this.port = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
