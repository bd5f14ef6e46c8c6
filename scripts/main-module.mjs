// Whether a script module is the one Node was asked to run (`node scripts/x.mjs`), as opposed to imported.
// Comparing import.meta.url with `file://${argv[1]}` is wrong on Windows (backslashes, drive letters) and on any path
// with a space or non-ASCII characters (a URL percent-encodes them). Compare file paths instead, after resolving
// symlinks (Node runs a module under its real path) and, on Windows, ignoring case.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function canonical(file, platform) {
  let p = path.resolve(file);
  try {
    p = realpathSync.native(p);
  } catch {
    // a path that does not exist compares as it is
  }
  return platform === 'win32' ? p.toLowerCase() : p;
}

/**
 * @param {string} importMetaUrl the module's import.meta.url
 * @param {string | undefined} argv1 process.argv[1]
 */
export function isMainModule(importMetaUrl, argv1 = process.argv[1], platform = process.platform) {
  if (!argv1) return false;
  return canonical(fileURLToPath(importMetaUrl), platform) === canonical(argv1, platform);
}
