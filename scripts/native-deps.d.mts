export const INSTALL_HINT: Record<'linux' | 'darwin' | 'win32', string>;
export function findFaiss(): { ok: true; include: string; libs: string[] } | { ok: false; missing: string[]; hint: string };
export function osRelease(): Record<string, string>;
