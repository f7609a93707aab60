/**
 * /metrics passes `promtool check metrics` (Prometheus' promlint), without needing promtool: the rules it applies
 * that this exposition could break are checked on the app's own /metrics text, after some traffic.
 */
import { startTestApi, type TestApi } from './support/test-api';

interface MetricFamily {
  help?: string;
  type?: string;
  samples: number;
}

/** The families of a Prometheus text exposition (0.0.4): HELP, TYPE and how many samples each has. */
function familiesOf(exposition: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const family = (name: string): MetricFamily => {
    let found = families.get(name);
    if (!found) families.set(name, (found = { samples: 0 }));
    return found;
  };
  for (const line of exposition.split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      family(meta[2]!)[meta[1] === 'HELP' ? 'help' : 'type'] = meta[3]!;
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (!sample) continue;
    const name = sample[1]!;
    const histogramPart = /^(.*)_(bucket|sum|count)$/.exec(name);
    const owner =
      histogramPart && families.get(histogramPart[1]!)?.type?.match(/histogram|summary/) ? histogramPart[1]! : name;
    family(owner).samples += 1;
  }
  return families;
}

describe('/metrics as promtool check metrics sees it', () => {
  let api: TestApi;
  let exposition: string;

  beforeAll(async () => {
    api = await startTestApi();
    const alice = await api.as('alice');
    await alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
    await alice.post('/v1/teams/acme/members', { userId: 'bob', role: 'owner' }).expect(201);
    exposition = (await api.http().get('/metrics').expect(200)).text;
  });
  afterAll(() => api.close());

  it('has a TYPE and a HELP text for every metric (promlint: "no help text")', () => {
    const families = [...familiesOf(exposition)];
    expect(families.length).toBeGreaterThan(10);
    expect(families.filter(([, family]) => !family.type || !family.help).map(([name]) => name)).toEqual([]);
  });

  it('ends counters, and only counters, in _total (promlint: "non-counter metrics should not have _total suffix")', () => {
    const families = [...familiesOf(exposition)];
    expect(
      families
        .filter(([name, family]) => name.endsWith('_total') !== (family.type === 'counter'))
        .map(([name, family]) => `${name} (${family.type ?? 'untyped'})`),
    ).toEqual([]);
    expect(families.filter(([, family]) => family.type === 'counter').map(([name]) => name)).toEqual(
      expect.arrayContaining(['commands_total', 'events_appended_total', 'process_cpu_seconds_total']),
    );
  });

  it('names metrics in snake_case without colons (promlint: camelCase, reserved characters)', () => {
    const names = [...familiesOf(exposition).keys()];
    expect(names.filter((name) => !/^[a-z_][a-z0-9_]*$/.test(name))).toEqual([]);
  });
});
