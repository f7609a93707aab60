import type { RecordSubjectErasure } from '../commands';
import type { TeamEvent } from '../events';
import type { Decision } from '../rejection';
import type { ActiveTeam } from '../state';
import { accept, baseOf, type CommandEntries } from './support';

/** Recorded once per team (until the subject joins again): erasing twice appends nothing the second time. */
function recordSubjectErasure(command: RecordSubjectErasure, team: ActiveTeam): Decision<TeamEvent> {
  const { userId } = command.data;
  if (team.erasedSubjects?.includes(userId)) return accept();
  return accept({ type: 'SubjectErased', data: { ...baseOf(command), userId, before: null, after: { erased: true } } });
}

/** The erasure of a subject's personal data: no team permission, as the operator is no member (POLICY.md `privacy:erase`). */
export const privacyCommands: CommandEntries<'RecordSubjectErasure'> = {
  RecordSubjectErasure: { requires: () => [], decide: recordSubjectErasure },
};
