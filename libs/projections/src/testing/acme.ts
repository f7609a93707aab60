import { compareSequence, TeamHistory } from '../../../../test/fixtures/team-history';
import { AccessQueries } from '../access-queries';
import { AccessProjection } from '../projection/projection';
import { openReadModelDatabase } from '../schema';

/** An instant of March 2025 (09:00 unless told). */
export const day = (d: number, time = '09:00:00.000'): string => `2025-03-${String(d).padStart(2, '0')}T${time}Z`;
export const ms = (iso: string): number => Date.parse(iso);

/** Acme, Enterprise: olivia owner, project web, dana developer (hired), cleo contributor. */
export function enterpriseTeam(): TeamHistory {
  const team = new TeamHistory('acme');
  team.run('olivia', day(1), { type: 'CreateTeam', data: { name: 'Acme', plan: 'enterprise' } });
  team.run('olivia', day(1, '10:00:00.000'), { type: 'CreateProject', data: { projectId: 'web', name: 'Web' } });
  team.run('olivia', day(2), { type: 'AddMember', data: { userId: 'dana', role: 'developer' } }, 'hired');
  team.run('olivia', day(2), { type: 'AddMember', data: { userId: 'cleo', role: 'contributor' } });
  return team;
}

/** A projection over an empty in-memory read-model database, and the queries over it. */
export function setup() {
  const db = openReadModelDatabase(':memory:');
  const projection = new AccessProjection(db, compareSequence);
  return { db, projection, queries: new AccessQueries(projection) };
}
