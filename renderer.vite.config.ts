// Builds the renderer (React) into dist/renderer for both hosts: Electron loads it from app://patchline/, the headless
// host serves it over HTTP. `npm run build:renderer` (part of `npm run build`).
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { CONTENT_SECURITY_POLICY_META } from './electron/host/security';

const root = fileURLToPath(new URL('./renderer', import.meta.url));

/** The same policy the hosts send as a header, also as a <meta> tag in the built page. */
function cspMeta(): Plugin {
  return {
    name: 'patchline-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY_META }, injectTo: 'head-prepend' }],
  };
}

export default defineConfig({
  root,
  base: './',
  plugins: [react(), cspMeta()],
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: true,
    // The page must work under script-src 'self': no inline module preload polyfill.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1500,
  },
});
