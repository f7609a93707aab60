/** The team stream, read one way everywhere: decode (with the upcasters' hook) and fold, at a revision or an instant. */
export {
  decodeTeamEvent,
  isTeamStreamEvent,
  teamEventUpcasters,
  UndecodableTeamEventError,
  type TeamEventUpcaster,
} from './decode';
export { foldTeamStream, effectiveMs, instantMs, type FoldUntil, type TeamAt } from './fold';
