import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, TEST_ORIGIN, type Browser, type TestApp } from '../../support/app.js';
import { memberWithBrowser, postIdFrom, postReply, startThread } from '../../support/discussions.js';
import { createCategory } from '../../support/forum-rows.js';
import type { TestMember } from '../../support/members.js';
import { minutesPass } from '../../support/notification-email.js';
import { createResource } from '../../support/resources.js';

const SITE = TEST_ORIGIN;

/*
 * The schedule reads the app's clock; posts, reads and the windows the digest counts from are the
 * database's. So the clock is the real one, except while a test runs the digests "at" a chosen
 * instant: 21:00 UTC on 9 January 2027 is 08:00 on the 10th in Sydney (AEDT, +11) and 05:00 in
 * Perth (AWST, +8), and a test's members are its own, so each test's days are fresh to them.
 */
let scheduledAt: Date | undefined;
const clock = () => scheduledAt ?? new Date();

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '10000' }, now: clock });
});
afterAll(async () => t.close());

async function digestsAt(iso: string, apps: TestApp[] = [t]): Promise<void> {
  scheduledAt = new Date(iso);
  try {
    await Promise.all(apps.map((app) => app.app.mailWorker.composeAll()));
  } finally {
    scheduledAt = undefined;
  }
}

interface QueuedDigest {
  subject: string;
  text: string;
  html: string;
  headers: { fromName?: string; listUnsubscribe?: string; messageId?: string };
}

async function digestsTo(member: TestMember): Promise<QueuedDigest[]> {
  const rows = await t.db.selectFrom('outbound_emails').select(['subject', 'text_body', 'html_body', 'headers']).where('kind', '=', 'notification.digest').where('to_address', '=', member.email).orderBy('id').execute();
  return rows.map((row) => ({ subject: row.subject, text: row.text_body ?? '', html: row.html_body ?? '', headers: row.headers as QueuedDigest['headers'] }));
}

/** Starts a thread with a body of its own (the same text in several threads is held as repeated). */
async function start(browser: Browser, categorySlug: string, title: string, body = `About ${title}.`): Promise<number> {
  return startThread(browser, categorySlug, { title, body });
}

async function reply(browser: Browser, threadId: number, body: string): Promise<number> {
  const response = await postReply(browser, threadId, { body });
  expect(response.statusCode, response.body).toBe(303);
  return postIdFrom(response.headers.location);
}

/** Opens the thread as a member does: /t/:id sends them on to the thread's page, which moves their read position. */
async function readThread(browser: Browser, threadId: number): Promise<void> {
  const redirect = await browser.get(`/t/${threadId}`);
  expect(redirect.statusCode).toBe(303);
  expect((await browser.get(String(redirect.headers.location))).statusCode).toBe(200);
}

async function watchCategory(member: TestMember, categoryId: number): Promise<void> {
  await t.db.insertInto('category_watches').values({ member_id: member.id, category_id: categoryId }).execute();
}

async function watchThread(member: TestMember, threadId: number): Promise<void> {
  await t.db.insertInto('thread_watches').values({ member_id: member.id, thread_id: threadId, level: 'watching' }).onConflict((oc) => oc.doNothing()).execute();
}

async function setZone(member: TestMember, timeZone: string | null): Promise<void> {
  await t.db.updateTable('members').set({ time_zone: timeZone }).where('id', '=', member.id).execute();
}

/** As if the member had a digest just now: only what comes after counts. */
async function hadDigestJustNow(member: TestMember): Promise<void> {
  await t.db.updateTable('members').set({ notification_digest_sent_at: sql`now()` }).where('id', '=', member.id).execute();
}

/** A watcher of a new category with one new thread in it, so each has something for their digest. */
async function watcherWithNews(zone: string | null) {
  const watcher = await memberWithBrowser(t.app, t.db);
  const poster = await memberWithBrowser(t.app, t.db);
  await setZone(watcher.member, zone);
  await hadDigestJustNow(watcher.member);
  const category = await createCategory(t.db);
  await watchCategory(watcher.member, category.id);
  const threadId = await start(poster.browser, category.slug, `News for ${watcher.member.handle}`);
  return { ...watcher, threadId };
}

describe('the daily digest', () => {
  it('gathers new threads in watched categories, replies in watched threads, busy threads and new resources, with a link to each', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const casey = await memberWithBrowser(t.app, t.db);
    const category = await createCategory(t.db);
    const closed = await createCategory(t.db, { visibleTo: 'moderators' });
    // Busy before Alex watched the category: no notification, but four posts Alex has not read.
    const busyThread = await start(blair.browser, category.slug, 'A busy thread');
    for (const n of [1, 2, 3]) await reply(casey.browser, busyThread, `Busy reply ${n}`);
    await watchCategory(alex.member, category.id);

    const newThread = await start(blair.browser, category.slug, 'New in a watched category', 'Our **retention** schedule.');
    const hiddenThread = await start(blair.browser, category.slug, 'Hidden by a moderator');
    const movedThread = await start(blair.browser, category.slug, 'Moved to a closed category');
    const readThread = await start(blair.browser, category.slug, 'Already read');
    const watchedThread = await start(blair.browser, 'questions', 'A watched thread');
    await watchThread(alex.member, watchedThread);
    const watchedReply = await reply(casey.browser, watchedThread, 'A reply Alex watches for.');
    const heldReply = await reply(casey.browser, watchedThread, 'A reply held for a moderator.');
    await t.db.updateTable('threads').set({ hidden_at: sql`now()` }).where('id', '=', hiddenThread).execute();
    await t.db.updateTable('threads').set({ category_id: closed.id }).where('id', '=', movedThread).execute();
    await t.db.updateTable('posts').set({ held_at: sql`now()`, held_reason: 'repeated_text' }).where('id', '=', heldReply).execute();
    await t.db.updateTable('notifications').set({ read_at: sql`now()` }).where('member_id', '=', alex.member.id).where('thread_id', '=', readThread).execute();
    const resource = await createResource(t.db, { sharer: blair.member, title: 'A new guide to retention', summary: 'What to keep and for how long.' });
    const removed = await createResource(t.db, { sharer: blair.member, title: 'A removed guide', removed: true });

    await digestsAt('2027-01-09T21:00:00Z');
    const [digest, ...more] = await digestsTo(alex.member);
    expect(more).toEqual([]);
    expect(digest!.subject).toBe('Your Commons digest for 10 January 2027');
    expect(digest!.headers.fromName).toBe('Commons');
    expect(digest!.headers.messageId).toBe(`<digest-2027-01-10.${alex.member.id}@127.0.0.1>`);
    const text = digest!.text;
    expect(text).toContain('New threads in categories you watch');
    expect(text).toContain('“New in a watched category”');
    expect(text).toContain('Our retention schedule.');
    expect(text).toContain(`${SITE}/p/${await firstPostOf(newThread)}`);
    expect(text).toContain('New replies in threads you watch');
    expect(text).toContain('A reply Alex watches for.');
    expect(text).toContain(`${SITE}/p/${watchedReply}`);
    expect(text).toContain('Busy threads in categories you watch');
    expect(text).toContain(`“A busy thread” in ${category.name}: 4 new posts`);
    expect(text).toContain(`${SITE}/t/${busyThread}/unread`);
    expect(text).toContain('New in the library');
    const headings = ['New threads in categories you watch', 'Busy threads in categories you watch', 'New replies in threads you watch', 'New in the library'];
    expect(headings.map((heading) => text.indexOf(heading))).toEqual(headings.map((heading) => text.indexOf(heading)).sort((a, b) => a - b));
    expect(text).toContain('A new guide to retention');
    expect(text).toContain(`${SITE}/resources/${resource.id}`);
    for (const absent of ['Hidden by a moderator', 'Moved to a closed category', 'Already read', 'A reply held for a moderator.', removed.title]) expect(text).not.toContain(absent);
    expect(digest!.html).toContain(`href="${SITE}/resources/${resource.id}"`);
    expect(digest!.html).toContain('<h2 style="margin:0; font-size:20px; line-height:1.3;">New in the library</h2>');
    // The header stops the whole digest; the footer has a link per kind in it as well.
    expect(digest!.headers.listUnsubscribe).toMatch(new RegExp(`^${SITE}/unsubscribe/${alex.member.id}\\.digest\\.0\\.[A-Za-z0-9_-]{43}$`));
    expect(text).toContain('Stop the daily digest: ');
    expect(text).toMatch(new RegExp(`Stop emails about “New replies in threads you watch”: ${SITE}/unsubscribe/${alex.member.id}\\.watched_reply\\.0\\.`));
    expect(text).toContain('Do not forward this email outside government.');

    // What went into the digest is marked emailed: no immediate email, and not in tomorrow's. The
    // held reply's notification waits, unmarked, for the reply's approval.
    const marks = await t.db.selectFrom('notifications').select(['post_id', 'emailed_at']).where('member_id', '=', alex.member.id).where('post_id', 'in', [await firstPostOf(newThread), watchedReply, heldReply]).orderBy('post_id').execute();
    expect(marks.map((row) => [row.post_id, row.emailed_at !== null])).toEqual([[await firstPostOf(newThread), true], [watchedReply, true], [heldReply, false]]);
  });

  it('shows a resource’s hostile title and summary as inert text', async () => {
    const reader = await memberWithBrowser(t.app, t.db);
    const sharer = await memberWithBrowser(t.app, t.db);
    await hadDigestJustNow(reader.member);
    await createResource(t.db, { sharer: sharer.member, title: '<script>alert(1)</script> A guide', summary: '[click](javascript:alert(1)) <img src=x onerror=alert(1)>' });
    await digestsAt('2027-01-09T21:00:00Z');
    const [digest] = await digestsTo(reader.member);
    expect(digest!.html).not.toContain('<script>');
    expect(digest!.html).not.toContain('<img');
    expect(digest!.html).not.toContain('href="javascript:');
    expect(digest!.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; A guide');
    expect(digest!.text).toContain('<script>alert(1)</script> A guide');
  });

  it('sends nothing when nothing is new, and claims the day all the same', async () => {
    const quiet = await memberWithBrowser(t.app, t.db);
    await hadDigestJustNow(quiet.member);
    await digestsAt('2027-01-09T21:00:00Z');
    expect(await digestsTo(quiet.member)).toEqual([]);
    const row = await t.db.selectFrom('members').select(sql<string>`notification_digest_sent_for::text`.as('day')).where('id', '=', quiet.member.id).executeTakeFirstOrThrow();
    expect(row.day).toBe('2027-01-10');
  });

  it('leaves out what the member has already read in its thread', async () => {
    const { member, browser, threadId } = await watcherWithNews(null);
    await readThread(browser, threadId);
    await digestsAt('2027-01-09T21:00:00Z');
    expect(await digestsTo(member)).toEqual([]);
  });

  it('sends nothing to a member who takes nothing in the digest', async () => {
    const { member, browser } = await watcherWithNews(null);
    const hidden = await browser.openForm('/settings/notifications');
    const response = await browser.post('/settings/notifications', { ...hidden, reply: 'immediately', mention: 'immediately', watched_reply: 'never', watched_thread: 'never', answer: 'immediately', moderation: 'immediately', digest_hour: '8' });
    expect(response.statusCode).toBe(303);
    await digestsAt('2027-01-09T21:00:00Z');
    expect(await digestsTo(member)).toEqual([]);
  });

  it('sends at each member’s hour in their own zone, not before: Sydney, then Perth three hours later', async () => {
    const sydney = await watcherWithNews('Australia/Sydney');
    const perth = await watcherWithNews('Australia/Perth');
    const siteZone = await watcherWithNews(null);

    await digestsAt('2027-01-09T20:59:00Z'); // 07:59 in Sydney
    expect(await digestsTo(sydney.member)).toHaveLength(0);
    expect(await digestsTo(siteZone.member)).toHaveLength(0);

    await digestsAt('2027-01-09T21:00:00Z'); // 08:00 in Sydney, 05:00 in Perth
    expect(await digestsTo(sydney.member)).toHaveLength(1);
    expect(await digestsTo(siteZone.member)).toHaveLength(1);
    expect(await digestsTo(perth.member)).toHaveLength(0);

    await digestsAt('2027-01-09T23:59:00Z'); // 07:59 in Perth
    expect(await digestsTo(perth.member)).toHaveLength(0);
    await digestsAt('2027-01-10T00:00:00Z'); // 08:00 in Perth
    const [perthDigest] = await digestsTo(perth.member);
    expect(perthDigest!.subject).toBe('Your Commons digest for 10 January 2027');
    expect(perthDigest!.text).toContain(`News for ${perth.member.handle}`);
    // Times in the email are in the member's zone.
    expect(perthDigest!.text).toMatch(/\d{1,2}:\d{2} [ap]m AWST/);
    expect(await digestsTo(sydney.member)).toHaveLength(1);
  });

  it('sends no second digest to a member who moves west into a local date before the one they had', async () => {
    const sydney = await watcherWithNews('Australia/Sydney');
    await digestsAt('2027-01-09T21:00:00Z'); // 08:00 on the 10th in Sydney
    expect(await digestsTo(sydney.member)).toHaveLength(1);
    await watchThread(sydney.member, sydney.threadId);
    const poster = await memberWithBrowser(t.app, t.db);
    await reply(poster.browser, sydney.threadId, 'News after the move');
    await setZone(sydney.member, 'Pacific/Honolulu');
    await digestsAt('2027-01-09T22:00:00Z'); // 12:00 on the 9th in Honolulu
    expect(await digestsTo(sydney.member)).toHaveLength(1);
  });

  it('sends nothing while a member is suspended, and that day’s digest once the suspension ends', async () => {
    const suspended = await watcherWithNews(null);
    await t.db.updateTable('members').set({ suspended_until: sql`now() + interval '1 day'`, suspension_reason: 'Testing' }).where('id', '=', suspended.member.id).execute();
    await digestsAt('2027-01-09T21:00:00Z');
    expect(await digestsTo(suspended.member)).toEqual([]);
    await t.db.updateTable('members').set({ suspended_until: sql`now() - interval '1 second'` }).where('id', '=', suspended.member.id).execute();
    await digestsAt('2027-01-09T22:00:00Z');
    expect(await digestsTo(suspended.member)).toHaveLength(1);
  });

  it('follows the member’s own hour across the end of daylight saving', async () => {
    const early = await watcherWithNews('Australia/Sydney');
    await t.db.updateTable('members').set({ notification_digest_hour: 7 }).where('id', '=', early.member.id).execute();
    const sydney = await watcherWithNews('Australia/Sydney');
    // Sydney leaves daylight saving at 03:00 on 4 April 2027: 21:30 UTC is then 07:30, not 08:30.
    await digestsAt('2027-04-03T21:30:00Z');
    expect(await digestsTo(early.member)).toHaveLength(1);
    expect(await digestsTo(sydney.member)).toHaveLength(0);
    await digestsAt('2027-04-03T22:00:00Z');
    expect(await digestsTo(sydney.member)).toHaveLength(1);
  });

  it('sends a digest once when its hour passed while the site was down, and not again that day', async () => {
    const late = await watcherWithNews('Australia/Sydney');
    await digestsAt('2027-01-10T04:00:00Z'); // 15:00 in Sydney: the site was down at 08:00
    expect(await digestsTo(late.member)).toHaveLength(1);
    await startThread((await memberWithBrowser(t.app, t.db)).browser, (await categoryWatchedBy(late.member)).slug, { title: 'Later that day' });
    await digestsAt('2027-01-10T05:00:00Z');
    await digestsAt('2027-01-10T12:59:00Z'); // 23:59 in Sydney
    expect(await digestsTo(late.member)).toHaveLength(1);
  });

  it('sends each digest once with two app instances running at the same moment', async () => {
    const second = await buildTestApp({ database: t.database, now: clock });
    try {
      const watchers = [];
      for (let n = 0; n < 6; n += 1) watchers.push(await watcherWithNews('Australia/Sydney'));
      await digestsAt('2027-01-09T21:00:00Z', [t, second]);
      await digestsAt('2027-01-09T21:00:00Z', [t, second]);
      for (const watcher of watchers) expect(await digestsTo(watcher.member)).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it('puts only what is new since yesterday’s digest in the next day’s', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    await hadDigestJustNow(alex.member);
    const threadId = await start(blair.browser, 'questions', 'Day by day');
    await watchThread(alex.member, threadId);
    await reply(blair.browser, threadId, 'Said on the first day.');
    const firstResource = await createResource(t.db, { sharer: blair.member, title: 'A first-day guide' });
    await digestsAt('2027-01-09T21:00:00Z');
    const [first] = await digestsTo(alex.member);
    expect(first!.text).toContain('Said on the first day.');
    expect(first!.text).toContain(firstResource.title);

    await reply(blair.browser, threadId, 'Said on the second day.');
    // Composing immediate emails finds nothing of Alex's: watched replies are digest-only.
    await minutesPass(t.db, 30);
    await digestsAt('2027-01-10T20:00:00Z'); // 07:00 in Sydney: the immediate emails alone
    expect(await digestsTo(alex.member)).toHaveLength(1);
    await digestsAt('2027-01-10T21:00:00Z');
    const [, second, ...more] = await digestsTo(alex.member);
    expect(more).toEqual([]);
    expect(second!.subject).toBe('Your Commons digest for 11 January 2027');
    expect(second!.text).toContain('Said on the second day.');
    expect(second!.text).not.toContain('Said on the first day.');
    expect(second!.text).not.toContain(firstResource.title);
  });
});

describe('a digest that cannot be composed', () => {
  it('is logged and holds up no other email', async () => {
    const watcher = await watcherWithNews(null);
    // The function the claim reads zones through, gone from this file's database: the claim fails.
    await sql`alter function known_time_zone_or(text, text) rename to known_time_zone_or_gone`.execute(t.db);
    try {
      await t.db.insertInto('outbound_emails').values({ to_address: 'someone@example.gov.au', subject: 'Waiting', text_body: 'Waiting to be sent.', kind: 'test.waiting' }).execute();
      scheduledAt = new Date('2027-01-09T21:00:00Z');
      // Earlier tests' members come first in the claim's order: composing takes them until the batch with this one fails.
      await t.app.mailWorker.composeAll();
      expect(t.logs.some((line) => line.msg === 'the daily digests could not be composed')).toBe(true);
      // Every email queued so far goes out, this file's earlier digests and the waiting one.
      while ((await t.app.mailWorker.runOnce()) > 0);
      expect(await t.db.selectFrom('outbound_emails').select('status').where('kind', '=', 'test.waiting').executeTakeFirstOrThrow()).toEqual({ status: 'sent' });
      expect(await digestsTo(watcher.member)).toEqual([]);
    } finally {
      scheduledAt = undefined;
      await sql`alter function known_time_zone_or_gone(text, text) rename to known_time_zone_or`.execute(t.db);
    }
  });
});

describe('the digest’s List-Unsubscribe link', () => {
  it('turns off every kind in the digest, once, with no session', async () => {
    const watcher = await watcherWithNews(null);
    await digestsAt('2027-01-09T21:00:00Z');
    const [digest] = await digestsTo(watcher.member);
    const path = new URL(digest!.headers.listUnsubscribe!).pathname;
    const { Browser: VisitorBrowser } = await import('../../support/app.js');
    const visitor = new VisitorBrowser(t.app);
    const page = await visitor.get(path);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('The daily digest');
    const first = await t.app.inject({ method: 'POST', url: path, payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(first.statusCode).toBe(200);
    const rows = await t.db.selectFrom('notification_preferences').select(['kind', 'delivery']).where('member_id', '=', watcher.member.id).orderBy('kind').execute();
    expect(rows).toEqual([{ kind: 'watched_reply', delivery: 'never' }, { kind: 'watched_thread', delivery: 'never' }]);
    const again = await t.app.inject({ method: 'POST', url: path, payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(again.statusCode).toBe(410);
  });

  it('refuses an altered digest link and changes nothing', async () => {
    const watcher = await watcherWithNews(null);
    await digestsAt('2027-01-09T21:00:00Z');
    const [digest] = await digestsTo(watcher.member);
    const path = new URL(digest!.headers.listUnsubscribe!).pathname.replace(`/${watcher.member.id}.digest.`, `/${watcher.member.id + 1}.digest.`);
    const response = await t.app.inject({ method: 'POST', url: path, payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(response.statusCode).toBe(400);
    expect(await t.db.selectFrom('notification_preferences').select('kind').where('member_id', 'in', [watcher.member.id, watcher.member.id + 1]).execute()).toEqual([]);
  });
});

async function firstPostOf(threadId: number): Promise<number> {
  const row = await t.db.selectFrom('posts').select('id').where('thread_id', '=', threadId).where('position', '=', 1).executeTakeFirstOrThrow();
  return row.id;
}

async function categoryWatchedBy(member: TestMember) {
  return t.db.selectFrom('category_watches as w').innerJoin('categories as c', 'c.id', 'w.category_id').select(['c.slug']).where('w.member_id', '=', member.id).executeTakeFirstOrThrow();
}
