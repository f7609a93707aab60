/**
 * `npm start` stops the API on SIGTERM. npm hands the signal to the `sh -c` it runs scripts in, and that shell dies
 * without passing it on; scripts/start.js must still stop the API it launched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');
const startScript = join(root, 'scripts', 'start.js');

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

describe('scripts/start.js under npm', () => {
  let dir: string;
  let shell: ChildProcess | undefined;

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'access-audit-start-'))));
  afterEach(() => {
    shell?.kill('SIGKILL');
    const pidFile = join(dir, 'app.pid');
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops the API it launched when the shell npm runs it in dies of a SIGTERM', async () => {
    const stopped = join(dir, 'stopped');
    const app = join(dir, 'app.js');
    writeFileSync(
      app,
      `const fs = require('node:fs');
       fs.writeFileSync(${JSON.stringify(join(dir, 'app.pid'))}, String(process.pid));
       process.on('SIGTERM', () => { fs.writeFileSync(${JSON.stringify(stopped)}, 'SIGTERM'); process.exit(0); });
       setInterval(() => {}, 1000);
       process.stdout.write('ready\\n');`,
    );
    // Like npm's `sh -c "node scripts/start.js"`; the trailing `exit` keeps any shell from exec'ing node.
    const launcher = `require(process.argv[1]).runBuilt(process.argv[2], [])`;
    shell = spawn(
      'sh',
      ['-c', `"$0" -e "$1" "$2" "$3"; exit $?`, process.execPath, launcher, startScript, relative(root, app)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    shell.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    expect(await until(() => output.includes('ready'), 10_000)).toBe(true);

    shell.kill('SIGTERM');

    expect(await until(() => existsSync(stopped), 10_000)).toBe(true);
    expect(readFileSync(stopped, 'utf8')).toBe('SIGTERM');
  }, 30_000);
});
