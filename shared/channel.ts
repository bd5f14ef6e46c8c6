// The one IPC channel name. Kept alone so the sandboxed preload bundles nothing else.
export const CHANNEL = 'patchline:contract';
