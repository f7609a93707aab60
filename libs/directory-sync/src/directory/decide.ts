import { isDeepStrictEqual } from 'node:util';
import type { Decision } from '@access-audit/domain';
import { invalidValue, notFound, type ScimRejection } from '../scim/errors';
import { applyPatch, normalizePatch } from '../scim/patch';
import { renderGroup, renderUser } from '../scim/render';
import { memberUserIdOf, parseGroup, parseUser, type GroupInput, type UserInput } from '../scim/resources';
import type { DirectoryEvent } from './events';
import {
  userByUserName,
  type DirectoryGroupRecord,
  type DirectoryStreamState,
  type DirectoryUserRecord,
} from './state';

interface CommandBase {
  directoryId: string;
  /** ISO-8601 instant of the request; the domain reads no clock. */
  now: string;
  /** The SCIM id: minted by the caller on create, else from the path. */
  scimId: string;
}

/** What a SCIM write asks of the directory's stream; bodies are checked here, in the domain. */
export type DirectoryCommand =
  | (CommandBase & { type: 'CreateUser' | 'ReplaceUser' | 'PatchUser'; body: unknown })
  | (CommandBase & { type: 'DeleteUser' })
  | (CommandBase & { type: 'CreateGroup' | 'ReplaceGroup' | 'PatchGroup'; body: unknown })
  | (CommandBase & { type: 'DeleteGroup' });

export type DirectoryDecision = Decision<DirectoryEvent, ScimRejection>;

const refuse = (rejection: ScimRejection): DirectoryDecision => ({ ok: false, rejection });
const accept = (...events: DirectoryEvent[]): DirectoryDecision => ({ ok: true, events });
const conflict = (detail: string): ScimRejection => ({ status: 409, scimType: 'uniqueness', detail });

function userNameTaken(state: DirectoryStreamState, input: UserInput, scimId: string): ScimRejection | undefined {
  const holder = userByUserName(state, input.personal.userName);
  return holder && holder.scimId !== scimId ? conflict('userName is already taken in this directory') : undefined;
}

function createUser(command: CommandBase & { body: unknown }, state: DirectoryStreamState): DirectoryDecision {
  const parsed = parseUser(command.body);
  if (!parsed.ok) return refuse(parsed.rejection);
  const input = parsed.value;
  const taken = userNameTaken(state, input, command.scimId);
  if (taken) return refuse(taken);
  const memberUserId = memberUserIdOf(input, command.scimId);
  if (!memberUserId.ok) return refuse(memberUserId.rejection);
  for (const user of state.users.values())
    if (user.memberUserId === memberUserId.value)
      return refuse(
        conflict(
          `another user of this directory already is member userId ${memberUserId.value} (its externalId)`,
        ),
      );
  const { directoryId, now: occurredAt, scimId } = command;
  return accept({
    type: 'DirectoryUserProvisioned',
    data: { directoryId, occurredAt, scimId, memberUserId: memberUserId.value, ...input },
  });
}

/** PUT and PATCH alike: the attributes that changed, then whether `active` did. */
function changeUser(
  command: CommandBase,
  user: DirectoryUserRecord,
  input: UserInput,
  state: DirectoryStreamState,
  how: 'DirectoryUserReplaced' | 'DirectoryUserPatched',
): DirectoryDecision {
  const taken = userNameTaken(state, input, user.scimId);
  if (taken) return refuse(taken);
  const { directoryId, now: occurredAt, scimId } = command;
  const events: DirectoryEvent[] = [];
  const before = { schemas: user.schemas, externalId: user.externalId, personal: user.personal };
  const after = { schemas: input.schemas, externalId: input.externalId, personal: input.personal };
  if (!isDeepStrictEqual(before, after)) {
    const { active: _active, ...attributes } = input;
    events.push({ type: how, data: { directoryId, occurredAt, scimId, ...attributes } });
  }
  if (input.active !== user.active)
    events.push({
      type: input.active ? 'DirectoryUserReactivated' : 'DirectoryUserDeactivated',
      data: { directoryId, occurredAt, scimId, memberUserId: user.memberUserId },
    });
  return accept(...events);
}

function unknownMember(state: DirectoryStreamState, input: GroupInput): ScimRejection | undefined {
  const unknown = input.memberScimIds.find((id) => !state.users.has(id));
  return unknown === undefined
    ? undefined
    : invalidValue(`members: no user of this directory has id ${JSON.stringify(unknown)}`);
}

function changeGroup(
  command: CommandBase,
  group: DirectoryGroupRecord,
  input: GroupInput,
  state: DirectoryStreamState,
  fromPatch: boolean,
): DirectoryDecision {
  const missing = unknownMember(state, input);
  if (missing) return refuse(missing);
  const { directoryId, now: occurredAt, scimId } = command;
  const renamed = input.displayName !== group.displayName || input.externalId !== group.externalId;
  const before = new Set(group.memberScimIds);
  const after = new Set(input.memberScimIds);
  const added = input.memberScimIds.filter((id) => !before.has(id));
  const removed = group.memberScimIds.filter((id) => !after.has(id));
  if (renamed || (!fromPatch && (added.length > 0 || removed.length > 0)))
    return accept({ type: 'DirectoryGroupReplaced', data: { directoryId, occurredAt, scimId, ...input } });
  if (added.length > 0 || removed.length > 0)
    return accept({ type: 'DirectoryGroupMembersChanged', data: { directoryId, occurredAt, scimId, added, removed } });
  return accept();
}

/** The directory stream's decider: a SCIM write as events, or the SCIM error it is refused with. Pure. */
export function decideDirectory(command: DirectoryCommand, state: DirectoryStreamState): DirectoryDecision {
  const { scimId, directoryId, now: occurredAt } = command;
  switch (command.type) {
    case 'CreateUser':
      return state.users.has(scimId) ? refuse(conflict(`user ${scimId} exists`)) : createUser(command, state);
    case 'ReplaceUser':
    case 'PatchUser': {
      const user = state.users.get(scimId);
      if (!user) return refuse(notFound(`no user ${scimId} in this directory`));
      let body = command.body;
      if (command.type === 'PatchUser') {
        const operations = normalizePatch(command.body, scimId);
        if (!operations.ok) return refuse(operations.rejection);
        const patched = applyPatch(renderUser(user), operations.operations);
        if (!patched.ok) return refuse(patched.rejection);
        body = patched.resource;
      }
      const parsed = parseUser(body);
      if (!parsed.ok) return refuse(parsed.rejection);
      return changeUser(
        command,
        user,
        parsed.value,
        state,
        command.type === 'PatchUser' ? 'DirectoryUserPatched' : 'DirectoryUserReplaced',
      );
    }
    case 'DeleteUser': {
      const user = state.users.get(scimId);
      if (!user) return refuse(notFound(`no user ${scimId} in this directory`));
      return accept({
        type: 'DirectoryUserDeleted',
        data: { directoryId, occurredAt, scimId, memberUserId: user.memberUserId },
      });
    }
    case 'CreateGroup': {
      if (state.groups.has(scimId)) return refuse(conflict(`group ${scimId} exists`));
      const parsed = parseGroup(command.body);
      if (!parsed.ok) return refuse(parsed.rejection);
      const missing = unknownMember(state, parsed.value);
      if (missing) return refuse(missing);
      return accept({ type: 'DirectoryGroupCreated', data: { directoryId, occurredAt, scimId, ...parsed.value } });
    }
    case 'ReplaceGroup':
    case 'PatchGroup': {
      const group = state.groups.get(scimId);
      if (!group) return refuse(notFound(`no group ${scimId} in this directory`));
      let body = command.body;
      if (command.type === 'PatchGroup') {
        const operations = normalizePatch(command.body, scimId);
        if (!operations.ok) return refuse(operations.rejection);
        const patched = applyPatch(renderGroup(group), operations.operations);
        if (!patched.ok) return refuse(patched.rejection);
        body = patched.resource;
      }
      const parsed = parseGroup(body);
      if (!parsed.ok) return refuse(parsed.rejection);
      return changeGroup(command, group, parsed.value, state, command.type === 'PatchGroup');
    }
    case 'DeleteGroup':
      return state.groups.has(scimId)
        ? accept({ type: 'DirectoryGroupDeleted', data: { directoryId, occurredAt, scimId } })
        : refuse(notFound(`no group ${scimId} in this directory`));
  }
}
