import { planRules, ruleIds } from '../../policy/policy';
import type { AssignProjectRole, CreateProject, DeleteProject, RevokeProjectRole } from '../commands';
import type { CascadeCause, TeamEvent } from '../events';
import type { Decision } from '../rejection';
import type { ActiveTeam } from '../state';
import { accept, baseOf, defaultProjectSecurity, isRejection, memberOf, reject, type CommandEntries } from './support';

function createProject(command: CreateProject, team: ActiveTeam): Decision<TeamEvent> {
  const { projectId, name } = command.data;
  if (team.projects.has(projectId)) {
    return reject({ kind: 'conflict', rule: ruleIds.projectIdFree, message: `project ${projectId} already exists` });
  }
  return accept({
    type: 'ProjectCreated',
    data: { ...baseOf(command), projectId, name, security: defaultProjectSecurity() },
  });
}

function deleteProject(command: DeleteProject, team: ActiveTeam): Decision<TeamEvent> {
  const project = team.projects.get(command.data.projectId)!;
  const base = baseOf(command);
  const deleted: TeamEvent = {
    type: 'ProjectDeleted',
    data: { ...base, projectId: project.id, before: { name: project.name }, after: null },
  };
  const cause: CascadeCause = { type: 'ProjectDeleted', projectId: project.id };
  const cascades: TeamEvent[] = [...team.members.values()]
    .filter((m) => m.projectRoles.has(project.id))
    .sort((a, b) => a.userId.localeCompare(b.userId))
    .map((m) => ({
      type: 'ProjectRoleRevoked',
      data: {
        ...base,
        projectId: project.id,
        userId: m.userId,
        before: { role: m.projectRoles.get(project.id)!.value },
        after: null,
        cause,
      },
    }));
  return accept(deleted, ...cascades);
}

function assignProjectRole(command: AssignProjectRole, team: ActiveTeam): Decision<TeamEvent> {
  const { projectId, userId, role } = command.data;
  if (!planRules[team.plan].projectRoles) {
    return reject({
      kind: 'policy',
      rule: ruleIds.planProjectRoles,
      message: `project roles are not available on the ${team.plan} plan`,
    });
  }
  const member = memberOf(team, userId);
  if (isRejection(member)) return reject(member);
  if (member.role.value !== 'contributor') {
    return reject({
      kind: 'policy',
      rule: ruleIds.projectRoleContributorOnly,
      message: `only contributors hold project roles; ${userId} is ${member.role.value}`,
    });
  }
  const current = member.projectRoles.get(projectId);
  if (current?.value === role) return accept();
  return accept({
    type: 'ProjectRoleAssigned',
    data: {
      ...baseOf(command),
      projectId,
      userId,
      before: current ? { role: current.value } : null,
      after: { role },
    },
  });
}

function revokeProjectRole(command: RevokeProjectRole, team: ActiveTeam): Decision<TeamEvent> {
  const { projectId, userId } = command.data;
  const member = memberOf(team, userId);
  if (isRejection(member)) return reject(member);
  const current = member.projectRoles.get(projectId);
  if (!current) {
    return reject({
      kind: 'not_found',
      rule: ruleIds.projectRoleAssigned,
      message: `${userId} has no project role on ${projectId}`,
    });
  }
  return accept({
    type: 'ProjectRoleRevoked',
    data: { ...baseOf(command), projectId, userId, before: { role: current.value }, after: null },
  });
}

/** Projects and contributors' project roles (POLICY.md "Project roles"). */
export const projectCommands: CommandEntries<
  'CreateProject' | 'DeleteProject' | 'AssignProjectRole' | 'RevokeProjectRole'
> = {
  CreateProject: { requires: () => [{ permission: 'project.create' }], decide: createProject },
  DeleteProject: {
    requires: (command) => [{ permission: 'project.delete', projectId: command.data.projectId }],
    project: (command) => command.data.projectId,
    decide: deleteProject,
  },
  AssignProjectRole: {
    requires: (command) => [{ permission: 'project.members.manage', projectId: command.data.projectId }],
    project: (command) => command.data.projectId,
    decide: assignProjectRole,
  },
  RevokeProjectRole: {
    requires: (command) => [{ permission: 'project.members.manage', projectId: command.data.projectId }],
    project: (command) => command.data.projectId,
    decide: revokeProjectRole,
  },
};
