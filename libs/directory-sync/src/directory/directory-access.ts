import { createHash, timingSafeEqual } from 'node:crypto';
import type { TeamCommands } from '@access-audit/application';
import { teamStreamPrefix, type ActiveTeam, type DirectoryConnected } from '@access-audit/domain';
import type { EventStore } from '@access-audit/event-store';
import type { ScimRejection } from '../scim/errors';

/**
 * directoryId → teamId, learnt from the team streams' DirectoryConnected events: a directory id is minted at
 * connection and never moves to another team (a rotation keeps it, a reconnection mints a new one), so what was
 * learnt stays true; an unknown id reads only the events after the last one read.
 */
export class DirectoryTeams {
  readonly #teams = new Map<string, string>();
  #after: string | undefined;
  #catchingUp: Promise<void> | undefined;

  constructor(private readonly store: EventStore) {}

  async teamOf(directoryId: string): Promise<string | undefined> {
    const known = this.#teams.get(directoryId);
    if (known !== undefined) return known;
    // One read of the log at a time. A caller that joined a read already under way (it may have begun before this
    // directory was connected) reads once more on its own.
    const joined = this.#catchingUp !== undefined;
    await this.#read();
    if (joined && !this.#teams.has(directoryId)) await this.#read();
    return this.#teams.get(directoryId);
  }

  #read(): Promise<void> {
    return (this.#catchingUp ??= this.#catchUp().finally(() => (this.#catchingUp = undefined)));
  }

  async #catchUp(): Promise<void> {
    const events = this.store.readAll({
      streamPrefixes: [teamStreamPrefix],
      eventTypes: ['DirectoryConnected'],
      ...(this.#after !== undefined ? { after: this.#after } : {}),
    });
    for await (const event of events) {
      const { directoryId } = event.data as DirectoryConnected['data'];
      if (typeof directoryId === 'string') this.#teams.set(directoryId, event.streamId.slice(teamStreamPrefix.length));
      this.#after = event.position;
    }
  }
}

const sha256 = (token: string): Buffer => createHash('sha256').update(token).digest();

export type DirectoryAccess = { ok: true; teamId: string; team: ActiveTeam } | { ok: false; rejection: ScimRejection };

const unauthorized = (detail: string): DirectoryAccess => ({ ok: false, rejection: { status: 401, detail } });

/**
 * A SCIM request's bearer token, checked at use against the team's current state (never a read model that may lag):
 * the directory is the team's connected one and the token's SHA-256 is the one the team stream holds.
 */
export class DirectoryAuthenticator {
  constructor(
    private readonly commands: Pick<TeamCommands, 'current'>,
    private readonly teams: DirectoryTeams,
  ) {}

  async authenticate(directoryId: string, token: string | undefined): Promise<DirectoryAccess> {
    if (token === undefined || token.length === 0) return unauthorized('a directory bearer token is required');
    const teamId = await this.teams.teamOf(directoryId);
    // The same answer for an unknown directory and a wrong token: ids are not to be probed with it.
    const refused = unauthorized('the bearer token is not the current token of this directory');
    if (teamId === undefined) return refused;
    const { state: team } = await this.commands.current(teamId);
    if (team.status !== 'active' || team.directory?.directoryId !== directoryId) return refused;
    const expected = Buffer.from(team.directory.tokenHash, 'hex');
    const given = sha256(token);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return refused;
    return { ok: true, teamId, team };
  }
}
