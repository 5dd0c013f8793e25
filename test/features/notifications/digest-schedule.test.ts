import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deactivateMember, reactivateMember } from '../../../src/features/admin/members.js';
import { approveMember } from '../../../src/features/moderation/approvals.js';
import { createDeps } from '../../../src/deps.js';
import { buildTestApp, type Browser, type TestApp } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';
import type { TestMember } from '../../support/members.js';

/*
 * When each member's next digest is due (members.notification_digest_due_at), which is all a poll
 * reads. As in digest.test.ts, the app's clock is the real one except while a test polls "at" a
 * chosen instant, and a test's members are its own.
 */
let scheduledAt: Date | undefined;
const clock = () => scheduledAt ?? new Date();

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ now: clock });
});
afterAll(async () => t.close());

const operator = { actorLabel: 'operator (test)' };

async function pollAt(iso: string, app: TestApp = t): Promise<void> {
  scheduledAt = new Date(iso);
  try {
    await app.app.mailWorker.composeAll();
  } finally {
    scheduledAt = undefined;
  }
}

/** The member's next digest as an ISO minute in UTC, "to work out" when a change marked it, or null. */
async function dueAt(member: TestMember): Promise<string | null> {
  const row = await t.db
    .selectFrom('members')
    .select(sql<string | null>`case when notification_digest_due_at = '-infinity' then 'to work out' else to_char(notification_digest_due_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"') end`.as('due'))
    .where('id', '=', member.id)
    .executeTakeFirstOrThrow();
  return row.due;
}

async function sentFor(member: TestMember): Promise<string | null> {
  const row = await t.db.selectFrom('members').select(sql<string | null>`notification_digest_sent_for::text`.as('day')).where('id', '=', member.id).executeTakeFirstOrThrow();
  return row.day;
}

const DEFAULTS = { reply: 'immediately', mention: 'immediately', watched_reply: 'digest', watched_thread: 'digest', answer: 'immediately', moderation: 'immediately', digest_hour: '8' };

async function choose(browser: Browser, choices: Record<string, string>): Promise<void> {
  const hidden = await browser.openForm('/settings/notifications');
  expect((await browser.post('/settings/notifications', { ...hidden, ...DEFAULTS, ...choices })).statusCode).toBe(303);
}

async function chooseZone(browser: Browser, member: TestMember, timeZone: string): Promise<void> {
  const hidden = await browser.openForm('/settings');
  const response = await browser.post('/settings/profile', { _csrf: hidden._csrf!, display_name: member.displayName, job_title: '', bio: '', time_zone: timeZone });
  expect(response.statusCode).toBe(303);
}

async function sydneyMember() {
  const member = await memberWithBrowser(t.app, t.db);
  await t.db.updateTable('members').set({ time_zone: 'Australia/Sydney' }).where('id', '=', member.member.id).execute();
  return member;
}

describe('when a member’s next digest is due', () => {
  it('is worked out by the next poll for a new member: their hour today in their zone', async () => {
    const { member } = await sydneyMember();
    expect(await dueAt(member)).toBe('to work out');
    await pollAt('2027-01-09T19:00:00Z'); // 06:00 on the 10th in Sydney (AEDT, +11)
    expect(await dueAt(member)).toBe('2027-01-09T21:00Z');
    expect(await sentFor(member)).toBeNull();
  });

  it('moves with the digest hour and the member’s choices: cleared when they take nothing in the digest, set again when they do', async () => {
    const { member, browser } = await sydneyMember();
    await choose(browser, { digest_hour: '17' });
    expect(await dueAt(member)).toBe('to work out');
    await pollAt('2027-01-09T19:00:00Z');
    expect(await dueAt(member)).toBe('2027-01-10T06:00Z'); // 17:00 on the 10th in Sydney

    await choose(browser, { watched_reply: 'never', watched_thread: 'immediately' });
    await pollAt('2027-01-09T19:00:00Z');
    expect(await dueAt(member)).toBeNull();

    // Any kind in the digest is enough, a mention say.
    await choose(browser, { watched_reply: 'never', watched_thread: 'never', mention: 'digest', digest_hour: '9' });
    await pollAt('2027-01-09T19:00:00Z');
    expect(await dueAt(member)).toBe('2027-01-09T22:00Z');
  });

  it('moves with the member’s time zone, and with the site’s for a member who chose none', async () => {
    const { member, browser } = await sydneyMember();
    await chooseZone(browser, member, 'Australia/Perth');
    await pollAt('2027-01-09T19:00:00Z'); // 03:00 on the 10th in Perth (AWST, +8)
    expect(await dueAt(member)).toBe('2027-01-10T00:00Z');

    // No zone of their own: the site's (Australia/Sydney in tests), and when a process starts
    // with another, its first poll works theirs out again.
    const { member: siteZone } = await memberWithBrowser(t.app, t.db);
    await pollAt('2027-01-09T19:00:00Z');
    expect(await dueAt(siteZone)).toBe('2027-01-09T21:00Z');
    const perthSite = await buildTestApp({ database: t.database, env: { TIME_ZONE: 'Australia/Perth' }, now: clock });
    try {
      await pollAt('2027-01-09T19:00:00Z', perthSite);
      expect(await dueAt(siteZone)).toBe('2027-01-10T00:00Z');
      // A member with a zone of their own is left as they were.
      expect(await dueAt(member)).toBe('2027-01-10T00:00Z');
    } finally {
      await perthSite.close();
    }
  });

  it('is cleared when the member is deactivated, and worked out again when they are reactivated', async () => {
    const { member } = await sydneyMember();
    await pollAt('2027-01-09T19:00:00Z');
    await deactivateMember({ db: t.db }, member.id, operator);
    expect(await dueAt(member)).toBeNull();
    await pollAt('2027-01-09T21:00:00Z');
    expect(await sentFor(member)).toBeNull();
    await reactivateMember({ db: t.db }, member.id, operator);
    expect(await dueAt(member)).toBe('to work out');
    await pollAt('2027-01-09T20:00:00Z'); // 07:00 in Sydney
    expect(await dueAt(member)).toBe('2027-01-09T21:00Z');
  });

  it('is none while the member awaits approval, and worked out once they are approved', async () => {
    const { member } = await sydneyMember();
    await t.db.updateTable('members').set({ awaiting_approval_since: sql`now()` }).where('id', '=', member.id).execute();
    await pollAt('2027-01-09T19:00:00Z');
    expect(await dueAt(member)).toBeNull();
    const moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    expect(await approveMember(createDeps({ db: t.db, config: t.config }), moderator.member.id, member.id, '')).toMatchObject({ ok: true });
    expect(await dueAt(member)).toBe('to work out');
    await pollAt('2027-01-09T19:00:00Z');
    expect(await dueAt(member)).toBe('2027-01-09T21:00Z');
  });

  it('is the next day’s hour once a digest is claimed; a poll passes over a member not yet due even when their hour has come', async () => {
    const { member } = await sydneyMember();
    await pollAt('2027-01-09T21:00:00Z'); // 08:00 on the 10th in Sydney
    expect(await sentFor(member)).toBe('2027-01-10');
    expect(await dueAt(member)).toBe('2027-01-10T21:00Z');
    await pollAt('2027-01-10T20:59:00Z');
    expect(await sentFor(member)).toBe('2027-01-10');

    // Only the due time is read first: put off by hand, the member is not taken at their hour.
    await t.db.updateTable('members').set({ notification_digest_due_at: new Date('2027-01-11T21:00:00Z') }).where('id', '=', member.id).execute();
    await pollAt('2027-01-10T21:00:00Z');
    expect(await sentFor(member)).toBe('2027-01-10');
    await pollAt('2027-01-11T21:00:00Z');
    expect(await sentFor(member)).toBe('2027-01-12');
  });

  it('follows the site’s zone for a member whose zone PostgreSQL does not know, and holds up no one else’s digest', async () => {
    // Saved when Node knew the zone and the database's tz data did not (Europe/Kyiv on an older server).
    const { member: unknownZone } = await memberWithBrowser(t.app, t.db);
    await t.db.updateTable('members').set({ time_zone: 'Europe/Atlantis' }).where('id', '=', unknownZone.id).execute();
    const { member: sydney } = await sydneyMember();
    await pollAt('2027-02-09T19:00:00Z');
    expect(await dueAt(unknownZone)).toBe('2027-02-09T21:00Z'); // 08:00 in the site's zone, Sydney
    await pollAt('2027-02-09T21:00:00Z');
    expect(await sentFor(sydney)).toBe('2027-02-10');
    expect(await sentFor(unknownZone)).toBe('2027-02-10');
  });
});

describe('the next digest across Sydney’s daylight saving changes', () => {
  it('in April, when clocks go back an hour: the next 08:00 is 22:00 UTC, not 21:00', async () => {
    const { member } = await sydneyMember();
    await pollAt('2027-04-02T21:00:00Z'); // 08:00 AEDT (+11) on Saturday 3 April
    expect(await sentFor(member)).toBe('2027-04-03');
    // At 03:00 on Sunday 4 April Sydney goes back to AEST (+10).
    expect(await dueAt(member)).toBe('2027-04-03T22:00Z');
    await pollAt('2027-04-03T21:00:00Z'); // 07:00 AEST
    expect(await sentFor(member)).toBe('2027-04-03');
    await pollAt('2027-04-03T22:00:00Z');
    expect(await sentFor(member)).toBe('2027-04-04');
    expect(await dueAt(member)).toBe('2027-04-04T22:00Z');
  });

  it('in October, when clocks go forward: the next 08:00 is 21:00 UTC, and an hour the change skips comes at the first instant after it', async () => {
    const { member } = await sydneyMember();
    const { member: early, browser } = await sydneyMember();
    await choose(browser, { digest_hour: '2' });
    await pollAt('2027-10-01T22:00:00Z'); // 08:00 AEST (+10) on Saturday 2 October
    expect(await sentFor(member)).toBe('2027-10-02');
    expect(await sentFor(early)).toBe('2027-10-02');
    // At 02:00 on Sunday 3 October Sydney goes forward to AEDT (+11): 02:00 to 02:59 never happen.
    expect(await dueAt(member)).toBe('2027-10-02T21:00Z');
    expect(await dueAt(early)).toBe('2027-10-02T16:00Z'); // 03:00 AEDT, the instant 02:00 AEST would have been
    await pollAt('2027-10-02T15:59:00Z'); // 01:59 AEST
    expect(await sentFor(early)).toBe('2027-10-02');
    await pollAt('2027-10-02T16:00:00Z');
    expect(await sentFor(early)).toBe('2027-10-03');
    await pollAt('2027-10-02T21:00:00Z');
    expect(await sentFor(member)).toBe('2027-10-03');
    expect(await dueAt(member)).toBe('2027-10-03T21:00Z');
  });
});

describe('two app instances polling at once', () => {
  it('work out each member’s time and claim each one’s day once', async () => {
    const second = await buildTestApp({ database: t.database, now: clock });
    try {
      const members = [];
      for (let n = 0; n < 8; n += 1) members.push((await sydneyMember()).member);
      scheduledAt = new Date('2027-01-09T21:00:00Z');
      await Promise.all([t.app.mailWorker.composeAll(), second.app.mailWorker.composeAll(), t.app.mailWorker.composeAll(), second.app.mailWorker.composeAll()]);
      scheduledAt = undefined;
      for (const member of members) {
        expect(await sentFor(member)).toBe('2027-01-10');
        expect(await dueAt(member)).toBe('2027-01-10T21:00Z');
      }
    } finally {
      scheduledAt = undefined;
      await second.close();
    }
  });
});
