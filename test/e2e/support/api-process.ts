/**
 * The API as a process of its own, as `npm start` runs it (the built entry apps/api/src/main, here transpiled without a
 * type check, see transpiled-child.ts): its own DATA_DIR, the environment given, a port of its own. SIGKILL ends it
 * without any shutdown hook; `start()` again on the same DATA_DIR is a restart.
 *
 *   const api = await startApiProcess({ name: 'a', dataDir, env: { EVENT_STORE, AUTH_JWT_SECRET, AUDIT_SIGNING_KEY } });
 *   await fetch(`${api.baseUrl}/readyz`);
 *   api.kill('SIGKILL');
 */
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { transpileSources } from '../../../libs/audit/src/testing/transpiled-child';

const root = join(__dirname, '..', '..', '..');

export interface ApiProcessOptions {
  /** Names the process in failure messages. */
  name: string;
  dataDir: string;
  /** EVENT_STORE, AUTH_JWT_SECRET, AUDIT_SIGNING_KEY…; PORT, HOST and DATA_DIR are set here. */
  env: NodeJS.ProcessEnv;
  /** How long to wait for `/readyz` to answer 200. Default 30 s. */
  readyTimeoutMs?: number;
}

export interface ApiProcess {
  readonly name: string;
  readonly dataDir: string;
  readonly baseUrl: string;
  readonly pid: number;
  /** What the process wrote on stdout and stderr, for failure messages. */
  output(): string;
  /** Resolves with the exit code or signal once the process is gone. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM (graceful shutdown), then SIGKILL after `graceMs` if it is still running. */
  stop(graceMs?: number): Promise<number | NodeJS.Signals | null>;
}

const listening = /API listening on (http:\/\/[^\s)]+)/;

/** Every instance a test starts shares one privacy master key, as the instances of a cluster must. */
const clusterPrivacyMasterKey = randomBytes(32).toString('base64');

export async function startApiProcess(options: ApiProcessOptions): Promise<ApiProcess> {
  const dir = transpileSources();
  const child: ChildProcess = spawn(
    process.execPath,
    ['-r', join(dir, 'alias-hook.js'), join(dir, 'apps', 'api', 'src', 'main.js')],
    {
      cwd: root,
      env: {
        ...process.env,
        PRIVACY_MASTER_KEY: clusterPrivacyMasterKey,
        ...options.env,
        DATA_DIR: options.dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        NO_COLOR: '1',
        NODE_PATH: join(root, 'node_modules'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    // Bounded: a long load test logs conflicts; the start and the last lines are what a failure needs.
    if (output.length > 200_000) output = output.slice(0, 20_000) + '\n…\n' + output.slice(-100_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const fail = (why: string): never => {
    child.kill('SIGKILL');
    throw new Error(`${options.name}: ${why}\n${output}`);
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  let baseUrl: string | undefined;
  while (baseUrl === undefined) {
    if (gone) fail('exited before listening');
    if (Date.now() > deadline) fail('did not listen in time');
    baseUrl = listening.exec(output)?.[1];
    if (baseUrl === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (;;) {
    if (gone) fail('exited before it was ready');
    try {
      if ((await fetch(`${baseUrl}/readyz`)).status === 200) break;
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline) fail('was not ready in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    name: options.name,
    dataDir: options.dataDir,
    baseUrl,
    pid: child.pid!,
    output: () => output,
    exited,
    kill: (signal) => {
      if (!gone) child.kill(signal);
    },
    async stop(graceMs = 10_000) {
      if (gone) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}
