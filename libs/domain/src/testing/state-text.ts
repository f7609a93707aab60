import type { TeamState } from '../team/state';

/** A team state as text with its Maps' entries spelled out (JSON.stringify writes every Map as `{}`). */
export const stateText = (state: TeamState): string =>
  JSON.stringify(state, (_key, value: unknown) => (value instanceof Map ? { map: [...value.entries()] } : value));
