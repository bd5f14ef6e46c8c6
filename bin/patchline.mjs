#!/usr/bin/env node
// The `patchline` command (package.json "bin"). The CLI is TypeScript; tsx compiles it on the fly.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../electron/cli/run.ts', import.meta.url).href);
