import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openEventStore } from '@access-audit/event-store/open';
import { openSubjectKeys } from '@access-audit/privacy';
import { command } from './audit-export';

jest.mock('@access-audit/event-store/open', () => {
  const { MemoryEventStore } =
    jest.requireActual<typeof import('@access-audit/event-store')>('@access-audit/event-store');
  return { openEventStore: jest.fn(async () => new MemoryEventStore()) };
});

describe('audit:export', () => {
  const saved = {
    EVENT_STORE: process.env.EVENT_STORE,
    DATA_DIR: process.env.DATA_DIR,
    PRIVACY_MASTER_KEY: process.env.PRIVACY_MASTER_KEY,
  };
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'audit-export-cli-'));
    process.env.DATA_DIR = dataDir;
  });
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(dataDir, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  it('names an unknown team without echoing EVENT_STORE, which may hold credentials', async () => {
    process.env.EVENT_STORE = 'kurrentdb://admin:s3cr3t-pass@db.internal:2113?tls=false';
    const written: string[] = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    expect(await command.run(['--team', 'nowhere'])).toBe(1);
    expect(written.join('')).toContain('team nowhere does not exist');
    expect(written.join('')).not.toContain('s3cr3t-pass');
  });

  it('refuses a master key that opens none of the stored keys, leaving no event store open', async () => {
    delete process.env.EVENT_STORE;
    const writer = await openSubjectKeys({
      eventStore: undefined,
      dataDir,
      masterKey: randomBytes(32).toString('base64'),
    });
    await writer.seal('alice on call', ['alice']);
    await writer.close();
    process.env.PRIVACY_MASTER_KEY = randomBytes(32).toString('base64');
    const { MemoryEventStore } =
      jest.requireActual<typeof import('@access-audit/event-store')>('@access-audit/event-store');
    const closed: boolean[] = [];
    jest.mocked(openEventStore).mockImplementationOnce(async () => {
      const store = new MemoryEventStore();
      const index = closed.push(false) - 1;
      const close = store.close.bind(store);
      store.close = async () => {
        closed[index] = true;
        await close();
      };
      return store;
    });

    await expect(command.run(['--team', 'acme'])).rejects.toThrow(/does not open the subject key store/);
    // An event store left open (a PostgreSQL pool) would keep the process from ever exiting.
    expect(closed.every(Boolean)).toBe(true);
  });
});
