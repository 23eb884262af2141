import { describe, expect, it } from 'vitest';
import { foreignRequestReason, type Installation } from '../../../src/slack/installation.js';

const installed: Installation = { teamId: 'T1', appId: 'A1', enterpriseId: undefined };

describe('foreignRequestReason', () => {
  it('accepts the installed team and app in every request shape Slack sends', () => {
    expect(
      foreignRequestReason({ team_id: 'T1', api_app_id: 'A1', command: '/cloudphone' }, installed),
    ).toBeUndefined();
    expect(foreignRequestReason({ team: { id: 'T1' }, api_app_id: 'A1', type: 'view_submission' }, installed)).toBe(
      undefined,
    );
    expect(foreignRequestReason({ team: null, user: { team_id: 'T1' }, api_app_id: 'A1' }, installed)).toBeUndefined();
  });

  it('names what does not match, and refuses a body without the ids', () => {
    expect(foreignRequestReason({ team_id: 'T2', api_app_id: 'A1' }, installed)).toBe(
      'team_id T2 is not the installed workspace',
    );
    expect(foreignRequestReason({ team_id: 'T1', api_app_id: 'A2' }, installed)).toBe('api_app_id A2 is not this app');
    expect(foreignRequestReason({ team_id: 'T1' }, installed)).toBe('no api_app_id');
    expect(foreignRequestReason({ api_app_id: 'A1' }, installed)).toBe('no team_id');
  });

  it('checks the organisation for an org-wide install, and only the team when Slack gave no app id', () => {
    const org: Installation = { teamId: 'T1', appId: 'A1', enterpriseId: 'E1' };
    expect(foreignRequestReason({ team_id: 'T9', enterprise_id: 'E1', api_app_id: 'A1' }, org)).toBeUndefined();
    expect(foreignRequestReason({ team: null, enterprise: { id: 'E2' }, api_app_id: 'A1' }, org)).toMatch(
      /organisation/,
    );
    const teamOnly: Installation = { teamId: 'T1', appId: undefined, enterpriseId: undefined };
    expect(foreignRequestReason({ team_id: 'T1', api_app_id: 'A9' }, teamOnly)).toBeUndefined();
  });
});
