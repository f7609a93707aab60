import type { TeamEvent } from './events';
import { ruleIds } from '../policy/policy';
import { cmd, enterpriseTeam, given, now } from '../testing/team-spec';
import { maxAuditDrainsPerTeam } from './decide/audit-drains';
import { teamStateFromJson, teamStateToJson } from './state-codec';
import { foldTeam } from './state';

const url = 'https://siem.example.com/ingest';
const drain = { drainId: 'drn-1', url, description: 'Splunk' };
const added = (by = 'owner1', ref = drain): TeamEvent => ({
  type: 'AuditDrainAdded',
  data: { ...now(by), drainId: ref.drainId, before: null, after: ref },
});

describe('audit drains as team commands (API.md "Audit log drains")', () => {
  it('an owner or the security role adds a drain: AuditDrainAdded names id, URL and description, no secret', () => {
    given(enterpriseTeam())
      .when(cmd('AddAuditDrain', 'owner1', drain))
      .then([added()]);
    given(enterpriseTeam())
      .when(cmd('AddAuditDrain', 'sec1', drain))
      .then([added('sec1')]);
  });

  it('needs team.security.manage and team.audit.view: a member lacks the first, a billing member both (403)', () => {
    given(enterpriseTeam())
      .when(cmd('AddAuditDrain', 'member1', drain))
      .thenRejects({ kind: 'forbidden', permission: 'team.security.manage' });
    given(enterpriseTeam())
      .when(cmd('AddAuditDrain', 'viewer1', drain))
      .thenRejects({ kind: 'forbidden', permission: 'team.security.manage' });
    given([...enterpriseTeam(), added()])
      .when(cmd('RemoveAuditDrain', 'dev1', { drainId: 'drn-1' }))
      .thenRejects({ kind: 'forbidden', permission: 'team.security.manage' });
    given([...enterpriseTeam(), added()])
      .when(cmd('ResumeAuditDrain', 'bill1', { drainId: 'drn-1' }))
      .thenRejects({ kind: 'forbidden', permission: 'team.security.manage' });
  });

  it(`removes and resumes only a drain the team has (404 ${ruleIds.auditDrainExists})`, () => {
    given(enterpriseTeam())
      .when(cmd('RemoveAuditDrain', 'owner1', { drainId: 'drn-1' }))
      .thenRejects({ kind: 'not_found', rule: ruleIds.auditDrainExists });
    given(enterpriseTeam())
      .when(cmd('ResumeAuditDrain', 'owner1', { drainId: 'drn-1' }))
      .thenRejects({ kind: 'not_found', rule: ruleIds.auditDrainExists });
    given([...enterpriseTeam(), added()])
      .when(cmd('RemoveAuditDrain', 'owner1', { drainId: 'drn-1' }))
      .then([{ type: 'AuditDrainRemoved', data: { ...now('owner1'), drainId: 'drn-1', before: drain, after: null } }]);
  });

  it(`at most ${maxAuditDrainsPerTeam} drains (422 ${ruleIds.auditDrainLimit}); one URL once (409 ${ruleIds.auditDrainUrlFree})`, () => {
    const full = Array.from({ length: maxAuditDrainsPerTeam }, (_, i) =>
      added('owner1', { drainId: `drn-${i}`, url: `${url}/${i}`, description: 'x' }),
    );
    given([...enterpriseTeam(), ...full])
      .when(cmd('AddAuditDrain', 'owner1', { drainId: 'drn-x', url: `${url}/x` }))
      .thenRejects({ kind: 'policy', rule: ruleIds.auditDrainLimit });
    given([...enterpriseTeam(), added()])
      .when(cmd('AddAuditDrain', 'owner1', { drainId: 'drn-2', url }))
      .thenRejects({ kind: 'conflict', rule: ruleIds.auditDrainUrlFree });
  });

  it('counts resumes in the state (a pause recorded before the last resume no longer holds) and keeps drains in snapshots', () => {
    const resumed: TeamEvent = {
      type: 'AuditDrainResumed',
      data: { ...now('owner1'), drainId: 'drn-1', before: drain, after: drain },
    };
    const state = foldTeam([...enterpriseTeam(), added(), resumed, resumed]);
    expect(state.status === 'active' && state.auditDrains?.get('drn-1')).toMatchObject({ url, resumes: 2 });
    const decoded = teamStateFromJson(teamStateToJson(state));
    expect(decoded).toEqual(state);
    expect(decoded.status === 'active' && decoded.auditDrains instanceof Map).toBe(true);
  });
});
