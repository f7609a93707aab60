#!/usr/bin/env node
/**
 * `npm start`: builds (the API and the console) when dist/ is missing or older than a source file (apps/, libs/, tsconfig*.json, package.json),
 * then serves the API (dist/apps/api/src/main.js). `ensureBuilt()` is shared with scripts/cli.js.
 */
'use strict';
const { spawnSync, spawn } = require('node:child_process');
const { existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const stampFile = join(root, 'dist', '.build-stamp');
const sourceDirs = ['apps', 'libs'];
const sourceFiles = ['package.json', 'tsconfig.json', 'tsconfig.build.json'];
// What tsconfig.build.json leaves out: changing it needs no build.
const notBuilt = /(\.spec\.ts$)|(^|\/)(testing|node_modules)(\/|$)/;

function newestSourceTime() {
  let newest = 0;
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (notBuilt.test(path)) continue;
      if (entry.isDirectory()) visit(path);
      else if (/\.(ts|tsx|css|html)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of sourceDirs) if (existsSync(join(root, dir))) visit(join(root, dir));
  for (const file of sourceFiles)
    if (existsSync(join(root, file))) newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
  return newest;
}

function ensureBuilt(entry) {
  // Only a build started here and finished without error leaves the stamp (tsc emits files even when it fails).
  const fresh =
    existsSync(stampFile) && existsSync(join(root, entry)) && statSync(stampFile).mtimeMs >= newestSourceTime();
  if (fresh) return;
  process.stderr.write('Building (dist/ is missing or older than the sources)…\n');
  const startedAt = Date.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const build = spawnSync(npm, ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    rmSync(stampFile, { force: true });
    process.stderr.write('The build failed; see the errors above.\n');
    process.exit(build.status ?? 1);
  }
  // The stamp takes the time the build started: a source saved during the build makes the next start rebuild.
  writeFileSync(stampFile, `${new Date(startedAt).toISOString()}\n`);
  const startedAtSeconds = startedAt / 1000;
  utimesSync(stampFile, startedAtSeconds, startedAtSeconds);
}

/** Runs a built entry point in a child process, forwarding signals so SIGTERM reaches the app's graceful shutdown. */
function runBuilt(entry, args) {
  const child = spawn(process.execPath, [join(root, entry), ...args], { cwd: root, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  // npm runs scripts through `sh -c`, and dash dies of the SIGTERM npm passes on without handing it to us:
  // losing the parent counts as SIGTERM, so the API never outlives the `npm start` that launched it.
  const parent = process.ppid;
  const orphanWatch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(orphanWatch);
    child.kill('SIGTERM');
  }, 250);
  child.on('exit', (code, signal) => {
    clearInterval(orphanWatch);
    process.exit(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1));
  });
}

module.exports = { ensureBuilt, runBuilt };

if (require.main === module) {
  const entry = 'dist/apps/api/src/main.js';
  ensureBuilt(entry);
  runBuilt(entry, process.argv.slice(2));
}
