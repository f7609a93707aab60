import { randomUUID } from 'node:crypto';
import type { TeamCommands } from '@access-audit/application';
import type { DeniedCommand } from '@access-audit/audit';
import { teamStreamId, type Rejection, type TeamState } from '@access-audit/domain';
import {
  handleCommand,
  type EventMetadata,
  type EventStore,
  type RecordedEvent,
  type RequestContext,
  type StreamLocks,
  WrongExpectedRevisionError,
} from '@access-audit/event-store';
import { foldTeamStream } from '@access-audit/team-stream';
import { planClosing, outcomeOf, type PlannedItem } from '../campaign/closing';
import { itemSubject } from '../campaign/population';
import {
  sealMetadata,
  sealRequestContext,
  sealText,
  type PersonalData,
  type PersonalDataSealer,
} from '@access-audit/privacy';
import type { PersonalText } from '@access-audit/domain';
import type { AccessReviewCommand, OpenAccessReview } from '../campaign/commands';
import {
  accessReviewDecider,
  completionRefusal,
  isCampaignOf,
  isDueForExpiry,
  mayRecordExpiry,
} from '../campaign/decide';
import {
  accessReviewStreamId,
  accessReviewStreamPrefix,
  type AccessReviewEvent,
  type AuditChainHead,
  type EnforcingEvent,
  type ItemOutcome,
  type RevocationRefusal,
} from '../campaign/events';
import { listRefusal, readRefusal } from '../campaign/read-access';
import { campaignSummaries, type CampaignSummary } from '../evidence/campaign-list';
import type { AccessReviewRejection } from '../campaign/rejection';
import { accessReviewRuleIds } from '../campaign/rules';
import { currentAccessReviewEventSchemaVersion, decodeAccessReviewEvent, decodedRecorded } from '../campaign/decode';
import { foldAccessReview, initialAccessReviewState, type AccessReviewState, type Campaign } from '../campaign/state';
import { campaignView, type CampaignView } from '../evidence/campaign-view';
import { buildEvidence, PopulationDigestMismatchError, type AccessReviewEvidence } from '../evidence/evidence';
import { evidenceCsv } from '../evidence/evidence-csv';
import { signEvidence, type EvidenceSigner, type SignedEvidence } from '../evidence/signature';

/** Who is acting and when; the same for every event the call appends. */
export interface AccessReviewCallContext {
  actorId: string;
  /** ISO-8601 instant, from the caller's clock. */
  now: string;
  /** Why, in the caller's words; recorded in the campaign's events. */
  reason?: string;
  /** The campaign stream's revision the caller saw (`If-Match`); a mismatch throws WrongExpectedRevisionError. */
  expectedRevision?: number;
  /** Ties every event of one request together (the request id over HTTP). */
  correlationId?: string;
  requestContext?: RequestContext;
}

/**
 * The head of the team's audit hash chain. `throughPosition`: the team stream's last position at closing, which the
 * reader may first wait for the audit log to cover, so that the head vouches for the revocations too.
 */
export type AuditChainHeadReader = (teamId: string, throughPosition?: string) => Promise<AuditChainHead | null>;

export interface AccessReviewServiceOptions {
  store: EventStore;
  /** The same per-stream locks as `teamCommands`, so a reviewer's standing is read with no team command in between. */
  locks: StreamLocks;
  /** The application layer: revocations are issued, counted and their refusals recorded as every team command is. */
  teamCommands: TeamCommands;
  /** The audit log's checkpoint key. */
  signer: EvidenceSigner;
  auditChainHead?: AuditChainHeadReader;
  /** Called with every refused campaign command, for the audit log's denial record (a refused revocation: by `teamCommands`). */
  onRefused?: (denied: DeniedCommand) => Promise<void>;
  /** Seals justifications, reasons and request contexts just before append, and opens them for the evidence. */
  personalData?: PersonalData & PersonalDataSealer;
}

/** What a campaign command appended: the campaign's own events and, on closing, the team events of its revocations. */
export interface AccessReviewCommandResult {
  reviewId: string;
  /** Position of the last event appended (revocations included); the store's head when nothing was appended. */
  position: string;
  /** The campaign stream's revision afterwards. */
  streamRevision: number;
  events: Array<{ id: string; type: string; streamId: string }>;
  /** On closing: what became of each item. */
  outcomes?: ItemOutcome[];
}

export type ServiceResult<T> = { ok: true; value: T } | { ok: false; rejection: AccessReviewRejection };

export interface OpenCampaignInput {
  teamId: string;
  reviewId?: string;
  name: string;
  reviewerIds: string[];
  dueAt: string;
  scope?: OpenAccessReview['data']['scope'];
  defaultDecision?: 'revoke';
}

export interface DecideItemInput {
  teamId: string;
  reviewId: string;
  itemId: string;
  decision: 'keep' | 'revoke';
  justification?: string;
}

type CampaignIds = { teamId: string; reviewId: string };

const commandMetadataOf = ({ actorId, now, reason }: AccessReviewCallContext) => ({
  actorId,
  now,
  ...(reason !== undefined ? { reason } : {}),
});

const rejected = <T>(rejection: AccessReviewRejection): ServiceResult<T> => ({ ok: false, rejection });

const refusalOf = (rejection: Rejection): RevocationRefusal => ({
  kind: rejection.kind,
  ...('rule' in rejection ? { rule: rejection.rule } : {}),
  ...('permission' in rejection ? { permission: rejection.permission } : {}),
  message: rejection.message,
});

const enforcingEventOf = (event: RecordedEvent): EnforcingEvent => ({
  eventId: event.id,
  type: event.type,
  streamRevision: event.revision,
  position: event.position,
});

/** Metadata linking a team event to the campaign item it enforces (and, by causation, to the decision). */
interface AccessReviewLink {
  reviewId: string;
  itemId: string;
}
const linkOf = (metadata: EventMetadata): AccessReviewLink | undefined => {
  const link = metadata['accessReview'] as Partial<AccessReviewLink> | undefined;
  return typeof link?.reviewId === 'string' && typeof link.itemId === 'string' ? (link as AccessReviewLink) : undefined;
};

/**
 * Runs access-review campaigns against the event store: each campaign is its own stream, decided by the campaign decider;
 * closing issues every revoke through the application layer (`TeamCommands`, as every entry point does) as the closing
 * user, linked to its decision by causation id. Commands on one campaign are serialized with the campaign stream's lock.
 */
export class AccessReviewService {
  readonly #store: EventStore;
  readonly #locks: StreamLocks;
  readonly #teamCommands: TeamCommands;
  readonly #signer: EvidenceSigner;
  readonly #auditChainHead: AuditChainHeadReader;
  readonly #onRefused: (denied: DeniedCommand) => Promise<void>;

  readonly #personalData: (PersonalData & PersonalDataSealer) | undefined;

  constructor(options: AccessReviewServiceOptions) {
    this.#store = options.store;
    this.#locks = options.locks;
    this.#teamCommands = options.teamCommands;
    this.#signer = options.signer;
    this.#auditChainHead = options.auditChainHead ?? (async () => null);
    this.#onRefused = options.onRefused ?? (async () => undefined);
    this.#personalData = options.personalData;
  }

  async open(
    input: OpenCampaignInput,
    context: AccessReviewCallContext,
  ): Promise<ServiceResult<AccessReviewCommandResult>> {
    const reviewId = input.reviewId ?? randomUUID();
    const ids = { teamId: input.teamId, reviewId };
    // Folded from the team stream itself at its current revision, never from a read model.
    const team = await foldTeamStream(this.#store, input.teamId);
    const command: AccessReviewCommand = {
      type: 'OpenAccessReview',
      ...ids,
      data: {
        name: input.name,
        reviewerIds: input.reviewerIds,
        dueAt: input.dueAt,
        scope: input.scope ?? { kind: 'team' },
        ...(input.defaultDecision ? { defaultDecision: input.defaultDecision } : {}),
        team: { state: team.state, revision: team.revision, position: team.position ?? null },
      },
      metadata: commandMetadataOf(context),
    };
    return this.#locks.run(this.#streamOf(ids), () =>
      this.#handleCampaignCommand(command, context, context.expectedRevision),
    );
  }

  async decide(
    input: DecideItemInput,
    context: AccessReviewCallContext,
  ): Promise<ServiceResult<AccessReviewCommandResult>> {
    return this.#locks.run(this.#streamOf(input), async () => {
      await this.#assertExpectedRevision(input, context);
      // An overdue campaign is marked expired first (by an owner or a current reviewer only); the decision is then refused.
      const expiry = await this.#expireIfDue(input, context, { callerMustStand: true });
      // The reviewer's standing is read from the team stream under its lock: no removal lands between check and append.
      return this.#locks.run(teamStreamId(input.teamId), async () => {
        const team = await foldTeamStream(this.#store, input.teamId);
        const command: AccessReviewCommand = {
          type: 'DecideAccessReviewItem',
          teamId: input.teamId,
          reviewId: input.reviewId,
          data: {
            itemId: input.itemId,
            decision: input.decision,
            ...(input.justification !== undefined ? { justification: input.justification } : {}),
            team: team.state,
          },
          metadata: commandMetadataOf(context),
        };
        return this.#handleCampaignCommand(command, context, expiry ? undefined : context.expectedRevision);
      });
    });
  }

  /** Completes the campaign: applies its revokes through the team command path, then records every item's outcome. */
  async complete(
    ids: CampaignIds,
    context: AccessReviewCallContext,
  ): Promise<ServiceResult<AccessReviewCommandResult>> {
    return this.#locks.run(this.#streamOf(ids), async () => {
      await this.#assertExpectedRevision(ids, context);
      await this.#expireIfDue(ids, context, { callerMustStand: true });
      const campaign = await this.#readCampaign(ids);
      const team = await foldTeamStream(this.#store, ids.teamId);
      const refusal = completionRefusal(campaign.state, { ...ids, metadata: context, team: team.state });
      if (refusal) {
        await this.#refused({ type: 'CompleteAccessReview', ...ids }, context, {}, refusal);
        return rejected(refusal);
      }
      return { ok: true, value: await this.#close(ids, campaign, 'complete', context, team.state) };
    });
  }

  /** Records the expiry of an overdue campaign (for schedulers); nothing happens to one that is not due. */
  async expireIfDue(
    ids: CampaignIds,
    context: AccessReviewCallContext,
  ): Promise<AccessReviewCommandResult | undefined> {
    return this.#locks.run(this.#streamOf(ids), () => this.#expireIfDue(ids, context));
  }

  /** Every campaign of the team, oldest first, for the team's audit readers (team.audit.view). */
  async list(teamId: string, viewerId: string, now: string): Promise<ServiceResult<CampaignSummary[]>> {
    const team = await foldTeamStream(this.#store, teamId);
    const refusal = listRefusal(team.state, viewerId, teamId);
    if (refusal) return rejected(refusal);
    const events: RecordedEvent[] = [];
    for await (const event of this.#store.readAll({
      streamPrefixes: [`${accessReviewStreamPrefix}${teamId}-`],
      eventTypes: ['AccessReviewOpened', 'AccessReviewCompleted', 'AccessReviewExpired'],
    })) {
      events.push(event);
    }
    return { ok: true, value: campaignSummaries(teamId, events, now) };
  }

  async view(
    ids: CampaignIds,
    viewerId: string,
    now: string,
  ): Promise<ServiceResult<CampaignView & { streamRevision: number; position: string }>> {
    const readable = await this.#readable(ids, viewerId);
    if (!readable.ok) return readable;
    const { evidence, stream } = readable.value;
    const last = stream[stream.length - 1]!;
    return {
      ok: true,
      value: { ...campaignView(evidence, now), streamRevision: last.revision, position: last.position },
    };
  }

  /** The evidence, signed over its canonical JSON with the audit checkpoint key. */
  async evidence(ids: CampaignIds, viewerId: string): Promise<ServiceResult<SignedEvidence & { position: string }>> {
    const readable = await this.#readable(ids, viewerId);
    if (!readable.ok) return readable;
    const position = readable.value.stream[readable.value.stream.length - 1]!.position;
    return { ok: true, value: { ...signEvidence(readable.value.evidence, this.#signer), position } };
  }

  /** The evidence as CSV, with an Ed25519 signature over the exact CSV bytes. */
  async evidenceCsv(
    ids: CampaignIds,
    viewerId: string,
  ): Promise<ServiceResult<{ csv: string; signature: string; keyId: string; position: string; digest: string }>> {
    const readable = await this.#readable(ids, viewerId);
    if (!readable.ok) return readable;
    const { evidence, stream } = readable.value;
    const csv = evidenceCsv(evidence);
    return {
      ok: true,
      value: {
        csv,
        signature: this.#signer.signBytes(Buffer.from(csv, 'utf8')),
        keyId: this.#signer.keyId,
        position: stream[stream.length - 1]!.position,
        digest: `${evidence.population.digest.algorithm}:${evidence.population.digest.value}`,
      },
    };
  }

  async #assertExpectedRevision(ids: CampaignIds, context: AccessReviewCallContext): Promise<void> {
    if (context.expectedRevision === undefined) return;
    const streamId = this.#streamOf(ids);
    const actual = await this.#store.streamRevision(streamId);
    if (actual !== context.expectedRevision)
      throw new WrongExpectedRevisionError(streamId, context.expectedRevision, actual);
  }

  #streamOf(ids: CampaignIds): string {
    return accessReviewStreamId(ids.teamId, ids.reviewId);
  }

  async #readable(
    ids: CampaignIds,
    viewerId: string,
  ): Promise<ServiceResult<{ evidence: AccessReviewEvidence; stream: RecordedEvent[] }>> {
    const [campaign, team] = await Promise.all([this.#readCampaign(ids), foldTeamStream(this.#store, ids.teamId)]);
    const refusal = readRefusal(campaign.state, team.state, viewerId, ids);
    if (refusal) return rejected(refusal);
    let evidence: AccessReviewEvidence;
    // Opened at answer time: the evidence shows (and signs) the text, or "[erased]"; the stream keeps them sealed.
    const opened = this.#personalData
      ? ((await this.#personalData.reveal(campaign.stream)) as unknown as RecordedEvent[])
      : campaign.stream;
    try {
      evidence = buildEvidence(opened);
    } catch (error) {
      if (!(error instanceof PopulationDigestMismatchError)) throw error;
      return rejected({ kind: 'conflict', rule: accessReviewRuleIds.populationMatchesDigest, message: error.message });
    }
    return { ok: true, value: { evidence, stream: campaign.stream } };
  }

  async #readCampaign(
    ids: CampaignIds,
  ): Promise<{ stream: RecordedEvent[]; state: AccessReviewState; revision: number }> {
    // Decoded (upcast, and checked that what was recorded sealed is sealed), then folded and built into evidence.
    const stream = (await this.#store.readStream(this.#streamOf(ids))).map(decodedRecorded);
    const revision = stream.length ? stream[stream.length - 1]!.revision : -1;
    const state = foldAccessReview(
      stream.map((event) => ({ type: event.type, data: event.data }) as AccessReviewEvent),
    );
    if (state.status !== 'none' && !isCampaignOf(state, ids))
      return { stream: [], state: initialAccessReviewState(), revision };
    return { stream, state, revision };
  }

  #metadata(context: AccessReviewCallContext, ids: CampaignIds): EventMetadata {
    return {
      actorId: context.actorId,
      correlationId: context.correlationId ?? ids.reviewId,
      ...(context.requestContext ? { requestContext: context.requestContext } : {}),
    };
  }

  /** Runs one campaign command; the caller holds the campaign stream's lock. */
  async #handleCampaignCommand(
    command: AccessReviewCommand,
    context: AccessReviewCallContext,
    expectedRevision?: number,
  ): Promise<ServiceResult<AccessReviewCommandResult>> {
    const streamId = this.#streamOf(command);
    const personalData = this.#personalData;
    const metadata = this.#metadata(context, command);
    const outcome = await handleCommand(this.#store, streamId, accessReviewDecider, command, {
      decode: decodeAccessReviewEvent,
      // Sealed events are of the current schema, whose decode refuses a personal field in clear; clear ones stay v1.
      metadata: personalData
        ? {
            ...(await sealMetadata(metadata, context.actorId, personalData)),
            schemaVersion: currentAccessReviewEventSchemaVersion,
          }
        : metadata,
      ...(personalData
        ? {
            prepareAppend: (events: AccessReviewEvent[]) =>
              Promise.all(events.map((e) => sealReviewEvent(e, personalData))),
          }
        : {}),
      ...(expectedRevision !== undefined ? { expectedRevision } : {}),
    });
    if (!outcome.ok) {
      const target = command.type === 'DecideAccessReviewItem' ? itemSubject(command.data.itemId) : {};
      await this.#refused(command, context, target, outcome.rejection);
      return rejected(outcome.rejection);
    }
    return {
      ok: true,
      value: {
        reviewId: command.reviewId,
        position: outcome.position,
        streamRevision: outcome.streamRevision,
        events: outcome.events.map((event) => ({ id: event.id, type: event.type, streamId })),
      },
    };
  }

  /** The campaign lock is held. Overdue: apply what a default decision demands (as the opener), then record the expiry. */
  async #expireIfDue(
    ids: CampaignIds,
    context: AccessReviewCallContext,
    options: { callerMustStand?: boolean } = {},
  ): Promise<AccessReviewCommandResult | undefined> {
    const campaign = await this.#readCampaign(ids);
    if (!isDueForExpiry(campaign.state, context.now)) return undefined;
    const team = await foldTeamStream(this.#store, ids.teamId);
    // A caller without standing records nothing, not even the expiry: the decider refuses them next.
    if (options.callerMustStand && !mayRecordExpiry(campaign.state, team.state, context.actorId)) return undefined;
    return this.#close(ids, campaign, 'expire', context, team.state);
  }

  /**
   * Closes a campaign (the lock is held and the preconditions checked): plans each item, applies the revokes one by one
   * through the team command path, then appends the closing event with every outcome, expecting the revision it read.
   */
  async #close(
    ids: CampaignIds,
    campaign: { stream: RecordedEvent[]; state: AccessReviewState; revision: number },
    mode: 'complete' | 'expire',
    context: AccessReviewCallContext,
    teamAtStart: TeamState,
  ): Promise<AccessReviewCommandResult> {
    const state = campaign.state as Campaign;
    const actingAs = mode === 'complete' ? context.actorId : state.openedBy;
    const plan = planClosing(state, {
      mode,
      actorId: actingAs,
      now: context.now,
      team: teamAtStart,
      openedEventId: campaign.stream[0]!.id,
      decisionEventIds: this.#decisionEventIds(campaign.stream),
      enforcedEarlier: await this.#enforcedEarlier(ids, state),
    });
    const teamEvents: RecordedEvent[] = [];
    const outcomes: ItemOutcome[] = [];
    for (const planned of plan) {
      const applied = await this.#applyRevocation(ids, planned, context, actingAs);
      if (applied?.ok) teamEvents.push(...applied.recorded);
      outcomes.push(outcomeOf(planned, applied));
    }
    const teamStreamRevision = await this.#store.streamRevision(teamStreamId(ids.teamId));
    const [lastTeamEvent] = await this.#store.readStream(teamStreamId(ids.teamId), {
      fromRevision: teamStreamRevision,
      limit: 1,
    });
    const auditChainHead = await this.#auditChainHead(ids.teamId, lastTeamEvent?.position);
    const closing = { outcomes, auditChainHead, teamStreamRevision };
    const metadata = commandMetadataOf(context);
    const command: AccessReviewCommand =
      mode === 'complete'
        ? { type: 'CompleteAccessReview', ...ids, data: { ...closing, team: teamAtStart }, metadata }
        : { type: 'ExpireAccessReview', ...ids, data: closing, metadata };
    const result = await this.#handleCampaignCommand(command, context, campaign.revision);
    if (!result.ok) throw new Error(`closing access review ${ids.reviewId} was refused: ${result.rejection.message}`);
    const positions = [result.value.position, ...teamEvents.map((event) => event.position)];
    return {
      ...result.value,
      position: positions.reduce((max, p) => (this.#store.comparePositions(p, max) > 0 ? p : max)),
      events: [
        ...teamEvents.map((event) => ({ id: event.id, type: event.type, streamId: event.streamId })),
        ...result.value.events,
      ],
      outcomes,
    };
  }

  async #applyRevocation(
    ids: CampaignIds,
    planned: PlannedItem,
    context: AccessReviewCallContext,
    actingAs: string,
  ): Promise<
    | ({ ok: true; events: EnforcingEvent[]; recorded: RecordedEvent[] } | { ok: false; refusal: RevocationRefusal })
    | undefined
  > {
    if (planned.action !== 'revoke') return undefined;
    const link: AccessReviewLink = { reviewId: ids.reviewId, itemId: planned.item.itemId };
    const { metadata, ...revocation } = planned.command;
    const outcome = await this.#teamCommands.issue(revocation, {
      actorId: actingAs,
      now: metadata.now,
      ...(metadata.reason !== undefined ? { reason: metadata.reason } : {}),
      correlationId: context.correlationId ?? ids.reviewId,
      causationId: planned.causationEventId,
      ...(context.requestContext ? { requestContext: context.requestContext } : {}),
      links: { accessReview: link },
    });
    // A conflict or an unreadable team stream stops the completion; nothing of it is recorded as done.
    if (!outcome.ok && outcome.kind !== 'refused') throw outcome.error;
    if (!outcome.ok) return { ok: false, refusal: refusalOf(outcome.rejection) };
    return { ok: true, events: outcome.events.map(enforcingEventOf), recorded: outcome.events };
  }

  async #refused(
    command: { type: string; teamId: string },
    context: AccessReviewCallContext,
    target: DeniedCommand['target'],
    rejection: AccessReviewRejection,
  ): Promise<void> {
    const personalData = this.#personalData;
    const subjects = target.userId === undefined ? [context.actorId] : [context.actorId, target.userId];
    const reason = await sealText(context.reason, subjects, personalData);
    const requestContext = personalData
      ? await sealRequestContext(context.requestContext, context.actorId, personalData)
      : context.requestContext;
    await this.#onRefused({
      teamId: command.teamId,
      actorId: context.actorId,
      at: context.now,
      commandType: command.type,
      target,
      rejection: {
        kind: rejection.kind,
        message: rejection.message,
        ...('permission' in rejection ? { permission: rejection.permission } : {}),
        ...('rule' in rejection ? { rule: rejection.rule } : {}),
      },
      ...(reason !== undefined ? { reason } : {}),
      ...(requestContext ? { requestContext } : {}),
    });
  }

  #decisionEventIds(stream: RecordedEvent[]): Map<string, string> {
    const ids = new Map<string, string>();
    for (const event of stream) {
      if (event.type === 'AccessReviewItemDecided') ids.set((event.data as { itemId: string }).itemId, event.id);
    }
    return ids;
  }

  /** Team events a closing of this campaign appended before being interrupted, per item (found by their link). */
  async #enforcedEarlier(ids: CampaignIds, campaign: Campaign): Promise<Map<string, EnforcingEvent[]>> {
    const since = await this.#store.readStream(teamStreamId(ids.teamId), {
      fromRevision: campaign.snapshot.teamStreamRevision + 1,
    });
    const enforced = new Map<string, EnforcingEvent[]>();
    for (const event of since) {
      const link = linkOf(event.metadata);
      if (link?.reviewId !== ids.reviewId) continue;
      enforced.set(link.itemId, [...(enforced.get(link.itemId) ?? []), enforcingEventOf(event)]);
    }
    return enforced;
  }
}

/** A campaign event with its personal fields sealed: a reason under its actor; a justification under the reviewer and the item's subject. */
async function sealReviewEvent(event: AccessReviewEvent, sealer: PersonalDataSealer): Promise<AccessReviewEvent> {
  const data = event.data as unknown as Record<string, unknown> & { actorId: string };
  const sealed: Record<string, unknown> = { ...data };
  sealed.reason = await sealText(data.reason as PersonalText | undefined, [data.actorId], sealer);
  if (sealed.reason === undefined) delete sealed.reason;
  if (event.type === 'AccessReviewItemDecided' && typeof event.data.justification === 'string') {
    const subject = itemSubject(event.data.itemId).userId;
    const subjects = subject === undefined ? [event.data.reviewerId] : [event.data.reviewerId, subject];
    sealed.justification = await sealer.seal(event.data.justification, subjects);
  }
  return { type: event.type, data: sealed } as unknown as AccessReviewEvent;
}
