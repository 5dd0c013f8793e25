import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PostgresFileStore } from '../../../src/features/resources/files/storage.js';
import { runMaintenance } from '../../../src/jobs/maintenance.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { HOUR, MINUTE } from '../../support/clock.js';
import { createMember, linksInLatestEmail, pathOf, signIn } from '../../support/members.js';
import { answerRequests } from '../../support/membership.js';

/**
 * Issue 15, item 8: sign-in lock rows for addresses that are no member's, and sign-ups never
 * finished, stayed for ever. The hourly maintenance removes them once they are of no more use.
 * Rows are made through the site; maintenance is run as of a later time.
 */
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());
beforeEach(async () => {
  await t.db.deleteFrom('signin_locks').execute();
  await t.db.deleteFrom('signup_requests').execute();
  await t.db.deleteFrom('email_tokens').execute();
});

const MAIL_RETENTION_DAYS = 30;
const later = (ms: number) => new Date(Date.now() + ms);
const maintainAt = (ms: number) => runMaintenance(t.db, new PostgresFileStore(t.db), MAIL_RETENTION_DAYS, later(ms));

async function failSignIns(email: string, times: number) {
  for (let i = 0; i < times; i += 1) expect((await signIn(new Browser(t.app), email, `wrong-password-${i}-zzyzx`)).statusCode).toBe(422);
}

const lockRows = async () => (await t.db.selectFrom('signin_locks').select('canonical_email').orderBy('canonical_email').execute()).map((row) => row.canonical_email);

async function askToJoin(email: string) {
  const browser = new Browser(t.app);
  expect((await browser.post('/signup', { ...(await browser.openForm('/signup')), email, accept_guidelines: 'yes' })).statusCode).toBe(200);
  await answerRequests(t.app);
}

const requestRows = async () => (await t.db.selectFrom('signup_requests').select('canonical_email').orderBy('canonical_email').execute()).map((row) => row.canonical_email);

describe('the hourly maintenance', () => {
  it("removes sign-in lock rows of addresses that are no member's once no lock is in force and the last failure is a day old, and keeps a member's", async () => {
    const member = await createMember(t.db, { email: 'kept.out@finance.gov.au' });
    await failSignIns('made.up.one@finance.gov.au', 5);
    await failSignIns('made.up.two@finance.gov.au', 2);
    await failSignIns(member.email, 5);
    await failSignIns('not an address at all', 1);
    expect(await lockRows()).toHaveLength(4);

    // Within the day a lock keeps doubling, so the rows stay: while the locks are in force and after.
    expect((await maintainAt(10 * MINUTE)).signinLocks).toBe(0);
    expect((await maintainAt(23 * HOUR)).signinLocks).toBe(0);
    expect(await lockRows()).toHaveLength(4);

    expect((await maintainAt(24 * HOUR + MINUTE)).signinLocks).toBe(3);
    // A member's row keeps its lock count, so slow guessing still meets doubling locks.
    expect(await lockRows()).toEqual(['kept.out@finance.gov.au']);
  });

  it('keeps a lock still in force, however old its last failure', async () => {
    await failSignIns('long.lock@finance.gov.au', 5);
    await t.db.updateTable('signin_locks').set({ last_failure_at: later(-3 * 24 * HOUR), locked_until: later(HOUR) }).execute();
    expect((await maintainAt(0)).signinLocks).toBe(0);
    expect((await maintainAt(HOUR + MINUTE)).signinLocks).toBe(1);
  });

  it('lets an address start again at a 15-minute lock once its row is gone', async () => {
    await failSignIns('starts.again@finance.gov.au', 5);
    await t.db.updateTable('signin_locks').set({ lock_count: 4 }).execute();
    await maintainAt(24 * HOUR + MINUTE);
    await failSignIns('starts.again@finance.gov.au', 5);
    const row = await t.db.selectFrom('signin_locks').select(['lock_count', 'locked_until']).executeTakeFirstOrThrow();
    expect(row.lock_count).toBe(1);
    expect(row.locked_until!.getTime()).toBeLessThanOrEqual(later(15 * MINUTE).getTime());
  });

  it('removes a sign-up request once its verify link has expired, with the link, and the address can ask again', async () => {
    await askToJoin('never.finished@finance.gov.au');
    const link = pathOf((await linksInLatestEmail(t.db, 'never.finished@finance.gov.au'))[0]!);

    expect(await maintainAt(23 * HOUR)).toMatchObject({ signupRequests: 0, emailTokens: 0 });
    expect(await requestRows()).toEqual(['never.finished@finance.gov.au']);

    expect(await maintainAt(24 * HOUR + MINUTE)).toMatchObject({ signupRequests: 1, emailTokens: 1 });
    expect(await requestRows()).toEqual([]);
    expect((await new Browser(t.app).get(link)).statusCode).toBe(400);

    await askToJoin('never.finished@finance.gov.au');
    const again = pathOf((await linksInLatestEmail(t.db, 'never.finished@finance.gov.au'))[0]!);
    expect((await new Browser(t.app).get(again)).statusCode).toBe(200);
  });

  it('keeps a sign-up request while a verify link it was sent still works', async () => {
    await askToJoin('asked.long.ago@finance.gov.au');
    await t.db.updateTable('signup_requests').set({ created_at: later(-3 * 24 * HOUR), updated_at: later(-3 * 24 * HOUR) }).execute();
    expect((await maintainAt(0)).signupRequests).toBe(0);
    expect(await requestRows()).toEqual(['asked.long.ago@finance.gov.au']);
  });

  it('removes emailed reset links past their hour, used or not', async () => {
    const member = await createMember(t.db);
    for (let i = 0; i < 2; i += 1) {
      const browser = new Browser(t.app);
      expect((await browser.post('/password/forgot', { ...(await browser.openForm('/password/forgot')), email: member.email })).statusCode).toBe(200);
    }
    await answerRequests(t.app);
    // The first link was revoked by the second: used, but kept until its hour is up.
    expect((await maintainAt(59 * MINUTE)).emailTokens).toBe(0);
    expect((await maintainAt(HOUR + MINUTE)).emailTokens).toBe(2);
    expect(await t.db.selectFrom('email_tokens').select('id').execute()).toEqual([]);
  });
});
