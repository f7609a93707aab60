/** What every decider of this codebase is: an initial state, a fold, and a decision that accepts events or refuses. */
export interface Decider<Command, Event, State, Rejection> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State): { ok: true; events: Event[] } | { ok: false; rejection: Rejection };
}

/**
 * Emmett-style specifications for any decider: `given(events).when(command).then(events)`, `.thenAccepts()` or
 * `.thenRejects(rejection)`. `DeciderSpecification.for(teamDecider)` gives the `given` of team specs.
 */
export const DeciderSpecification = {
  for<Command, Event, State, Rejection>(decider: Decider<Command, Event, State, Rejection>) {
    return (events: readonly Event[]) => ({
      when(command: Command) {
        const decision = decider.decide(command, events.reduce(decider.evolve, decider.initialState()));
        return {
          then(expected: Event[]): void {
            if (!decision.ok) throw new Error(`expected events, got rejection ${JSON.stringify(decision.rejection)}`);
            expect(decision.events).toEqual(expected);
          },
          thenAccepts(): Event[] {
            if (!decision.ok)
              throw new Error(`expected acceptance, got rejection ${JSON.stringify(decision.rejection)}`);
            return decision.events;
          },
          thenRejects(expected: Partial<Rejection>): Rejection {
            if (decision.ok) throw new Error(`expected a rejection, got ${JSON.stringify(decision.events)}`);
            expect(decision.rejection).toMatchObject(expected);
            return decision.rejection;
          },
        };
      },
    });
  },
};
