#!/usr/bin/env node
// Packaging step: THIRD_PARTY_NOTICES.md for the installed app (dist/resources/THIRD_PARTY_NOTICES.md): the committed
// summary (native libraries, Electron, the default backbone) followed by the name, version, license and license text of
// every npm package the app ships: the production dependency tree (node_modules in the package) and the packages
// bundled into the renderer.
//
//   node scripts/notices.mjs [--out FILE]
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainModule } from './main-module.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT = path.join(root, 'dist', 'resources', 'THIRD_PARTY_NOTICES.md');
/** What the renderer bundle imports (devDependencies, since Vite bundles them): their trees ship inside it. */
export const RENDERER_PACKAGES = ['react', 'react-dom', 'recharts', 'zustand', 'i18next', 'react-i18next'];

/** A package's folder as Node would resolve it from `fromDir`: node_modules of that folder or of a parent. */
function findPackage(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}

function licenseOf(pkg) {
  if (typeof pkg.license === 'string') return pkg.license;
  if (pkg.license?.type) return pkg.license.type;
  if (Array.isArray(pkg.licenses)) return pkg.licenses.map((l) => l.type ?? l).join(' OR ');
  return 'UNKNOWN';
}

const MIT = (holder) =>
  `MIT License\n\nCopyright (c) ${holder}\n\nPermission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the "Software"), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions:\n\nThe above copyright notice and this permission notice shall be included in all copies or substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.`;

/** Packages published without a license file: their upstream license, stated here. */
const KNOWN_TEXTS = {
  'onnxruntime-node': MIT('Microsoft Corporation'),
  'onnxruntime-common': MIT('Microsoft Corporation'),
  '@img/sharp-libvips-linux-x64':
    'libvips and the libraries bundled with it, as built by the sharp-libvips project: GNU Lesser General Public License v3.0 or later (libvips itself LGPL-2.1-or-later). The library ships unmodified as a separate shared library that can be replaced; its versions are listed in versions.json inside the package.',
};

function licenseText(dir, name) {
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt|markdown))?$/i.test(f));
  if (file) return readFileSync(path.join(dir, file), 'utf8').trim();
  return KNOWN_TEXTS[name] ?? (name.startsWith('@img/sharp-libvips-') ? KNOWN_TEXTS['@img/sharp-libvips-linux-x64'] : null);
}

/** Every package reachable from `roots` through dependencies and installed optionalDependencies. */
export function shippedPackages(roots, base = root) {
  const seen = new Map();
  const visit = (name, fromDir) => {
    const dir = findPackage(name, fromDir);
    if (!dir || seen.has(dir)) return;
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    seen.set(dir, { name: pkg.name, version: pkg.version, license: licenseOf(pkg), text: licenseText(dir, pkg.name) });
    for (const dep of [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]) visit(dep, dir);
  };
  for (const r of roots) visit(r, base);
  const unique = new Map();
  for (const p of seen.values()) unique.set(`${p.name}@${p.version}`, p);
  return [...unique.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function buildNotices(base = root) {
  const pkg = JSON.parse(readFileSync(path.join(base, 'package.json'), 'utf8'));
  const packages = shippedPackages([...Object.keys(pkg.dependencies ?? {}), ...RENDERER_PACKAGES], base);
  const summary = readFileSync(path.join(base, 'THIRD_PARTY_NOTICES.md'), 'utf8').trim();
  const table = packages.map((p) => `| ${p.name} | ${p.version} | ${p.license} |`).join('\n');
  const texts = packages
    .map((p) => `### ${p.name} ${p.version} (${p.license})\n\n${p.text ? '```text\n' + p.text.replace(/```/g, "'''") + '\n```' : `(no license file in the package; license: ${p.license})`}`)
    .join('\n\n');
  return { packages, text: `${summary}\n\n## Packages shipped (${packages.length})\n\n| Package | Version | License |\n| --- | --- | --- |\n${table}\n\n## License texts\n\n${texts}\n` };
}

if (isMainModule(import.meta.url)) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--out');
  const out = path.resolve(i >= 0 ? argv[i + 1] : DEFAULT_OUT);
  const { packages, text } = buildNotices();
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, text);
  console.log(`[notices] ${packages.length} packages → ${path.relative(process.cwd(), out)}`);
}
