import type { TeamCommandInput, TeamCommands } from '@access-audit/application';
import {
  directoryActorId,
  permissionGroupRules,
  type ActiveTeam,
  type MemberState,
  type PermissionGroup,
} from '@access-audit/domain';
import { UndecodableTeamEventError } from '@access-audit/team-stream';
import type { DesiredMember } from './membership';
import type { DirectoryReconcileContext, ReconcileOutcome } from './reconciler-types';

export type { DirectoryReconcileContext, ReconcileOutcome } from './reconciler-types';

/** The command path could not decide (a conflict past every retry, or a team stream this code cannot read). */
export class DirectoryReconcileError extends Error {
  constructor(
    readonly kind: 'conflict' | 'unreadable',
    override readonly cause: Error,
  ) {
    super(`directory reconcile stopped: ${kind} (${cause.message})`);
    this.name = 'DirectoryReconcileError';
  }
}

type PlannedType = 'AddMember' | 'ChangeTeamRole' | 'RemoveMember' | 'GrantPermissionGroup' | 'RevokePermissionGroup';
type WithoutTeam<C> = C extends { teamId: string } ? Omit<C, 'teamId'> : never;
/** One team command the directory will issue, without its team (the context names it). */
export type ReconcileStep = WithoutTeam<Extract<TeamCommandInput, { type: PlannedType }>>;

/**
 * The commands that bring one member in line with what the mappings say. A member the directory did not provision is
 * touched only while the mappings name them (an owner's hand-added member outside every mapped group is left alone), and
 * only groups the directory granted are revoked (an owner's hand grant stays).
 */
export function planMember(
  userId: string,
  member: MemberState | undefined,
  desired: DesiredMember | undefined,
  directoryId: string,
): ReconcileStep[] {
  const actor = directoryActorId(directoryId);
  if (!desired) {
    if (member && member.provisionedBy === directoryId) return [{ type: 'RemoveMember', data: { userId } }];
    return [];
  }
  const steps: ReconcileStep[] = [];
  if (!member) steps.push({ type: 'AddMember', data: { userId, role: desired.role } });
  else if (member.role.value !== desired.role)
    steps.push({ type: 'ChangeTeamRole', data: { userId, role: desired.role } });
  // A role change itself ends the groups the new role may not hold (a cascade), so only the rest are left to revoke.
  const held = new Map(
    [...(member?.permissionGroups ?? [])].filter(([group]) =>
      permissionGroupRules[group].compatibleWith.includes(desired.role),
    ),
  );
  const wanted = new Set<PermissionGroup>(desired.permissionGroups);
  for (const [group, grant] of held) {
    if (!wanted.has(group) && grant.grantedBy === actor) {
      steps.push({ type: 'RevokePermissionGroup', data: { userId, group } });
    }
  }
  for (const group of desired.permissionGroups) {
    if (!held.has(group)) steps.push({ type: 'GrantPermissionGroup', data: { userId, group } });
  }
  return steps;
}

/** Brings a team's directory-provisioned members in line with what the mappings say, one team command at a time. */
export class DirectoryReconciler {
  constructor(private readonly deps: { commands: TeamCommands }) {}

  /** Brings the team's directory-provisioned members in line with `desired`, touching only memberUserIds in `scope`. */
  async reconcile(
    desired: Map<string, DesiredMember>,
    scope: readonly string[],
    ctx: DirectoryReconcileContext,
  ): Promise<ReconcileOutcome> {
    const { commands } = this.deps;
    let state;
    try {
      ({ state } = await commands.current(ctx.teamId));
    } catch (error) {
      if (error instanceof UndecodableTeamEventError) throw new DirectoryReconcileError('unreadable', error);
      throw error;
    }
    const team: ActiveTeam | undefined = state.status === 'active' ? state : undefined;
    const userIds = [...new Set(scope)];
    // Owners-to-be first and removals last, so a swap of owners never passes through a team without one.
    const rank = (userId: string): number => (desired.get(userId)?.role === 'owner' ? 0 : desired.has(userId) ? 1 : 2);
    userIds.sort((a, b) => rank(a) - rank(b));

    const positions: string[] = [];
    for (const userId of userIds) {
      const member = team?.members.get(userId);
      for (const step of planMember(userId, member, desired.get(userId), ctx.directoryId)) {
        const outcome = await commands.issue({ ...step, teamId: ctx.teamId } as TeamCommandInput, {
          actorId: directoryActorId(ctx.directoryId),
          correlationId: ctx.correlationId,
          ...(ctx.requestContext ? { requestContext: ctx.requestContext } : {}),
        });
        if (outcome.ok) {
          positions.push(outcome.position);
          continue;
        }
        if (outcome.kind === 'refused') return { ok: false, refusal: outcome.rejection, appliedBefore: positions };
        throw new DirectoryReconcileError(outcome.kind, outcome.error);
      }
    }
    return { ok: true, positions };
  }
}
