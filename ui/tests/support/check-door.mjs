// Fails when a UI file outside src/lib/backend/ imports @tauri-apps/*: the backend module is
// the only door from the UI to Rust.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const root = new URL('../../src', import.meta.url).pathname;
const door = join(root, 'lib', 'backend') + sep;
const offenders = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(ts|js|svelte|mjs)$/.test(name) && !path.startsWith(door) && readFileSync(path, 'utf8').includes('@tauri-apps/')) {
      offenders.push(relative(root, path));
    }
  }
})(root);
if (offenders.length) {
  console.error(`@tauri-apps/* imported outside src/lib/backend/:\n  ${offenders.join('\n  ')}`);
  process.exit(1);
}
