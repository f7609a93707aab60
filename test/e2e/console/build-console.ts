/** Builds the console from the current sources into a temporary folder (what `npm run build` writes to dist/console). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

export function buildConsole(): string {
  const outDir = mkdtempSync(join(tmpdir(), 'access-audit-console-'));
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const build = spawnSync(
    process.execPath,
    [
      vite,
      'build',
      '--config',
      join(root, 'apps', 'console', 'vite.config.ts'),
      '--outDir',
      outDir,
      '--emptyOutDir',
      '--logLevel',
      'warn',
    ],
    // What ships: jest's NODE_ENV=test would build React's development bundle.
    { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } },
  );
  if (build.status !== 0) throw new Error(`the console build failed:\n${build.stdout}\n${build.stderr}`);
  return outDir;
}
