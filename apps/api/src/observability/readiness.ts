import { Injectable, Logger } from '@nestjs/common';

export type ReadinessResult = { ready: true; detail?: string } | { ready: false; detail: string };

/** One thing `/readyz` waits for. Register it from a module's `onModuleInit`: `readiness.register({ name, check })`. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<ReadinessResult>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Array<{ name: string } & ReadinessResult>;
}

const checkTimeoutMs = 2000;

/**
 * What a ready check adds when teams are quarantined (their answers are 503, every other team is served). `/readyz` is
 * public, so it counts them; the log and the teams' own answers name them.
 */
export const quarantineNote = (count: number): string =>
  count === 0 ? '' : `; ${count} team(s) quarantined at an event that could not be applied (their answers are 503)`;

const logger = new Logger('Readiness');

/** `/readyz` is public: a failing check's error is logged, never shown. */
const withTimeout = (check: ReadinessCheck): Promise<ReadinessResult> =>
  new Promise<ReadinessResult>((resolve) => {
    const timer = setTimeout(
      () => resolve({ ready: false, detail: `no answer within ${checkTimeoutMs} ms` }),
      checkTimeoutMs,
    );
    check
      .check()
      .then(resolve, (error: unknown) => {
        logger.warn(`${check.name}: ${error instanceof Error ? error.message : String(error)}`);
        resolve({ ready: false, detail: 'the check failed' });
      })
      .finally(() => clearTimeout(timer));
  });

/** The checks behind `/readyz`: the event store is reachable; other modules add theirs (projections caught up…). */
@Injectable()
export class ReadinessRegistry {
  readonly #checks = new Map<string, ReadinessCheck>();

  register(check: ReadinessCheck): void {
    this.#checks.set(check.name, check);
  }

  async report(): Promise<ReadinessReport> {
    const checks = await Promise.all(
      [...this.#checks.values()].map(async (check) => ({ name: check.name, ...(await withTimeout(check)) })),
    );
    return { ready: checks.every((c) => c.ready), checks };
  }
}
