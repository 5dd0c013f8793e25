import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERATION_MESSAGES as M } from '../../../src/features/moderation/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { dayIn, formatDate, startOfDayIn } from '../../../src/lib/time.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { escapeLikeHandlebars } from '../../support/resources.js';
import { isSignedIn, signIn } from '../../support/members.js';
import { refusedWritingNothing, someone, type Someone } from './support.js';

let t: TestApp;
let moderator: Someone;
let administrator: Someone;
beforeAll(async () => {
  t = await buildTestApp();
  moderator = await someone(t.app, t.db, 'moderator');
  administrator = await someone(t.app, t.db, 'administrator');
});
afterAll(async () => t.close());

/** A day some days from today in the site's zone, as the date field sends it. */
function daysAhead(days: number): string {
  const today = dayIn(new Date(), t.config.site.TIME_ZONE);
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

async function suspend(by: Someone, memberId: number | string, fields: Record<string, string>) {
  return by.browser.post(`/mod/members/${memberId}/suspend`, { _csrf: by.csrf, ...fields });
}

describe('POST /mod/members/:id/suspend', () => {
  it('suspends until the start of the day in the site\'s zone, ends every session at once, and tells the member why only after their password', async () => {
    const member = await someone(t.app, t.db);
    const second = new Browser(t.app);
    await signIn(second, member.member.email, member.member.password);
    const until = daysAhead(10);
    const response = await suspend(moderator, member.member.id, { until, reason: 'Repeated personal attacks.' });
    expect(response.statusCode).toBe(303);
    const row = await t.db.selectFrom('members').select(['suspended_until', 'suspension_reason']).where('id', '=', member.member.id).executeTakeFirstOrThrow();
    expect(row.suspended_until).toEqual(startOfDayIn(until, t.config.site.TIME_ZONE));
    expect(row.suspension_reason).toBe('Repeated personal attacks.');
    expect(await t.db.selectFrom('sessions').select('id_hash').where('member_id', '=', member.member.id).execute()).toEqual([]);
    expect(await isSignedIn(member.browser)).toBe(false);
    expect(await isSignedIn(second)).toBe(false);
    const audit = await t.db.selectFrom('audit_events').selectAll().where('action', '=', 'member.suspended').where('subject_member_id', '=', member.member.id).executeTakeFirstOrThrow();
    expect(audit.actor_member_id).toBe(moderator.member.id);
    expect(audit.details).toMatchObject({ reason: 'Repeated personal attacks.', before: { suspendedUntil: null }, after: { suspendedUntil: row.suspended_until!.toISOString() } });

    const wrongPassword = await signIn(new Browser(t.app), member.member.email, 'not-the-password-at-all-really');
    expect(wrongPassword.body).not.toContain('suspended');
    expect(wrongPassword.body).not.toContain('Repeated personal attacks.');
    const rightPassword = await signIn(new Browser(t.app), member.member.email, member.member.password);
    expect(rightPassword.statusCode).toBe(403);
    expect(rightPassword.body).toContain(escapeLikeHandlebars(M.suspendedUntil(formatDate(row.suspended_until!, t.config.site.TIME_ZONE), 'Repeated personal attacks.')));
    expect(await t.db.selectFrom('sessions').select('id_hash').where('member_id', '=', member.member.id).execute()).toEqual([]);

    // Lifted early: they sign in again, and it is on the record with what it undid.
    expect((await moderator.browser.post(`/mod/members/${member.member.id}/unsuspend`, { _csrf: moderator.csrf })).statusCode).toBe(303);
    expect((await signIn(new Browser(t.app), member.member.email, member.member.password)).statusCode).toBe(303);
    const lifted = await t.db.selectFrom('audit_events').selectAll().where('action', '=', 'member.unsuspended').where('subject_member_id', '=', member.member.id).executeTakeFirstOrThrow();
    expect(lifted.details).toMatchObject({ before: { reason: 'Repeated personal attacks.' }, after: { suspendedUntil: null } });
    // Lifting again changes nothing.
    await refusedWritingNothing(t.db, () => moderator.browser.post(`/mod/members/${member.member.id}/unsuspend`, { _csrf: moderator.csrf }), 303);
  });

  it('shows the member their own record, naming "a moderator" by default', async () => {
    const member = await someone(t.app, t.db);
    await suspend(moderator, member.member.id, { until: daysAhead(1), reason: 'Cooling off.' });
    await moderator.browser.post(`/mod/members/${member.member.id}/unsuspend`, { _csrf: moderator.csrf });
    const browser = new Browser(t.app);
    await signIn(browser, member.member.email, member.member.password);
    const page = await browser.get('/settings/moderation');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Cooling off.');
    expect(page.body).toContain(M.aModerator);
    expect(page.body).not.toContain(moderator.member.displayName);
    expect((await browser.get('/settings')).body).toContain('href="/settings/moderation"');
  });

  it('accepts a year from today, and takes a double submit as one suspension', async () => {
    const member = await someone(t.app, t.db);
    const fields = { until: daysAhead(365).slice(0, 4) + dayIn(new Date(), t.config.site.TIME_ZONE).slice(4), reason: 'A long pause.' };
    expect((await suspend(moderator, member.member.id, fields)).statusCode).toBe(303);
    await refusedWritingNothing(t.db, () => suspend(moderator, member.member.id, fields), 303);
    await refusedWritingNothing(t.db, () => suspend(moderator, member.member.id, { ...fields, reason: 'Another reason.' }), 409, M.alreadySuspended);
  });

  describe('refuses bad input and writes nothing', () => {
    let member: Someone;
    beforeAll(async () => {
      member = await someone(t.app, t.db);
    });

    it('an end date today, in the past, in the year 3000, a year and a day ahead, or not a date', async () => {
      await refusedWritingNothing(t.db, () => suspend(moderator, member.member.id, { until: daysAhead(0), reason: 'x' }), 422, M.endDateNotFuture);
      await refusedWritingNothing(t.db, () => suspend(moderator, member.member.id, { until: '2020-01-01', reason: 'x' }), 422, M.endDateNotFuture);
      await refusedWritingNothing(t.db, () => suspend(moderator, member.member.id, { until: '3000-01-01', reason: 'x' }), 422, M.endDateTooFar);
      await refusedWritingNothing(t.db, () => suspend(moderator, member.member.id, { until: daysAhead(367), reason: 'x' }), 422, M.endDateTooFar);
      for (const until of ['next week', '2027-02-30', '2027-13-01', '31/12/2027', "2027-01-01' OR 1=1 --"]) {
        await refusedWritingNothing(t.db, () => suspend(moderator, member.member.id, { until, reason: 'x' }), 422);
      }
      await refusedWritingNothing(t.db, () => suspend(moderator, member.member.id, { reason: 'x' }), 422, M.endDateRequired);
    });

    it('a missing, overlong or NUL reason, and script tags shown escaped', async () => {
      await refusedWritingNothing(t.db, () => suspend(moderator, member.member.id, { until: daysAhead(3) }), 422, M.memberReasonRequired);
      await refusedWritingNothing(t.db, () => suspend(moderator, member.member.id, { until: daysAhead(3), reason: 'y'.repeat(1001) }), 422, 'Reason must be at most 1,000 characters');
      await refusedWritingNothing(t.db, () => suspend(moderator, member.member.id, { until: daysAhead(3), reason: 'a\0b' }), 422, 'Reason must not contain NUL characters');
      const hostile = await refusedWritingNothing(t.db, () => suspend(moderator, member.member.id, { until: 'x', reason: '<script>alert(1)</script>' }), 422);
      expect(hostile.body).not.toContain('<script>alert(1)');
      expect(hostile.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    });

    it('an id over bigint or an unknown member', async () => {
      await refusedWritingNothing(t.db, () => suspend(moderator, '99999999999999999999', { until: daysAhead(3), reason: 'x' }), 404);
      await refusedWritingNothing(t.db, () => suspend(moderator, '9007199254740990', { until: daysAhead(3), reason: 'x' }), 404);
      await refusedWritingNothing(t.db, () => moderator.browser.post('/mod/members/-1/unsuspend', { _csrf: moderator.csrf }), 404);
    });

    it('the wrong role: a member, oneself, a moderator suspending a moderator or an administrator', async () => {
      const plain = await someone(t.app, t.db);
      const colleague = await someone(t.app, t.db, 'moderator');
      const fields = { until: daysAhead(3), reason: 'x' };
      await refusedWritingNothing(t.db, () => suspend(plain, member.member.id, fields), 403, PAGE_MESSAGES.moderatorsOnly);
      await refusedWritingNothing(t.db, () => suspend(moderator, moderator.member.id, fields), 403, M.notYourself);
      await refusedWritingNothing(t.db, () => suspend(moderator, colleague.member.id, fields), 403, M.staffOnlyByAdministrators);
      await refusedWritingNothing(t.db, () => suspend(moderator, administrator.member.id, fields), 403, M.staffOnlyByAdministrators);
      await refusedWritingNothing(t.db, () => suspend(administrator, administrator.member.id, fields), 403, M.notYourself);
      expect((await moderator.browser.get(`/mod/members/${administrator.member.id}/suspend`)).statusCode).toBe(403);
      expect((await suspend(administrator, colleague.member.id, fields)).statusCode).toBe(303);
    });
  });
});
