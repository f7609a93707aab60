/** The team stream, read one way everywhere: decode (with the upcasters' hook) and fold, at a revision or an instant. */
export {
  currentTeamEventSchemaVersion,
  decodeTeamEvent,
  isTeamStreamEvent,
  teamEventSchemaVersionOf,
  teamEventUpcasters,
  UndecodableTeamEventError,
  type TeamEventUpcaster,
  type TeamEventUpcasters,
} from './decode';
export { foldTeamStream, effectiveMs, instantMs, type FoldUntil, type TeamAt } from './fold';
