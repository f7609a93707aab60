import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Outcome label of `commands_total`. */
export type CommandOutcome = 'accepted' | 'rejected' | 'conflict' | 'error';

/**
 * The app's Prometheus registry (one per app instance, never prom-client's global one, so several apps can live in
 * one process). Other modules register their own metrics on `registry`.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly #quarantineCounts = new Map<string, () => number>();

  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly commands = new Counter({
    name: 'commands_total',
    help: 'Commands handled, by command type and outcome (accepted, rejected, conflict, error)',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly eventsAppended = new Counter({
    name: 'events_appended_total',
    help: 'Events appended to the event store by this instance, by event type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  /** Counted when scraped, so applying events pays nothing for it. */
  readonly quarantinedTeams = new Gauge({
    name: 'access_audit_quarantined_teams',
    help: 'Teams whose read models stopped at an event that could not be applied (their answers are 503), by projection',
    labelNames: ['projection'] as const,
    registers: [this.registry],
    collect: () => {
      for (const [projection, count] of this.#quarantineCounts) this.quarantinedTeams.set({ projection }, count());
    },
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // promtool check metrics: only counters end in _total. prom-client's nodejs_active_{handles,requests,resources}_total
    // are gauges, each the sum of the by-type gauge beside it (sum(nodejs_active_handles)): they go.
    for (const metric of this.registry.getMetricsAsArray())
      if (!(metric instanceof Counter) && metric.name.endsWith('_total')) this.registry.removeSingleMetric(metric.name);
  }

  commandHandled(type: string, outcome: CommandOutcome): void {
    this.commands.inc({ type, outcome });
  }

  /** `count` is read at each scrape: how many teams the projection (`access`, `audit`) holds quarantined. */
  countQuarantinedTeams(projection: string, count: () => number): void {
    this.#quarantineCounts.set(projection, count);
  }

  appended(events: ReadonlyArray<{ type: string }>): void {
    for (const event of events) this.eventsAppended.inc({ type: event.type });
  }
}
