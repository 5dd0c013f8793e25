import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deactivateBouncedMember } from '../../../src/features/eligibility/bounces.js';
import { ELIGIBILITY_MESSAGES as M, EMAIL_BOUNCE_BANNER as BANNER, RETRY_ADDRESS_PATH } from '../../../src/features/eligibility/messages.js';
import { smtpTransport, type MailTransport } from '../../../src/mail/transport.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { csrfOf, memberWithBrowser, postReply, startThread } from '../../support/discussions.js';
import { createCategory } from '../../support/forum-rows.js';
import { signIn, type TestMember } from '../../support/members.js';
import { emailedPath } from '../../support/membership.js';
import { minutesPass, queuedNotificationEmails } from '../../support/notification-email.js';
import { escapeLikeHandlebars } from '../../support/resources.js';
import { startSmtpServer, type TestSmtpServer } from '../../support/smtp.js';

/*
 * A hard bounce (the receiving server refuses the recipient for good, SMTP 5xx at RCPT TO) through
 * the real worker and a real SMTP server. The eligibility rule (features/eligibility/bounces.ts)
 * decides about the account; whatever it decides, the bounce is recorded on the member, no
 * notification email or digest is composed for them while it stands, and every page they see
 * says so until their address changes or they ask to try again.
 */

// The digests' schedule reads the app's clock: the real one, except while a test runs the digests "at" an instant.
let scheduledAt: Date | undefined;
const clock = () => scheduledAt ?? new Date();

let smtp: TestSmtpServer;
let transport: MailTransport;
let t: TestApp;
let administrator: Awaited<ReturnType<typeof memberWithBrowser>>;
beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '10000' }, now: clock, transport: (transport = smtpTransport(smtp.url, 'Commons <no-reply@commons.test>')) });
  administrator = await memberWithBrowser(t.app, t.db, { role: 'administrator' });
});
afterAll(async () => {
  await t?.close();
  await transport?.close();
  await smtp?.stop();
});
beforeEach(() => {
  smtp.reset();
});

async function drain(): Promise<void> {
  while ((await t.app.mailWorker.runOnce()) > 0);
}

// Markup and an ampersand in the server's reply: the banner shows it as text.
const REPLY = '5.1.1 <b onmouseover="x">User</b> unknown & gone';

function bounceOf(member: TestMember) {
  return t.db.selectFrom('members').select(['email_bounced_at', 'email_bounce_response', 'deactivated_at', 'email']).where('id', '=', member.id).executeTakeFirstOrThrow();
}

function audits(action: string, member: TestMember) {
  return t.db.selectFrom('audit_events').select(['actor_member_id', 'actor_label', 'details']).where('action', '=', action).where('target_id', '=', String(member.id)).orderBy('id').execute();
}

/** Asks to move to a new address (a live link keeps the rule from deactivating them); returns the link's path. */
async function askToMove(browser: Browser, to: string): Promise<string> {
  const hidden = await browser.openForm('/settings/email');
  expect((await browser.post('/settings/email', { _csrf: hidden._csrf!, email: to })).statusCode).toBe(200);
  return emailedPath(t.db, to, '/email-change/');
}

async function page(browser: Browser, path = '/'): Promise<string> {
  const response = await browser.get(path);
  expect(response.statusCode).toBe(200);
  return response.body;
}

describe('a hard bounce the eligibility rule does not deactivate for', () => {
  it('is recorded, stops notification email, shows the banner with the server’s reply as text, and the member asks to try again', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions', { title: 'Bounced replies', body: 'A question about bounced replies' });
    await askToMove(alex.browser, `alex.moving.${Date.now()}@treasury.gov.au`);
    expect((await postReply(blair.browser, threadId, { body: 'The first reply' })).statusCode).toBe(303);
    smtp.rejectWith(550, { text: REPLY, address: alex.member.email });
    await minutesPass(t.db, 3);
    await drain();

    const recorded = await bounceOf(alex.member);
    expect(recorded.deactivated_at).toBeNull();
    expect(recorded.email_bounced_at).not.toBeNull();
    expect(recorded.email_bounce_response).toContain(REPLY);
    expect(await audits('member.email_bounced', alex.member)).toEqual([expect.objectContaining({ actor_label: 'system', details: expect.objectContaining({ why: 'address change under way' }) })]);
    expect(smtp.received.filter((message) => message.recipients.includes(alex.member.email))).toEqual([]);

    // The address works again, but nothing is composed for them while the bounce stands.
    smtp.rejectWith(null);
    const queuedBefore = (await queuedNotificationEmails(t.db, alex.member.email)).length;
    expect((await postReply(blair.browser, threadId, { body: 'A second reply' })).statusCode).toBe(303);
    await minutesPass(t.db, 30);
    await drain();
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toHaveLength(queuedBefore);

    // Every page says what happened, when, the server's reply as text, and what to do.
    const body = await page(alex.browser, '/c');
    expect(body).toContain(escapeLikeHandlebars(BANNER.title));
    expect(body).toContain(escapeLikeHandlebars(BANNER.explanation));
    expect(body).toContain(escapeLikeHandlebars(BANNER.whatToDo));
    expect(body).toContain(escapeLikeHandlebars(REPLY));
    expect(body).not.toContain('<b onmouseover');
    expect(body).toContain(`href="${BANNER.changeLink}"`);
    expect(body).toContain(`action="${RETRY_ADDRESS_PATH}"`);
    expect(await page(blair.browser, '/c')).not.toContain(escapeLikeHandlebars(BANNER.title));

    // The button needs the session's form token.
    expect((await alex.browser.post(RETRY_ADDRESS_PATH, {})).statusCode).toBe(403);
    expect((await bounceOf(alex.member)).email_bounced_at).not.toBeNull();

    const retried = await alex.browser.post(RETRY_ADDRESS_PATH, { _csrf: await csrfOf(alex.browser) });
    expect(retried.statusCode).toBe(303);
    const after = await page(alex.browser, String(retried.headers.location));
    expect(after).toContain(escapeLikeHandlebars(M.bounceRetried));
    expect(after).not.toContain(escapeLikeHandlebars(BANNER.title));
    expect(await bounceOf(alex.member)).toMatchObject({ email_bounced_at: null, email_bounce_response: null });
    expect(await audits('member.email_bounce_cleared', alex.member)).toEqual([
      expect.objectContaining({ actor_member_id: alex.member.id, details: expect.objectContaining({ smtpResponse: expect.stringContaining(REPLY) }) }),
    ]);
    // A second press changes nothing, and says so.
    const again = await alex.browser.post(RETRY_ADDRESS_PATH, { _csrf: await csrfOf(alex.browser) });
    expect(await page(alex.browser, String(again.headers.location))).toContain(escapeLikeHandlebars(M.bounceNoneToRetry));
    expect(await audits('member.email_bounce_cleared', alex.member)).toHaveLength(1);

    // Notification email again.
    expect((await postReply(blair.browser, threadId, { body: 'A third reply' })).statusCode).toBe(303);
    await minutesPass(t.db, 30);
    await drain();
    expect(smtp.received.filter((message) => message.recipients.includes(alex.member.email))).toHaveLength(1);
  });

  it('is cleared when the member moves to their new address', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const to = `moved.${Date.now()}@treasury.gov.au`;
    const link = await askToMove(browser, to);
    smtp.rejectWith(550, { text: '5.1.1 User unknown', address: member.email });
    await drain();
    expect((await bounceOf(member)).email_bounced_at).not.toBeNull();
    expect(await page(browser, '/c')).toContain(escapeLikeHandlebars(BANNER.title));

    expect((await browser.post(link, await browser.openForm(link))).statusCode).toBe(303);
    expect(await bounceOf(member)).toMatchObject({ email: to, email_bounced_at: null, email_bounce_response: null });
    expect(await page(browser, '/c')).not.toContain(escapeLikeHandlebars(BANNER.title));
  });

  it('composes no digest while it stands, and the next day’s, with what waited, once the member asks to try again', async () => {
    const watcher = await memberWithBrowser(t.app, t.db);
    const poster = await memberWithBrowser(t.app, t.db);
    await t.db.updateTable('members').set({ time_zone: 'Australia/Sydney', notification_digest_sent_at: sql`now()` }).where('id', '=', watcher.member.id).execute();
    const category = await createCategory(t.db);
    await t.db.insertInto('category_watches').values({ member_id: watcher.member.id, category_id: category.id }).execute();
    await startThread(poster.browser, category.slug, { title: 'News while bouncing', body: 'Something new for the digest' });
    await t.db.updateTable('members').set({ email_bounced_at: sql`now()`, email_bounce_response: '550 5.1.1 User unknown' }).where('id', '=', watcher.member.id).execute();
    const digests = () => t.db.selectFrom('outbound_emails').select('text_body').where('kind', '=', 'notification.digest').where('to_address', '=', watcher.member.email).execute();

    // 08:00 on 10 January 2027 in Sydney.
    await digestsAt('2027-01-09T21:00:00Z');
    expect(await digests()).toEqual([]);

    expect((await watcher.browser.post(RETRY_ADDRESS_PATH, { _csrf: await csrfOf(watcher.browser) })).statusCode).toBe(303);
    await digestsAt('2027-01-10T21:00:00Z');
    const [digest, ...more] = await digests();
    expect(more).toEqual([]);
    expect(digest!.text_body).toContain('News while bouncing');
  });
});

describe('a hard bounce that deactivates', () => {
  it('is told at sign-in as before, and a member an administrator reactivates sees the banner and gets no notification email until they act', async () => {
    const { member, browser: before } = await memberWithBrowser(t.app, t.db);
    const other = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(before, 'questions', { title: 'Deactivated by a bounce', body: 'A question from the bounced' });
    // As the worker's transaction does on a refusal (app.ts wires it as onRecipientRefused).
    await t.db.transaction().execute((trx) => deactivateBouncedMember(trx, member.email, `550 ${REPLY}`));
    expect((await bounceOf(member)).deactivated_at).not.toBeNull();
    const refused = await signIn(new Browser(t.app), member.email, member.password);
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain(escapeLikeHandlebars(M.deactivated.bounced));

    const csrf = (await administrator.browser.openForm('/admin'))._csrf!;
    expect((await administrator.browser.post(`/admin/members/${member.id}/reactivate`, { _csrf: csrf })).statusCode).toBe(303);
    const browser = new Browser(t.app);
    expect((await signIn(browser, member.email, member.password)).statusCode).toBe(303);
    const body = await page(browser, '/c');
    expect(body).toContain(escapeLikeHandlebars(BANNER.title));
    expect(body).toContain(escapeLikeHandlebars(REPLY));

    expect((await postReply(other.browser, threadId, { body: 'A reply to the reactivated member' })).statusCode).toBe(303);
    await minutesPass(t.db, 30);
    await drain();
    expect(await queuedNotificationEmails(t.db, member.email)).toEqual([]);
  });
});

async function digestsAt(iso: string): Promise<void> {
  scheduledAt = new Date(iso);
  try {
    await t.app.mailWorker.composeAll();
  } finally {
    scheduledAt = undefined;
  }
}
