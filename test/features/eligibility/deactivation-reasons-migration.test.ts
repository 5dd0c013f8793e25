import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { up } from '../../../migrations/0021_deactivation_reasons_again.js';
import type { Database } from '../../../src/db/database.js';
import { createTestDatabase } from '../../support/database.js';
import { createMember } from '../../support/members.js';

let database: Database;
beforeAll(async () => {
  // A database of its own: the migration rewrites every deactivated member's reason.
  database = await createTestDatabase();
});
afterAll(async () => database.close());

type Recorded = { action: 'member.deactivated' | 'member.rejected' | 'member.reactivated'; reason?: string };

/** A member as 0016 left them (deactivated or not, with the reason it gave), and what the audit log recorded about them, oldest first. */
async function memberAsLeft(deactivated: boolean, reason: string | null, recorded: Recorded[]): Promise<number> {
  const member = await createMember(database.db, { deactivated });
  await database.db.updateTable('members').set({ deactivation_reason: reason }).where('id', '=', member.id).execute();
  for (const { action, reason: said } of recorded) {
    await database.db
      .insertInto('audit_events')
      .values({ actor_label: 'someone', action, target_type: 'member', target_id: String(member.id), subject_member_id: member.id, details: JSON.stringify(said === undefined ? {} : { reason: said }) })
      .execute();
  }
  return member.id;
}

describe('migration 0021', () => {
  it('gives each deactivated member the reason of the latest deactivation or rejection recorded about them', async () => {
    const cases: Array<[string, boolean, string | null, Recorded[], string | null]> = [
      ['a domain review’s, in the old words', true, 'administrator', [{ action: 'member.deactivated', reason: 'domain no longer admitted' }], 'domain_not_admitted'],
      ['a domain review’s', true, 'administrator', [{ action: 'member.deactivated', reason: 'domain_not_admitted' }], 'domain_not_admitted'],
      ['rejected, let in, deactivated by an administrator', true, 'rejected', [{ action: 'member.rejected', reason: 'Not a government address' }, { action: 'member.reactivated' }, { action: 'member.deactivated' }], 'administrator'],
      ['deactivated, let in, rejected', true, 'administrator', [{ action: 'member.deactivated' }, { action: 'member.reactivated' }, { action: 'member.rejected', reason: 'Spam' }], 'rejected'],
      ['bounced', true, 'administrator', [{ action: 'member.deactivated', reason: 'bounced' }], 'bounced'],
      ['a coordinator’s leaver', true, 'administrator', [{ action: 'member.deactivated', reason: 'left_agency' }], 'left_agency'],
      ['an administrator’s, with their own words', true, 'rejected', [{ action: 'member.deactivated', reason: 'Asked to leave' }], 'administrator'],
      ['nothing recorded', true, 'administrator', [], 'administrator'],
      ['active again', false, null, [{ action: 'member.deactivated', reason: 'bounced' }, { action: 'member.reactivated' }], null],
    ];
    const ids: number[] = [];
    for (const [, deactivated, reason, recorded] of cases) ids.push(await memberAsLeft(deactivated, reason, recorded));
    await up(database.db);
    const rows = await database.db.selectFrom('members').select(['id', 'deactivation_reason']).where('id', 'in', ids).execute();
    const reasons = new Map(rows.map((row) => [row.id, row.deactivation_reason]));
    expect(cases.map(([name], index) => [name, reasons.get(ids[index]!)])).toEqual(cases.map(([name, , , , expected]) => [name, expected]));
  });
});
