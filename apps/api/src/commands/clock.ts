/** Where commands get their time from (`metadata.now`); the domain never reads a clock. */
export interface Clock {
  now(): Date;
}

/** Injection token of the `Clock`. */
export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { now: () => new Date() };
