// The sandboxed preload: exposes window.patchline = { send, subscribe } through contextBridge. Bundled to
// dist/electron/preload.cjs (a sandboxed preload cannot load modules itself).
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadBridge } from './bridge';

const bridge = createPreloadBridge(ipcRenderer);
contextBridge.exposeInMainWorld('patchline', { send: bridge.send, subscribe: bridge.subscribe });
