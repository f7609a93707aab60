import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '../../..');
const register = join(root, 'test/contract/fixtures/ts-register.js');

/** Which drivers a plain Node process has loaded after requiring one entry point of the event store. */
function driversLoadedBy(entry: string): string[] {
  const script = `
    require(${JSON.stringify(join(root, entry))});
    const loaded = Object.keys(require.cache);
    console.log(JSON.stringify(['better-sqlite3', 'pg', '@kurrent/kurrentdb-client'].filter((d) => loaded.some((k) => k.includes('/node_modules/' + d + '/')))));
  `;
  return JSON.parse(execFileSync(process.execPath, ['-r', register, '-e', script], { cwd: root, encoding: 'utf8' }));
}

describe('event store entry points: each adapter is loaded only where it is named', () => {
  it('the port, memory store and command path load no driver: not better-sqlite3, pg or the KurrentDB client', () => {
    expect(driversLoadedBy('libs/event-store/src/index.ts')).toEqual([]);
  });

  it('opening by EVENT_STORE loads an adapter only when it is asked for', () => {
    expect(driversLoadedBy('libs/event-store/src/open/index.ts')).toEqual([]);
  });

  it('the SQLite entry point loads better-sqlite3 and no other driver', () => {
    expect(driversLoadedBy('libs/event-store/src/sqlite/index.ts')).toEqual(['better-sqlite3']);
  });

  it('the PostgreSQL entry point loads pg and no other driver', () => {
    expect(driversLoadedBy('libs/event-store/src/postgres/index.ts')).toEqual(['pg']);
  });
});
