import fc from 'fast-check';
import { permissionGroups, plans, type ProjectRole } from '../policy/policy';
import { aimed, assertInvariants, createdTeam, step } from '../testing/random-team-history';
import { decide, requiredPermissions } from './decide';
import { checkPermission } from './effective-permissions';
import { evolve, type ActiveTeam, type MemberState, type TeamState } from './state';
import { stateText } from '../testing/state-text';

const projectRoleRank: Record<ProjectRole, number> = { project_viewer: 1, project_developer: 2, project_admin: 3 };

/** Nobody but an owner raises their own team role, groups or project roles by their own command. */
function assertNoSelfElevation(before: MemberState, after: MemberState | undefined): void {
  if (!after) return;
  expect(after.role.value).toBe(before.role.value);
  for (const g of permissionGroups)
    if (after.permissionGroups.has(g)) expect(before.permissionGroups.get(g)).toBeDefined();
  for (const [projectId, grant] of after.projectRoles) {
    const had = before.projectRoles.get(projectId);
    expect(had).toBeDefined();
    expect(projectRoleRank[grant.value]).toBeLessThanOrEqual(projectRoleRank[had!.value]);
  }
}

describe('team decider properties over random command sequences (random actors included)', () => {
  it('keeps every POLICY.md invariant, authorizes every accepted command, and lets nobody but an owner raise their own rights', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...plans),
        fc.array(step, { minLength: 20, maxLength: 120, size: 'max' }),
        (plan, steps) => {
          let state: TeamState = createdTeam(plan);
          steps.forEach((step, i) => {
            const before = state as ActiveTeam;
            const command = aimed(step, before, i);
            const actor = command.metadata.actorId;
            const decision = decide(command, before);
            if (!decision.ok) return;
            for (const need of requiredPermissions(command)) {
              expect(checkPermission(before, actor, need.permission, need.projectId).allowed).toBe(true);
            }
            state = decision.events.reduce(evolve, state);
            const after = state as ActiveTeam;
            assertInvariants(after);
            const actorBefore = before.members.get(actor);
            if (actorBefore && actorBefore.role.value !== 'owner')
              assertNoSelfElevation(actorBefore, after.members.get(actor));
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a rejected decision leaves the folded state exactly as it was (nothing to append)', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 60, size: 'max' }), (steps) => {
        let state: TeamState = createdTeam('enterprise');
        for (const [i, step] of steps.entries()) {
          const command = aimed(step, state as ActiveTeam, i);
          const snapshot = stateText(state);
          const decision = decide(command, state);
          expect(stateText(state)).toBe(snapshot);
          if (decision.ok) state = decision.events.reduce(evolve, state);
        }
      }),
      { numRuns: 100 },
    );
  });
});
