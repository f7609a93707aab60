import { decide, evolve, initialTeamState, type TeamCommand, type TeamState } from '@access-audit/domain';
import type { AccessReviewCommand, OpenAccessReview } from '../campaign/commands';
import { accessReviewDecider } from '../campaign/decide';
import { DeciderSpecification } from '@access-audit/domain/testing';
import type { AccessReviewEvent } from '../campaign/events';

/** given(events).when(command).then(events) | .thenRejects(rejection): Emmett-style decider specs for campaigns. */
export const given = DeciderSpecification.for(accessReviewDecider);

export const TEAM = 'acme';
export const REVIEW = 'q1-review';
export const OPENED_AT = '2026-03-01T09:00:00.000Z';
export const DUE_AT = '2026-03-31T17:00:00.000Z';
export const DURING = '2026-03-10T12:00:00.000Z';
export const AFTER_DUE = '2026-04-01T08:00:00.000Z';

/** Applies team commands through the real team decider, as the team stream would have recorded them. */
export function teamThrough(
  commands: Array<[type: TeamCommand['type'], actorId: string, data: object, at?: string]>,
  from: TeamState = initialTeamState(),
): TeamState {
  let state = from;
  for (const [type, actorId, data, at] of commands) {
    const command = {
      type,
      teamId: TEAM,
      data,
      metadata: { actorId, now: at ?? '2026-01-15T10:00:00.000Z' },
    } as TeamCommand;
    const decision = decide(command, state);
    if (!decision.ok) throw new Error(`fixture command ${type} refused: ${decision.rejection.message}`);
    state = decision.events.reduce(evolve, state);
  }
  return state;
}

/**
 * An Enterprise team: owners olga and oscar; mia (member, added by oscar); dev (developer with create_project and
 * full_production_deployment, granted by olga); sec (security); vic (viewer); cole (contributor, project_admin on web and
 * project_viewer on api, assigned by mia); rita (enterprise_viewer, a reviewer without owner rights).
 */
export const enterpriseTeam = (): TeamState =>
  teamThrough([
    ['CreateTeam', 'olga', { name: 'Acme', plan: 'enterprise' }],
    ['AddMember', 'olga', { userId: 'oscar', role: 'owner' }],
    ['AddMember', 'oscar', { userId: 'mia', role: 'member' }],
    ['AddMember', 'olga', { userId: 'dev', role: 'developer' }],
    ['AddMember', 'olga', { userId: 'sec', role: 'security' }],
    ['AddMember', 'olga', { userId: 'vic', role: 'enterprise_viewer' }],
    ['AddMember', 'olga', { userId: 'rita', role: 'enterprise_viewer' }],
    ['AddMember', 'olga', { userId: 'cole', role: 'contributor' }],
    ['GrantPermissionGroup', 'olga', { userId: 'dev', group: 'create_project' }],
    ['GrantPermissionGroup', 'olga', { userId: 'dev', group: 'full_production_deployment' }],
    ['CreateProject', 'olga', { projectId: 'web', name: 'Web' }],
    ['CreateProject', 'olga', { projectId: 'api', name: 'API' }],
    ['AssignProjectRole', 'mia', { projectId: 'web', userId: 'cole', role: 'project_admin' }],
    ['AssignProjectRole', 'mia', { projectId: 'api', userId: 'cole', role: 'project_viewer' }],
  ]);

export const TEAM_REVISION = 20;

export const openCommand = (
  overrides: Partial<OpenAccessReview['data']> = {},
  actorId = 'olga',
  now = OPENED_AT,
): OpenAccessReview => ({
  type: 'OpenAccessReview',
  teamId: TEAM,
  reviewId: REVIEW,
  data: {
    name: 'Q1 access review',
    reviewerIds: ['oscar', 'rita'],
    dueAt: DUE_AT,
    scope: { kind: 'team' },
    team: { state: enterpriseTeam(), revision: TEAM_REVISION, position: '21' },
    ...overrides,
  },
  metadata: { actorId, now },
});

/** The events of a campaign opened by olga over the whole fixture team. */
export function opened(overrides: Partial<OpenAccessReview['data']> = {}): AccessReviewEvent[] {
  return given([]).when(openCommand(overrides)).thenAccepts();
}

export const decideCommand = (
  actorId: string,
  itemId: string,
  decision: 'keep' | 'revoke',
  justification?: string,
  now = DURING,
  team: TeamState = enterpriseTeam(),
): AccessReviewCommand => ({
  type: 'DecideAccessReviewItem',
  teamId: TEAM,
  reviewId: REVIEW,
  data: { itemId, decision, ...(justification !== undefined ? { justification } : {}), team },
  metadata: { actorId, now },
});
