/** The broker's version, read from package.json (works from src/ under tsx and from dist/). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'interchange' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  throw new Error('package.json of interchange not found above ' + fileURLToPath(import.meta.url));
}

export const VERSION = findVersion();
