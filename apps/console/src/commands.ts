import { inWords, request, type Problem } from './api';

/** A permission a user would gain or lose (API.md "Impact preview"); projectId null for team-level permissions. */
export interface PermissionChange {
  userId: string;
  projectId: string | null;
  permission: string;
  change: 'granted' | 'revoked';
}

/** What a command would do, decided on the team stream's revision `streamRevision`; nothing was appended. */
export interface Preview {
  dryRun: true;
  streamRevision: number;
  events: { type: string; data: unknown }[];
  permissionChanges: PermissionChange[];
}

/** What an applied command answers. */
export interface Applied {
  position: string;
  streamRevision: number;
  events: { id: string; type: string }[];
}

export interface Command {
  method: 'PUT' | 'DELETE' | 'POST';
  path: string;
  body?: object;
}

/** A refusal of a command, in words: what to do about a conflict, which permission or policy rule refused it. */
function refusalInWords(status: number, problem: Problem): string {
  const detail = problem.detail ?? problem.title ?? `the API answered ${status}`;
  if (status === 403 && problem.permission)
    return `You are not allowed to do this: it needs the permission ${problem.permission}. (${detail})`;
  if (status === 403 && problem.rule) return `Refused by the rule ${problem.rule}: ${detail}`;
  if (status === 403) return `You are not allowed to do this. (${detail})`;
  if (status === 409)
    return `The team changed since the preview, so it no longer shows what this would do; nothing was changed. Preview it again. (${detail})`;
  if (status === 422) return `The policy refuses this${problem.rule ? ` (rule ${problem.rule})` : ''}: ${detail}`;
  return inWords(status, problem);
}

async function send<T>(
  command: Command,
  query: string,
  headers: Record<string, string>,
): Promise<{ body: T; etag: string | null }> {
  const response = await request(
    command.path + query,
    { method: command.method, headers, ...(command.body ? { body: JSON.stringify(command.body) } : {}) },
    refusalInWords,
  );
  return { body: (await response.json()) as T, etag: response.headers.get('ETag') };
}

/** The impact preview of a command (`?dryRun=true`) with the revision it was decided on, for `If-Match`. */
export async function preview(command: Command): Promise<{ preview: Preview; etag: string }> {
  const { body, etag } = await send<Preview>(command, '?dryRun=true', {});
  return { preview: body, etag: etag ?? `"${body.streamRevision}"` };
}

/** The command itself, refused with 409 when the team changed since the previewed revision. */
export async function apply(command: Command, etag: string): Promise<Applied> {
  return (await send<Applied>(command, '', { 'If-Match': etag })).body;
}
