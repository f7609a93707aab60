/** Starts test/e2e/console/identity-provider.mjs (a real OpenID provider on 127.0.0.1) and talks to it over stdio. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { importJWK, SignJWT, type JWK } from 'jose';

const root = join(__dirname, '..', '..', '..');

export interface IdentityProvider {
  issuer: string;
  /** Registers the console as a public client redirecting to `redirectUri`; resolves once the provider serves. */
  register(client: { clientId: string; redirectUri: string; resource: string; scope: string }): Promise<void>;
  /** An access token for `subject` signed with the provider's key, as the provider issues them (for test setup). */
  accessToken(subject: string, resource: string): Promise<string>;
  output(): string;
  close(): Promise<void>;
}

export async function startIdentityProvider(): Promise<IdentityProvider> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'identity-provider.mjs')], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const nextMessage = async <T>(): Promise<T> => {
    const line = await Promise.race([lines.next(), exited.then(() => ({ done: true, value: undefined }))]);
    if (line.done) throw new Error(`the identity provider stopped:\n${output}`);
    return JSON.parse(line.value as string) as T;
  };
  const { issuer } = await nextMessage<{ issuer: string }>();
  let signingKey: JWK | undefined;
  return {
    issuer,
    async register(client) {
      child.stdin!.write(`${JSON.stringify(client)}\n`);
      ({ signingKey } = await nextMessage<{ signingKey: JWK }>());
    },
    async accessToken(subject, resource) {
      if (!signingKey) throw new Error('register the client first');
      return new SignJWT({ scope: 'access-audit' })
        .setProtectedHeader({ alg: 'RS256', kid: signingKey.kid!, typ: 'at+jwt' })
        .setIssuer(issuer)
        .setAudience(resource)
        .setSubject(subject)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(await importJWK(signingKey, 'RS256'));
    },
    output: () => output,
    async close() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
