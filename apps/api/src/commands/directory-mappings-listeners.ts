import { Injectable } from '@nestjs/common';
import type { RequestContext } from '@access-audit/event-store';

/** The team's role mappings were set (or set again): whoever holds the directory's users brings the team in line. */
export interface DirectoryMappingsSet {
  teamId: string;
  directoryId: string;
  /** The owner's request id: the directory's commands it causes are correlated with it. */
  correlationId: string;
  requestContext?: RequestContext;
}

/** Awaited in turn by the role-mappings route once its command succeeded; a policy refusal is a denial, not a throw. */
export type DirectoryMappingsListener = (change: DirectoryMappingsSet) => Promise<void>;

/**
 * Where the SCIM side registers what a change of the mappings must do (reconcile every directory user); the commands
 * module holds no directory streams, so it only tells.
 */
@Injectable()
export class DirectoryMappingsListeners {
  readonly #listeners: DirectoryMappingsListener[] = [];

  register(listener: DirectoryMappingsListener): void {
    this.#listeners.push(listener);
  }

  async mappingsSet(change: DirectoryMappingsSet): Promise<void> {
    for (const listener of this.#listeners) await listener(change);
  }
}
