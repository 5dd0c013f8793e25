import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { threadPath } from '../../../src/features/discussions/routes/paths.js';
import { ACTION_NAMES, MODERATION_MESSAGES as M } from '../../../src/features/moderation/messages.js';
import { resourcePath } from '../../../src/features/resources/content.js';
import type { Database } from '../../../src/db/database.js';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { createTestDatabase } from '../../support/database.js';
import { startThread } from '../../support/discussions.js';
import { createResource, escapeLikeHandlebars } from '../../support/resources.js';
import { StatementRecorder } from '../../support/statements.js';
import { someone, type Someone } from './support.js';

const recorder = new StatementRecorder();
let database: Database;
let t: TestApp;
let moderator: Someone;
let subject: Someone;
beforeAll(async () => {
  database = await createTestDatabase();
  t = await buildTestApp({ database: { ...database, db: database.db.withPlugin(recorder.plugin) } });
  moderator = await someone(t.app, t.db, 'moderator');
  subject = await someone(t.app, t.db);
  // 60 warnings about one member at one instant: the page boundary falls inside equal times.
  await sql`insert into audit_events (occurred_at, actor_member_id, action, target_type, target_id, subject_member_id, details)
    select timestamptz '2026-11-01 10:00:00.123456+00', ${moderator.member.id}, 'member.warned', 'member', ${String(subject.member.id)}, ${subject.member.id}, jsonb_build_object('reason', 'Reason ' || n)
    from generate_series(1, 60) as n`.execute(t.db);
});
afterAll(async () => {
  await t.close();
  await database.close();
});

/** An audit row as an action writes one, by `actorId` at this moment. */
async function logged(actorId: number, action: string, target: { type: string; id: number | string }, subjectId: number | null = null) {
  await t.db.insertInto('audit_events').values({ actor_member_id: actorId, action, target_type: target.type, target_id: String(target.id), subject_member_id: subjectId, details: JSON.stringify({ reason: `About ${target.type}` }) }).execute();
}

/** The "About" cells of the log at `path`. */
async function aboutCells(path: string): Promise<string[]> {
  const page = await moderator.browser.get(path);
  expect(page.statusCode, page.body.slice(0, 500)).toBe(200);
  return [...page.body.matchAll(/<td data-label="About"><span>(.*?)<\/span><\/td>/g)].map((m) => m[1]!);
}

function reasonsOn(page: string): string[] {
  return [...page.matchAll(/<td data-label="Reason">(Reason \d+)<\/td>/g)].map((m) => m[1]!);
}

describe('GET /mod/log', () => {
  it('lists newest first, 50 a page, and the next page carries on by (time, id) without repeats or gaps', async () => {
    const first = await moderator.browser.get(`/mod/log?member=${subject.member.id}`);
    expect(first.statusCode).toBe(200);
    const firstReasons = reasonsOn(first.body);
    expect(firstReasons).toHaveLength(50);
    expect(firstReasons[0]).toBe('Reason 60');
    const older = /href="(\/mod\/log\?[^"]+)">Older actions/.exec(first.body)![1]!.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
    const second = await moderator.browser.get(older);
    expect(second.statusCode).toBe(200);
    const secondReasons = reasonsOn(second.body);
    expect(secondReasons).toHaveLength(10);
    expect(new Set([...firstReasons, ...secondReasons]).size).toBe(60);
    expect(second.body).not.toContain('Older actions');
  });

  it('filters by moderator, action, member and dates', async () => {
    const other = await someone(t.app, t.db);
    await moderator.browser.post(`/mod/members/${other.member.id}/warn`, { _csrf: moderator.csrf, reason: 'A fresh warning.' });
    const byAction = await moderator.browser.get(`/mod/log?action=member.warned&actor=${moderator.member.id}&member=${other.member.id}`);
    expect(byAction.body).toContain('A fresh warning.');
    expect(reasonsOn(byAction.body)).toEqual([]);
    const byDate = await moderator.browser.get(`/mod/log?from=2026-11-01&to=2026-11-01&member=${subject.member.id}`);
    expect(reasonsOn(byDate.body)).toHaveLength(50);
    const noneThatDay = await moderator.browser.get(`/mod/log?from=2026-11-02&to=2026-11-02&member=${subject.member.id}`);
    expect(reasonsOn(noneThatDay.body)).toEqual([]);
    const otherAction = await moderator.browser.get(`/mod/log?action=member.suspended&member=${subject.member.id}`);
    expect(otherAction.body).toContain('No actions match.');
  });

  it('names the members, threads, posts and resources acted on, linked, in the same statements however many there are', async () => {
    const acting = await someone(t.app, t.db, 'moderator');
    const author = await someone(t.app, t.db);
    const promoted = await someone(t.app, t.db, 'moderator');
    const targets = async (title: string) => {
      const threadId = await startThread(author.browser, 'questions', { title });
      const thread = await t.db.selectFrom('threads').select(['id', 'slug']).where('id', '=', threadId).executeTakeFirstOrThrow();
      const post = await t.db.selectFrom('posts').select('id').where('thread_id', '=', threadId).executeTakeFirstOrThrow();
      const resource = await createResource(t.db, { sharer: author.member, title: `A guide to ${title}` });
      await logged(acting.member.id, 'post.hidden', { type: 'post', id: post.id }, author.member.id);
      await logged(acting.member.id, 'thread.locked', { type: 'thread', id: thread.id }, author.member.id);
      await logged(acting.member.id, 'resource.hidden', { type: 'resource', id: resource.id }, author.member.id);
      return { thread, post, resource };
    };
    const { thread, post, resource } = await targets('Leave <b>policies</b> compared');
    await logged(acting.member.id, 'member.warned', { type: 'member', id: promoted.member.id });
    await logged(acting.member.id, 'post.deleted', { type: 'post', id: '99999999999' }, author.member.id);

    let cells: string[] = [];
    const fewer = await recorder.during(async () => (cells = await aboutCells(`/mod/log?actor=${acting.member.id}`)));
    const name = `<a href="/u/${author.member.handle}"><bdi>${author.member.displayName}</bdi></a>`;
    const title = 'Leave &lt;b&gt;policies&lt;/b&gt; compared';
    // Newest first.
    expect(cells.slice(0, 5)).toEqual([
      `${name}; <bdi>post 99999999999</bdi>`,
      `<a href="/u/${promoted.member.handle}"><bdi>${promoted.member.displayName}</bdi></a>`,
      `${name}; the resource “<a href="${resourcePath(resource)}"><bdi>A guide to ${title}</bdi></a>”`,
      `${name}; the thread “<a href="${threadPath(thread)}"><bdi>${title}</bdi></a>”`,
      `${name}; a post in “<a href="/p/${post.id}"><bdi>${title}</bdi></a>”`,
    ]);
    for (const more of ['Rosters', 'Overtime', 'Travel']) await targets(more);
    const more = await recorder.during(async () => expect(await aboutCells(`/mod/log?actor=${acting.member.id}`)).toHaveLength(cells.length + 9));
    expect(more).toEqual(fewer);
  });

  it('holds moderation only: administration, sign-ins and sign-outs are for the audit log', async () => {
    const acting = await someone(t.app, t.db, 'administrator');
    await logged(acting.member.id, 'agency.renamed', { type: 'agency', id: 7 });
    const promoted = await someone(t.app, t.db, 'moderator');
    await logged(acting.member.id, 'role.granted', { type: 'member', id: promoted.member.id });
    await logged(acting.member.id, 'thread.locked', { type: 'thread', id: 1 });
    const actions = async (path: string) => [...(await moderator.browser.get(path)).body.matchAll(/<td data-label="Action">([^<]*)<\/td>/g)].map((match) => match[1]);
    expect(await actions(`/mod/log?actor=${acting.member.id}`)).toEqual([ACTION_NAMES['thread.locked']]);
    // Not by naming them either: the filter keeps to the log's own actions.
    expect(await actions(`/mod/log?actor=${acting.member.id}&action=signin.succeeded`)).toEqual([]);
    expect(await actions(`/mod/log?actor=${acting.member.id}&action=role.granted`)).toEqual([]);
  });

  it('offers the moderator filter as a list of staff and former staff by name, and filters by it', async () => {
    const former = await someone(t.app, t.db);
    await logged(moderator.member.id, 'role.revoked', { type: 'member', id: former.member.id });
    await logged(former.member.id, 'member.warned', { type: 'member', id: subject.member.id }, subject.member.id);
    const plain = await someone(t.app, t.db);
    await logged(plain.member.id, 'warning.acknowledged', { type: 'member_warning', id: 1 }, plain.member.id);
    const { member: administrator } = await someone(t.app, t.db, 'administrator');

    const page = (await moderator.browser.get('/mod/log')).body;
    const select = /<select id="field-actor" name="actor"[^>]*>([\s\S]*?)<\/select>/.exec(page)?.[1] ?? '';
    expect(page).toContain('<label for="field-actor">Moderator</label>');
    expect(select).toContain('<option value="">Any moderator or administrator</option>');
    expect(select).toContain(`<option value="${moderator.member.id}">${moderator.member.displayName} (moderator)</option>`);
    expect(select).toContain(`<option value="${administrator.id}">${administrator.displayName} (administrator)</option>`);
    expect(select).toContain(`<option value="${former.member.id}">${former.member.displayName} (former staff)</option>`);
    expect(select).not.toContain(`value="${plain.member.id}"`);
    expect(select).not.toContain(`value="${subject.member.id}"`);

    const filtered = await moderator.browser.get(`/mod/log?actor=${former.member.id}&action=member.warned`);
    expect(filtered.body).toContain(`<option value="${former.member.id}" selected>`);
    expect(filtered.body.match(/<td data-label="Who">/g)).toHaveLength(1);
    expect(filtered.body).toContain(`<td data-label="Who"><a href="/mod/log?actor=${former.member.id}"><bdi>${former.member.displayName}</bdi></a></td>`);
    // A member who only acted on themselves is named, not offered as a filter that would refuse them.
    const own = await moderator.browser.get(`/mod/log?member=${plain.member.id}`);
    expect(own.body).toContain(`<td data-label="Who"><bdi>${plain.member.displayName}</bdi></td>`);
  });

  it('answers a moderator who is not staff, and never was, with 400 and the filters re-shown', async () => {
    const plain = await someone(t.app, t.db);
    for (const actor of [String(plain.member.id), String(Number.MAX_SAFE_INTEGER)]) {
      const response = await moderator.browser.get(`/mod/log?actor=${actor}&action=member.warned`);
      expect(response.statusCode, actor).toBe(400);
      expect(response.body).toContain(escapeLikeHandlebars(M.logFilterProblem(M.unknownActor)));
      expect(response.body).toContain('<legend>Filter the log</legend>');
      expect(response.body).toContain('<a href="#field-actor">');
      expect(response.body).toContain('<select id="field-actor" name="actor" aria-invalid="true" aria-describedby="error-actor">');
      expect(response.body).toContain('<option value="member.warned" selected>');
      expect(response.body).not.toContain('No actions match.');
      expect(response.body).not.toContain('<td data-label="Who">');
    }
  });

  it('answers bad filters with 400 and a clear message', async () => {
    const cases: [string, string][] = [
      ['actor=abc', M.badActor],
      ['actor=1.5', M.badActor],
      ['actor=-1', M.badActor],
      ['actor=9223372036854775808', M.badActor],
      ['actor=99999999999999999999', M.badActor],
      ['actor=%00', M.badActor],
      ['member=99999999999999999999', M.badSubject],
      ['action=%3Cscript%3E', M.badAction],
      ['from=2026-02-30', M.badDate],
      ['to=yesterday', M.badDate],
      // The day after 9999-12-31 has no four-digit year: this once answered 500.
      ['to=9999-12-31', M.dateOutOfRange],
      ['from=1999-12-31', M.dateOutOfRange],
      ['from=2026-12-02&to=2026-12-01', M.datesReversed],
      ['before=2026-11-01T10:00:00.123456Z_abc', M.badCursor],
      ['before=2026-13-01T10:00:00.123456Z_5', M.badCursor],
      ['actor=1&actor=2', M.badActor],
      ['sort=id', ''],
    ];
    for (const [query, message] of cases) {
      const response = await moderator.browser.get(`/mod/log?${query}`);
      expect(response.statusCode, query).toBe(400);
      if (message) expect(response.body, query).toContain(escapeLikeHandlebars(M.logFilterProblem(message)));
      expect(response.body, query).toContain('<h2 id="error-summary-title">There is a problem</h2>');
    }
  });

  it('is refused to a member (403)', async () => {
    expect((await subject.browser.get('/mod/log')).statusCode).toBe(403);
  });
});
