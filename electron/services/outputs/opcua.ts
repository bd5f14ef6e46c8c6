// OPC UA: a small server (node-opcua) whose variables a SCADA/MES client reads or subscribes to: the last verdict,
// score, part and record id, the OK/NG/total counters since the station started, busy, and the model's id and
// version. Read-only, anonymous, security mode None (line networks are closed; nothing here can be written). Values are
// pushed on every result, so a subscription sees each change at once. Node ids: ns=<urn:patchline:station>;s=PatchLine.<Name>
// (docs/station.md lists them). node-opcua is loaded only when the output is switched on: it takes a while to load.
import path from 'node:path';
import type { OpcuaSettings, OutputStatus } from '../../../shared/settings';
import type { LineState } from './payload';

export const OPCUA_NAMESPACE = 'urn:patchline:station';

type OpcuaModule = typeof import('node-opcua');
type Server = InstanceType<OpcuaModule['OPCUAServer']>;
type UAVariable = import('node-opcua').UAVariable;

/** The variables, their OPC UA data types and how each is read from the line state. */
const VARIABLES: { name: string; type: 'String' | 'Double' | 'UInt32' | 'Boolean' | 'DateTime'; value: (s: LineState) => unknown }[] = [
  { name: 'LastVerdict', type: 'String', value: (s) => s.last?.verdict ?? '' },
  { name: 'LastScore', type: 'Double', value: (s) => s.last?.score ?? 0 },
  { name: 'LastNormalizedScore', type: 'Double', value: (s) => s.last?.normalizedScore ?? 0 },
  { name: 'LastThreshold', type: 'Double', value: (s) => s.last?.threshold ?? 0 },
  { name: 'LastPartId', type: 'String', value: (s) => s.last?.sourceName ?? '' },
  { name: 'LastRecordId', type: 'UInt32', value: (s) => s.last?.recordId ?? 0 },
  { name: 'LastTime', type: 'DateTime', value: (s) => (s.last ? new Date(s.last.at) : new Date(0)) },
  { name: 'CountOK', type: 'UInt32', value: (s) => s.ok },
  { name: 'CountNG', type: 'UInt32', value: (s) => s.ng },
  { name: 'CountTotal', type: 'UInt32', value: (s) => s.total },
  { name: 'Busy', type: 'Boolean', value: (s) => s.busy() },
  { name: 'ModelId', type: 'String', value: (s) => s.model()?.id ?? '' },
  { name: 'ModelVersion', type: 'UInt32', value: (s) => s.model()?.version ?? 0 },
];

export const OPCUA_VARIABLES = VARIABLES.map((v) => ({ name: v.name, type: v.type, nodeId: `s=PatchLine.${v.name}` }));

export interface OpcuaOutputOptions {
  /** Its certificate store (the server's self-signed certificate is made on first start). */
  pkiDir: string;
  appVersion?: string;
  log?: (m: string) => void;
}

export class OpcuaOutput {
  private server: Server | null = null;
  private port: number | null = null;
  private state: OutputStatus['state'] = 'off';
  private error: string | null = null;
  private offChange: (() => void) | null = null;
  private generation = 0;

  constructor(
    private readonly line: LineState,
    private readonly opts: OpcuaOutputOptions,
  ) {}

  status(): OutputStatus {
    return { state: this.state, endpoint: this.port ? `opc.tcp://0.0.0.0:${this.port}` : null, error: this.error };
  }

  /** Starts (or restarts on another port). A port that cannot be opened is an error in status(), never a throw. */
  async start(settings: OpcuaSettings): Promise<void> {
    await this.stop();
    const gen = this.generation;
    this.port = settings.port;
    this.state = 'starting';
    let server: Server | null = null;
    try {
      const ua = await import('node-opcua');
      server = new ua.OPCUAServer({
        port: settings.port,
        serverCertificateManager: new ua.OPCUACertificateManager({
          rootFolder: path.join(this.opts.pkiDir, 'own'),
          automaticallyAcceptUnknownCertificate: true,
        }),
        userCertificateManager: new ua.OPCUACertificateManager({ rootFolder: path.join(this.opts.pkiDir, 'users'), automaticallyAcceptUnknownCertificate: true }),
        registerServerMethod: ua.RegisterServerMethod.HIDDEN,
        allowAnonymous: true,
        securityModes: [ua.MessageSecurityMode.None],
        securityPolicies: [ua.SecurityPolicy.None],
        buildInfo: { productName: 'PatchLine station', softwareVersion: this.opts.appVersion ?? '0.0.0', manufacturerName: 'PatchLine' },
        serverInfo: { applicationUri: `${OPCUA_NAMESPACE}:server`, productUri: 'urn:patchline', applicationName: { text: 'PatchLine station' } },
      });
      await server.initialize();
      if (gen !== this.generation) throw new Error('stopped');
      const addressSpace = server.engine.addressSpace!;
      const ns = addressSpace.registerNamespace(OPCUA_NAMESPACE);
      const folder = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'PatchLine', nodeId: 's=PatchLine' });
      const variant = (v: (typeof VARIABLES)[number]) => new ua.Variant({ dataType: ua.DataType[v.type], value: v.value(this.line) });
      const vars: [UAVariable, (typeof VARIABLES)[number]][] = [];
      for (const v of VARIABLES) {
        const common = { componentOf: folder, browseName: v.name, nodeId: `s=PatchLine.${v.name}`, dataType: v.type, accessLevel: 'CurrentRead', userAccessLevel: 'CurrentRead' } as const;
        if (v.name === 'Busy') {
          // Busy changes between results, not with them: read when asked (sampled at 100 ms for subscriptions).
          ns.addVariable({ ...common, minimumSamplingInterval: 100, value: { get: () => variant(v) } });
        } else {
          vars.push([ns.addVariable({ ...common, minimumSamplingInterval: 0, value: variant(v) }), v]);
        }
      }
      const push = () => {
        for (const [node, v] of vars) node.setValueFromSource(variant(v));
      };
      await server.start();
      if (gen !== this.generation) throw new Error('stopped');
      this.server = server;
      this.offChange = this.line.onChange(push);
      push();
      this.state = 'running';
      this.error = null;
    } catch (e) {
      await server?.shutdown(0).catch(() => undefined);
      if (gen !== this.generation) return;
      const err = e as NodeJS.ErrnoException;
      this.state = 'error';
      this.error =
        err.code === 'EADDRINUSE' || /EADDRINUSE/.test(err.message)
          ? `OPC UA port ${settings.port} cannot be opened: it is in use by another program.`
          : err.code === 'EACCES' || /EACCES/.test(err.message)
            ? `OPC UA port ${settings.port} cannot be opened: ports below 1024 need administrator rights.`
            : `OPC UA server on port ${settings.port} could not start: ${err.message}`;
      this.opts.log?.(this.error);
    }
  }

  async stop(): Promise<void> {
    this.generation++;
    this.offChange?.();
    this.offChange = null;
    const server = this.server;
    this.server = null;
    this.state = 'off';
    this.error = null;
    this.port = null;
    await server?.shutdown(0).catch(() => undefined);
  }
}
