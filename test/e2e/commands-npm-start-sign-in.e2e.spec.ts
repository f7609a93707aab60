/**
 * `npm start -- --sign-in alice`: scripts/start.js hands its arguments (process.argv.slice(2), what npm passes after
 * `--`) to the API, which prints a one-time sign-in link once it listens. The link's code, redeemed over HTTP, signs alice
 * in once and not twice; the code appears in the output on that one line only. Here start.js runs the API's entry
 * transpiled without a type check (as support/api-process.ts does) instead of building dist/ first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { transpileSources } from '../../libs/audit/src/testing/transpiled-child';

const root = join(__dirname, '..', '..');
const startScript = join(root, 'scripts', 'start.js');
const linkLine =
  /^Sign in as alice \(once, within 10 minutes\): (http:\/\/127\.0\.0\.1:\d+)\/sign-in#code=([\w-]{43})$/m;

async function until<T>(
  value: () => T | undefined,
  timeoutMs: number,
  probe: () => Promise<void> = async () => {},
): Promise<T | undefined> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    await probe();
    const found = value();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return value();
}

describe('npm start -- --sign-in <userId>', () => {
  let dataDir: string;
  let shell: ChildProcess | undefined;
  let output = '';
  let exited: Promise<number | null>;
  let stopped = false;

  /** `npm start -- …args`: npm's `sh -c "node scripts/start.js …args"`, start.js running the transpiled API. */
  const npmStart = (args: string[], env: NodeJS.ProcessEnv = {}): void => {
    const dir = transpileSources();
    const entry = relative(root, join(dir, 'apps', 'api', 'src', 'main.js'));
    const launcher = `require(process.argv[1]).runBuilt(process.argv[2], process.argv.slice(3))`;
    shell = spawn('sh', ['-c', `"$0" -e "$@"; exit $?`, process.execPath, launcher, startScript, entry, ...args], {
      cwd: root,
      env: {
        ...process.env,
        ...env,
        NODE_OPTIONS: `--require ${join(dir, 'alias-hook.js')}`,
        NODE_PATH: join(root, 'node_modules'),
        DATA_DIR: dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    output = '';
    stopped = false;
    shell.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    shell.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    exited = new Promise((resolve) => shell!.on('exit', (code) => resolve(code)));
  };

  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'access-audit-sign-in-'))));
  afterEach(async () => {
    if (shell && shell.exitCode === null) {
      shell.kill('SIGTERM');
      await exited;
    }
    // start.js stops the API once its shell is gone: wait for that before removing its DATA_DIR.
    const listening = /API listening on (http:\/\/[^\s)]+)/.exec(output)?.[1];
    if (listening)
      await until(
        () => (stopped ? true : undefined),
        10_000,
        async () => {
          stopped = await fetch(`${listening}/healthz`).then(
            () => false,
            () => true,
          );
        },
      );
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints a link whose code signs alice in once and not twice, and shows the code on that line only', async () => {
    npmStart(['--sign-in', 'alice']);
    const link = await until(() => linkLine.exec(output) ?? undefined, 30_000);
    if (!link) throw new Error(`no sign-in link was printed:\n${output}`);
    const [, baseUrl, code] = link;
    const redeem = () =>
      fetch(`${baseUrl}/v1/console/sign-in-link`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ code }),
      });

    const first = await redeem();
    expect(first.status).toBe(200);
    const { accessToken } = (await first.json()) as { accessToken: string };
    const created = await fetch(`${baseUrl}/v1/teams`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ id: 'acme', name: 'Acme', plan: 'pro' }),
    });
    expect(created.status).toBe(201);
    const team = await fetch(`${baseUrl}/v1/teams/acme`, { headers: { Authorization: `Bearer ${accessToken}` } });
    expect(((await team.json()) as { members: { userId: string; role: string }[] }).members).toEqual([
      expect.objectContaining({ userId: 'alice', role: 'owner' }),
    ]);

    const second = await redeem();
    expect(second.status).toBe(401);
    expect(second.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await second.json()) as { detail: string }).detail).toMatch(/already used/);

    expect(output.split(code!).length - 1).toBe(1);
    expect(output.split('\n').filter((line) => line.includes(code!))).toEqual([link[0]]);
    expect(output).toMatch(/Reviewer console: .*\(sign in with the one-time link below, or with an access token\)/);
  }, 60_000);

  it('refuses --sign-in with an identity provider, and a user id that is not one, in words', async () => {
    npmStart(['--sign-in', 'alice'], {
      AUTH_JWKS_URL: 'https://idp.example/keys',
      AUTH_ISSUER: 'https://idp.example',
      AUTH_AUDIENCE: 'urn:access-audit',
    });
    expect(await exited).toBe(1);
    expect(output).toMatch(
      /--sign-in is for the embedded default: with an identity provider, users sign in through it/,
    );
    expect(output).not.toMatch(/sign-in#code=/);

    npmStart(['--sign-in', '<script>']);
    expect(await exited).toBe(1);
    expect(output).toMatch(/--sign-in needs a user id/);
  }, 60_000);

  it('refuses to start, in words and without a stack, when PRIVACY_MASTER_KEY wraps none of the stored subject keys', async () => {
    const key = () => randomBytes(32).toString('base64');
    npmStart(['--sign-in', 'alice'], { PRIVACY_MASTER_KEY: key() });
    const link = await until(() => linkLine.exec(output) ?? undefined, 30_000);
    if (!link) throw new Error(`no sign-in link was printed:\n${output}`);
    const [, baseUrl, code] = link;
    const { accessToken } = (await (
      await fetch(`${baseUrl}/v1/console/sign-in-link`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ code }),
      })
    ).json()) as { accessToken: string };
    // A reason creates alice's subject key, wrapped by this master key.
    const created = await fetch(`${baseUrl}/v1/teams`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ id: 'acme', name: 'Acme', plan: 'pro', reason: 'kick-off' }),
    });
    expect(created.status).toBe(201);
    shell!.kill('SIGTERM');
    await exited;
    await until(
      () => (stopped ? true : undefined),
      10_000,
      async () => {
        stopped = await fetch(`${baseUrl}/healthz`).then(
          () => false,
          () => true,
        );
      },
    );

    npmStart([], { PRIVACY_MASTER_KEY: key() });
    expect(await exited).toBe(1);
    expect(output).toMatch(/could not start: configuration: PRIVACY_MASTER_KEY does not open the subject key store/);
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toMatch(/API listening/);
  }, 90_000);
});
