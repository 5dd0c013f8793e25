import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { NOTIFICATION_MESSAGES } from '../../../src/features/notifications/messages.js';
import { Browser, buildTestApp, TEST_ORIGIN, type TestApp } from '../../support/app.js';
import { memberWithBrowser, postReply, startThread } from '../../support/discussions.js';
import { refusedLeaving } from '../../support/moderation.js';
import { minutesPass, queuedNotificationEmails } from '../../support/notification-email.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '10000' } });
});
afterAll(async () => t.close());

const DEFAULTS = { reply: 'immediately', mention: 'immediately', watched_reply: 'digest', watched_thread: 'digest', answer: 'immediately', moderation: 'immediately', digest_hour: '8' };

async function stored(memberId: number) {
  const preferences = await t.db.selectFrom('notification_preferences').select(['kind', 'delivery', 'version']).where('member_id', '=', memberId).orderBy('kind').execute();
  const member = await t.db.selectFrom('members').select('notification_digest_hour').where('id', '=', memberId).executeTakeFirstOrThrow();
  return { preferences, digestHour: member.notification_digest_hour };
}

describe('/settings/notifications', () => {
  it('shows the defaults, checked, before the member has chosen anything', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const page = await browser.get('/settings/notifications');
    expect(page.statusCode).toBe(200);
    for (const [kind, delivery] of Object.entries(DEFAULTS).filter(([name]) => name !== 'digest_hour')) {
      expect(page.body).toContain(`name="${kind}" value="${delivery}" checked`);
    }
    expect(page.body).toContain('<option value="8" selected>08:00</option>');
  });

  it('saves every kind and the digest hour, and moves a kind’s version only when its choice changes (a double submit changes nothing more)', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const hidden = await browser.openForm('/settings/notifications');
    const choices = { ...DEFAULTS, mention: 'digest', watched_thread: 'never', digest_hour: '17' };
    for (let submit = 0; submit < 2; submit += 1) {
      const response = await browser.post('/settings/notifications', { ...hidden, ...choices });
      expect(response.statusCode).toBe(303);
      expect(response.headers.location).toBe('/settings/notifications');
    }
    const saved = await stored(member.id);
    expect(saved.digestHour).toBe(17);
    expect(saved.preferences).toEqual([
      // A default confirmed stays at version 0, so links sent before the member chose still work.
      { kind: 'answer', delivery: 'immediately', version: 0 },
      { kind: 'mention', delivery: 'digest', version: 1 },
      { kind: 'moderation', delivery: 'immediately', version: 0 },
      { kind: 'reply', delivery: 'immediately', version: 0 },
      { kind: 'watched_reply', delivery: 'digest', version: 0 },
      { kind: 'watched_thread', delivery: 'never', version: 1 },
    ]);
    const page = await browser.get('/settings/notifications');
    expect(page.body).toContain(NOTIFICATION_MESSAGES.saved);
    expect(page.body).toContain('name="mention" value="digest" checked');

    await browser.post('/settings/notifications', { ...hidden, ...choices, mention: 'immediately' });
    expect((await stored(member.id)).preferences.find((row) => row.kind === 'mention')).toEqual({ kind: 'mention', delivery: 'immediately', version: 2 });
  });

  const badForms: [string, Record<string, string>, string, string][] = [
    ['an unknown kind', { ...DEFAULTS, digest: 'never' }, '_form', PAGE_MESSAGES.unexpectedField],
    ['an unknown choice', { ...DEFAULTS, reply: 'hourly' }, 'reply', NOTIFICATION_MESSAGES.chooseDelivery],
    ['a missing choice', { ...DEFAULTS, mention: '' }, 'mention', NOTIFICATION_MESSAGES.chooseDelivery],
    ['a hostile choice', { ...DEFAULTS, answer: "<script>alert(1)</script>' OR 1=1 --\u0000" }, 'answer', NOTIFICATION_MESSAGES.chooseDelivery],
    ['an hour out of range', { ...DEFAULTS, digest_hour: '24' }, 'digest_hour', NOTIFICATION_MESSAGES.chooseHour],
    ['an hour that is not a number', { ...DEFAULTS, digest_hour: 'javascript:alert(1)' }, 'digest_hour', NOTIFICATION_MESSAGES.chooseHour],
    ['an overlong hour', { ...DEFAULTS, digest_hour: '8'.repeat(5000) }, 'digest_hour', NOTIFICATION_MESSAGES.chooseHour],
  ];
  for (const [what, fields, field, message] of badForms) {
    it(`refuses ${what} with 422 and a message by the field, writing nothing`, async () => {
      const { member, browser } = await memberWithBrowser(t.app, t.db);
      const hidden = await browser.openForm('/settings/notifications');
      const partial = Object.fromEntries(Object.entries({ ...hidden, ...fields }).filter(([, value]) => value !== ''));
      const response = await refusedLeaving(() => stored(member.id), () => browser.post('/settings/notifications', partial), 422, message.replace(/'/g, '&#x27;'));
      if (field !== '_form') expect(response.body).toContain(`href="#field-${field}"`);
      expect(response.body).not.toContain('<script>alert(1)</script>');
    });
  }

  it('refuses a repeated field (two choices for one kind)', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const hidden = await browser.openForm('/settings/notifications');
    await refusedLeaving(() => stored(member.id), () => browser.post('/settings/notifications', { ...hidden, ...DEFAULTS, reply: ['never', 'immediately'] }), 422, NOTIFICATION_MESSAGES.chooseDelivery);
  });

  it('refuses a signed-out visitor, and a form without its token', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const visitor = new Browser(t.app);
    await refusedLeaving(() => stored(member.id), () => visitor.post('/settings/notifications', { ...DEFAULTS, reply: 'never' }), 403, PAGE_MESSAGES.signInFirst);
    expect((await visitor.get('/settings/notifications')).headers.location).toBe('/login?next=%2Fsettings%2Fnotifications');
    await refusedLeaving(() => stored(member.id), () => browser.post('/settings/notifications', { ...DEFAULTS, reply: 'never' }), 403, PAGE_MESSAGES.formExpired.replace(/'/g, '&#x27;'));
  });
});

describe('unsubscribing from an email', () => {
  async function emailedReply() {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions', { title: 'Unsubscribe me' });
    expect((await postReply(blair.browser, threadId, { body: 'A reply' })).statusCode).toBe(303);
    await minutesPass(t.db, 3);
    await t.app.mailWorker.composeAll();
    const [email] = await queuedNotificationEmails(t.db, alex.member.email);
    const path = email!.headers.listUnsubscribe!.slice(TEST_ORIGIN.length);
    expect(email!.text).toContain(email!.headers.listUnsubscribe);
    return { alex, blair, threadId, path };
  }

  it('asks first on GET, without a session, saying what will change, and changes nothing', async () => {
    const { alex, path } = await emailedReply();
    const visitor = new Browser(t.app);
    const page = await refusedLeaving(() => stored(alex.member.id), () => visitor.get(path), 200);
    expect(page.body).toContain('Stop emails about “Replies to your posts”?');
    expect(page.body).toContain(`<form method="post" action="${path}">`);
  });

  it('turns off only that kind on POST without a session or form token, and works once', async () => {
    const { alex, blair, threadId, path } = await emailedReply();
    const visitor = new Browser(t.app);
    const done = await visitor.postRaw(path, '', {}, { withOrigin: false });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('we will not email you about “Replies to your posts” any more');
    expect((await stored(alex.member.id)).preferences).toEqual([{ kind: 'reply', delivery: 'never', version: 1 }]);

    const again = await refusedLeaving(() => stored(alex.member.id), () => visitor.postRaw(path, '', {}, { withOrigin: false }), 410, 'already been used');
    expect(again.body).toContain('Nothing has changed');
    await refusedLeaving(() => stored(alex.member.id), () => visitor.get(path), 410, 'already been used');

    // And nothing more is emailed about replies.
    expect((await postReply(blair.browser, threadId, { body: 'Another reply' })).statusCode).toBe(303);
    await minutesPass(t.db, 30);
    await t.app.mailWorker.composeAll();
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toHaveLength(1);
  });

  it('takes the RFC 8058 one-click POST a mail provider sends from its own servers', async () => {
    const { alex, path } = await emailedReply();
    const response = await t.app.inject({ method: 'POST', url: path, headers: { host: '127.0.0.1:3000', 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(response.statusCode).toBe(200);
    expect((await stored(alex.member.id)).preferences).toEqual([{ kind: 'reply', delivery: 'never', version: 1 }]);
  });

  it('refuses a link whose member, kind, version or signature was altered, or that was made up, writing nothing', async () => {
    const { alex, path } = await emailedReply();
    const [, , token] = path.split('/');
    const [memberId, kind, version, mac] = token!.split('.');
    const flipped = `${mac!.slice(0, -2)}${mac!.endsWith('AA') ? 'AB' : 'AA'}`;
    // The last of 43 base64url characters carries two unused bits: a neighbour in its group of
    // four decodes to the same bytes, and must be refused all the same.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(mac!.at(-1)!);
    const sameBytes = `${mac!.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(sameBytes, 'base64url')).toEqual(Buffer.from(mac!, 'base64url'));
    const altered = [
      `${memberId}.${kind}.${version}.${sameBytes}`,
      `${Number(memberId) + 1}.${kind}.${version}.${mac}`,
      `${memberId}.mention.${version}.${mac}`,
      `${memberId}.${kind}.1.${mac}`,
      `${memberId}.${kind}.${version}.${flipped}`,
      `${memberId}.digest.${version}.${mac}`,
      'not-a-token',
      `${memberId}.${kind}.${version}.${mac}%00`,
      `${memberId}.${kind}.${version}.${'A'.repeat(43)}`,
      '<script>alert(1)<%2Fscript>',
    ];
    const visitor = new Browser(t.app);
    for (const forged of altered) {
      for (const send of [() => visitor.get(`/unsubscribe/${forged}`), () => visitor.postRaw(`/unsubscribe/${forged}`, 'List-Unsubscribe=One-Click', {}, { withOrigin: false })]) {
        const response = await send();
        expect(response.statusCode, forged).not.toBe(200);
        expect([400, 404], forged).toContain(response.statusCode);
        expect(response.body).not.toContain('<script>alert(1)');
      }
    }
    expect((await visitor.get(`/unsubscribe/${memberId}.${kind}.${version}.${flipped}`)).body).toContain('This unsubscribe link is not valid. Nothing has changed.');
    expect((await stored(alex.member.id)).preferences).toEqual([]);
  });

  it('keeps a link working, once, when the member saves their settings without changing that kind', async () => {
    const { alex, path } = await emailedReply();
    const hidden = await alex.browser.openForm('/settings/notifications');
    expect((await alex.browser.post('/settings/notifications', { ...hidden, ...DEFAULTS })).statusCode).toBe(303);
    const visitor = new Browser(t.app);
    expect((await visitor.postRaw(path, '', {}, { withOrigin: false })).statusCode).toBe(200);
    expect((await stored(alex.member.id)).preferences).toContainEqual({ kind: 'reply', delivery: 'never', version: 1 });
    await refusedLeaving(() => stored(alex.member.id), () => visitor.postRaw(path, '', {}, { withOrigin: false }), 410, 'already been used');
  });

  it('retires a link once the member changes that kind in their settings', async () => {
    const { alex, path } = await emailedReply();
    const hidden = await alex.browser.openForm('/settings/notifications');
    await alex.browser.post('/settings/notifications', { ...hidden, ...DEFAULTS, reply: 'digest' });
    await refusedLeaving(() => stored(alex.member.id), () => new Browser(t.app).postRaw(path, '', {}, { withOrigin: false }), 410, 'already been used');
  });
});
