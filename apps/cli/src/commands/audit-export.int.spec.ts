import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command } from './audit-export';

jest.mock('@access-audit/event-store/open', () => {
  const { MemoryEventStore } =
    jest.requireActual<typeof import('@access-audit/event-store')>('@access-audit/event-store');
  return { openEventStore: jest.fn(async () => new MemoryEventStore()) };
});

describe('audit:export', () => {
  const saved = { EVENT_STORE: process.env.EVENT_STORE, DATA_DIR: process.env.DATA_DIR };
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
});
