import { currentToken } from './session';

/** A refusal or failure of the API, said in words for the reviewer. */
export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Problem {
  title?: string;
  detail?: string;
  permission?: string;
  rule?: string;
  errors?: { field?: string; rule?: string; message?: string }[];
}

export function inWords(status: number, problem: Problem): string {
  const detail = problem.detail ?? problem.title ?? `the API answered ${status}`;
  if (status === 401) return `Your access token was refused (${detail}). Sign in again with a valid token.`;
  if (status === 403 && problem.permission)
    return `You are not allowed to see this: it needs the permission ${problem.permission}. (${detail})`;
  if (status === 403) return `You are not allowed to see this. (${detail})`;
  if (status === 404) return `Not found: ${detail}`;
  if (status === 400 && problem.errors?.length)
    return `The request was refused: ${problem.errors.map((e) => `${e.field ?? '?'}: ${e.message ?? e.rule ?? ''}`).join('; ')}`;
  if (status === 503) return `The service is not ready yet (${detail}). Try again in a moment.`;
  return `The API refused the request (${status}): ${detail}`;
}

/**
 * One call of the public HTTP API with the signed-in user's token in the Authorization header (never in the URL): the
 * answer when it is a success, else an ApiRefusal whose message `describe` puts in words.
 */
export async function request(
  path: string,
  init: RequestInit = {},
  describe: (status: number, problem: Problem) => string = inWords,
): Promise<Response> {
  const token = currentToken();
  let response: Response;
  try {
    response = await fetch(path, {
      ...init,
      headers: {
        Accept: 'application/json',
        ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(init.headers as Record<string, string> | undefined),
      },
    });
  } catch {
    throw new ApiRefusal(0, 'The API could not be reached. Check that the service is running.');
  }
  if (response.ok) return response;
  let problem: Problem = {};
  try {
    problem = (await response.json()) as Problem;
  } catch {
    // not problem+json: the status says enough
  }
  throw new ApiRefusal(response.status, describe(response.status, problem));
}

/** GET a JSON answer of the public HTTP API with the signed-in user's token. */
export async function getJson<T>(path: string): Promise<T> {
  return (await (await request(path)).json()) as T;
}

/** A path segment or query value, encoded: ids are data. */
export const segment = encodeURIComponent;

export interface Via {
  kind: 'team_role' | 'project_role' | 'permission_group' | string;
  role?: string;
  actsAs?: string;
  projectId?: string;
  group?: string;
}

export interface TeamView {
  id: string;
  name: string;
  plan: string;
  members: { userId: string; role: string; permissionGroups: string[]; projectRoles: Record<string, string> }[];
  projects: { id: string; name: string; security: Record<string, unknown> }[];
}

export interface ProjectAccess {
  teamId: string;
  projectId: string;
  permission: string;
  at?: string;
  users: { userId: string; via: Via[] }[];
}

export interface Finding {
  finding: string;
  policy: string;
  message: string;
  userIds: string[];
}

export interface AuditSummary {
  findings: Finding[];
}

/** One reason a permission holds, in words. */
export function viaInWords(via: Via): string {
  switch (via.kind) {
    case 'team_role':
      return via.actsAs
        ? `team role ${via.role ?? '?'}, which acts as ${via.actsAs} on every project`
        : `team role ${via.role ?? '?'}`;
    case 'project_role':
      return `project role ${via.role ?? '?'} on project ${via.projectId ?? '?'}`;
    case 'permission_group':
      return `permission group ${via.group ?? '?'}`;
    default:
      return via.kind;
  }
}
