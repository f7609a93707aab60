import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const root = join(__dirname, '..', '..', '..', '..');

/** Resolves `@access-audit/<lib>[/<entry>]` to the transpiled `libs/<lib>/src[/<entry>]`, as tsconfig's paths do. */
const aliasHook = `'use strict';
const Module = require('node:module');
const path = require('node:path');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const lib = /^@access-audit\\/([a-z-]+)(?:\\/([a-z-]+))?$/.exec(request);
  return resolve.call(this, lib ? path.join(__dirname, 'libs', lib[1], 'src', lib[2] ?? '') : request, ...rest);
};
`;

let transpiled: string | undefined;

const tempPrefix = 'access-audit-child-';
const staleAfterMs = 60 * 60 * 1000;

/** Transpiled files by a hash of their source and the compiler: test files and runs share them (a full pass is ~10 s). */
const cacheDir = join(tmpdir(), 'access-audit-transpile-cache');
const cacheMaxAgeMs = 24 * 60 * 60 * 1000;

/** The cache folder, when it is this user's own (another user's could hand us code to run); undefined otherwise. */
function ownCacheDir(): string | undefined {
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const stat = statSync(cacheDir);
    return stat.uid === process.getuid?.() && (stat.mode & 0o077) === 0 ? cacheDir : undefined;
  } catch {
    return undefined;
  }
}

function transpileCached(file: string, compilerOptions: ts.CompilerOptions, cache: string | undefined): string {
  const source = readFileSync(file, 'utf8');
  const transpile = () => ts.transpileModule(source, { compilerOptions, fileName: file }).outputText;
  if (cache === undefined) return transpile();
  const key = createHash('sha256')
    .update(`${ts.version}\0${JSON.stringify(compilerOptions)}\0${relative(root, file)}\0${source}`)
    .digest('hex');
  const path = join(cache, `${key}.js`);
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // not cached yet
  }
  const output = transpile();
  // Written aside, then renamed: a worker reading at the same time sees the whole file or none.
  const pending = `${path}.${process.pid}.tmp`;
  writeFileSync(pending, output, { mode: 0o600 });
  renameSync(pending, path);
  return output;
}

/** Copies left behind by test workers that were killed before their exit handler ran, and old cache entries. */
function removeStaleCopies(): void {
  const cache = ownCacheDir();
  for (const name of cache ? readdirSync(cache) : []) {
    try {
      if (Date.now() - statSync(join(cache!, name)).mtimeMs > cacheMaxAgeMs)
        rmSync(join(cache!, name), { force: true });
    } catch {
      // another process removed it meanwhile
    }
  }
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(tempPrefix)) continue;
    const path = join(tmpdir(), name);
    try {
      if (Date.now() - statSync(path).mtimeMs > staleAfterMs) rmSync(path, { recursive: true, force: true });
    } catch {
      // another process removed it meanwhile
    }
  }
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/**
 * apps/ and libs/ transpiled file by file (no type check) into a temporary folder, so tests can run a CLI command or a
 * probe in a child process of its own (its own heap, exit code and stdout) without a full build.
 */
export function transpileSources(): string {
  if (transpiled) return transpiled;
  removeStaleCopies();
  const out = mkdtempSync(join(tmpdir(), tempPrefix));
  const compilerOptions: ts.CompilerOptions = {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2022,
    esModuleInterop: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    sourceMap: false,
  };
  const cache = ownCacheDir();
  for (const file of [...sources(join(root, 'apps')), ...sources(join(root, 'libs'))]) {
    const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, transpileCached(file, compilerOptions, cache));
  }
  writeFileSync(join(out, 'alias-hook.js'), aliasHook);
  transpiled = out;
  return out;
}

/** Removes the transpiled copy (call from `afterAll`: Jest workers do not run exit handlers). */
export function removeTranspiledSources(): void {
  if (transpiled) rmSync(transpiled, { recursive: true, force: true });
  transpiled = undefined;
}

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a source file (path relative to the repository root, e.g. `apps/cli/src/main.ts`) in a child Node process. */
export function runSourceFile(
  entry: string,
  args: string[],
  options: { nodeOptions?: string[]; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<ChildResult> {
  const dir = transpileSources();
  const script = join(dir, entry.replace(/\.ts$/, '.js'));
  const child = spawn(
    process.execPath,
    [...(options.nodeOptions ?? []), '-r', join(dir, 'alias-hook.js'), script, ...args],
    {
      cwd: options.cwd ?? root,
      env: { ...process.env, ...options.env, NODE_PATH: join(root, 'node_modules') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
