import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySubjectKeyStorage, type SubjectKeyStorage } from './key-storage';
import { MasterKeys } from './master-key';
import { erasedText, isSealedValue } from './sealed-value';
import { SqliteSubjectKeyStorage } from './sqlite-key-storage';
import { SubjectKeys } from './subject-keys';

const master = randomBytes(32);

describe.each<[string, () => SubjectKeyStorage]>([
  ['memory', () => new MemorySubjectKeyStorage()],
  ['sqlite', () => new SqliteSubjectKeyStorage(join(mkdtempSync(join(tmpdir(), 'keys-')), 'subject-keys.db'))],
])('SubjectKeys on %s storage', (_name, storage) => {
  it('seals a value that opens to its plaintext and holds no plaintext', async () => {
    const keys = new SubjectKeys(storage(), new MasterKeys(master));
    const sealed = await keys.seal('on call for the outage', ['alice']);
    expect(isSealedValue(sealed)).toBe(true);
    expect(JSON.stringify(sealed)).not.toContain('outage');
    expect(await keys.open(sealed)).toBe('on call for the outage');
    expect(await keys.open('legacy clear text')).toBe('legacy clear text');
  });

  it('a value about two subjects reads as [erased] when either one is erased', async () => {
    const keys = new SubjectKeys(storage(), new MasterKeys(master));
    const aboutBoth = await keys.seal('alice promotes bob for the launch', ['alice', 'bob']);
    const aliceOnly = await keys.seal('alice at 10.0.0.1', ['alice']);
    const carolAndBob = await keys.seal('carol about bob', ['carol', 'bob']);
    expect(await keys.erase('bob')).toBe(1);
    expect(await keys.open(aboutBoth)).toBe(erasedText);
    expect(await keys.open(carolAndBob)).toBe(erasedText);
    expect(await keys.open(aliceOnly)).toBe('alice at 10.0.0.1');
    expect(await keys.erase('bob')).toBe(0);
  });

  it('a value opened and so derived once still reads [erased] once another instance erased a subject and the cache expired', async () => {
    const shared = storage();
    let clock = 1_000;
    const options = { cacheTtlMs: 30_000, now: () => clock };
    const a = new SubjectKeys(shared, new MasterKeys(master), options);
    const b = new SubjectKeys(shared, new MasterKeys(master), options);
    const aboutBoth = await a.seal('alice promotes bob for the launch', ['alice', 'bob']);
    expect(await b.open(aboutBoth)).toBe('alice promotes bob for the launch');
    expect(await b.open(aboutBoth)).toBe('alice promotes bob for the launch');
    expect(await a.erase('bob')).toBe(1);
    expect(await a.open(aboutBoth)).toBe(erasedText);
    clock += 30_001;
    expect(await b.open(aboutBoth)).toBe(erasedText);
    expect(await b.reveal({ reason: aboutBoth })).toEqual({ reason: erasedText });
  });

  it('keeps at most cacheSize opened keys, the oldest going first', async () => {
    const shared = storage();
    let lookups = 0;
    const counting = new Proxy(shared, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (property === 'keysById') lookups++;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const sealer = new SubjectKeys(shared, new MasterKeys(master));
    const [a, b, c] = await Promise.all(['ann', 'ben', 'cy'].map((who) => sealer.seal(`about ${who}`, [who])));
    const keys = new SubjectKeys(counting, new MasterKeys(master), { cacheSize: 2 });
    for (const value of [a!, b!, c!]) await keys.open(value);
    expect(lookups).toBe(3);
    expect(await keys.open(c!)).toBe('about cy');
    expect(await keys.open(b!)).toBe('about ben');
    expect(lookups).toBe(3);
    // ann's key was the oldest of three: it went, and is looked up again.
    expect(await keys.open(a!)).toBe('about ann');
    expect(lookups).toBe(4);
  });

  it('reveal opens every sealed value at any depth, ids as property names included', async () => {
    const keys = new SubjectKeys(storage(), new MasterKeys(master));
    const body = {
      entries: [
        {
          reason: await keys.seal('why', ['constructor']),
          context: { ip: await keys.seal('10.1.2.3', ['constructor']) },
        },
      ],
      byUser: Object.assign(Object.create(null) as Record<string, unknown>, { __proto__x: 1 }),
      n: 3,
    };
    expect(await keys.reveal(body)).toEqual({
      entries: [{ reason: 'why', context: { ip: '10.1.2.3' } }],
      byUser: { __proto__x: 1 },
      n: 3,
    });
    const parsed = JSON.parse(`{"__proto__": ${JSON.stringify(await keys.seal('p', ['__proto__']))}}`) as object;
    const revealedParsed = await keys.reveal(parsed);
    expect(Object.getPrototypeOf(revealedParsed)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(revealedParsed, '__proto__')?.value).toBe('p');
    await keys.erase('constructor');
    expect(await keys.reveal(body)).toMatchObject({ entries: [{ reason: erasedText, context: { ip: erasedText } }] });
  });

  it('a tampered sealed value does not open', async () => {
    const keys = new SubjectKeys(storage(), new MasterKeys(master));
    const sealed = await keys.seal('text', ['alice', 'bob']);
    await expect(
      keys.open({ ...sealed, subjects: ['bob', 'alice'], keys: [sealed.keys[1], sealed.keys[0]] }),
    ).rejects.toThrow();
  });

  it('rotates the master key without downtime: the previous key still unwraps, rotate re-wraps', async () => {
    const store = storage();
    const before = new SubjectKeys(store, new MasterKeys(master), { cacheTtlMs: 0 });
    const sealed = await before.seal('kept across rotation', ['alice']);
    const next = randomBytes(32);
    const during = new SubjectKeys(store, new MasterKeys(next, master), { cacheTtlMs: 0 });
    expect(await during.open(sealed)).toBe('kept across rotation');
    await during.rotate();
    expect(await during.rotate()).toBe(0);
    const after = new SubjectKeys(store, new MasterKeys(next), { cacheTtlMs: 0 });
    expect(await after.open(sealed)).toBe('kept across rotation');
    await expect(new SubjectKeys(store, new MasterKeys(master), { cacheTtlMs: 0 }).open(sealed)).rejects.toThrow(
      /PRIVACY_MASTER_KEY/,
    );
  });
});

it('after an erasure the SQLite key file and its WAL hold none of the erased key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keys-'));
  const storage = new SqliteSubjectKeyStorage(join(dir, 'subject-keys.db'));
  const keys = new SubjectKeys(storage, new MasterKeys(master));
  await keys.seal('x', ['alice']);
  await keys.seal('y', ['bob']);
  const [aliceKey] = (await storage.allKeys()).filter((key) => key.subject === 'alice');
  await keys.erase('alice');
  const raw = readdirSync(dir).map((file) => readFileSync(join(dir, file)));
  for (const bytes of raw) {
    expect(bytes.includes(Buffer.from(aliceKey.wrapped))).toBe(false);
    expect(bytes.includes(Buffer.from(aliceKey.keyId))).toBe(false);
  }
  await keys.close();
});
