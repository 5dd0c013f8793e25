import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCUSSION_MESSAGES } from '../../../src/features/discussions/messages.js';
import { ACTION_NAMES, APPROVAL_MESSAGES, MODERATION_MESSAGES as M, THREAD_ACTION_MESSAGES } from '../../../src/features/moderation/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { dayIn } from '../../../src/lib/time.js';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { createCategory, createRepliedThread } from '../../support/forum-rows.js';
import { createMember, type TestMember } from '../../support/members.js';
import { createResource, escapeLikeHandlebars } from '../../support/resources.js';
import { moderationForm } from '../../support/thread-moderation.js';
import { someone, type Someone } from './support.js';

// Issue 10's record: every state-changing /mod route writes its audit row in the action's own
// transaction (a 303 means the row is there, a refusal means none is), and the database keeps
// the rows as written.

let t: TestApp;
let moderator: Someone;
let author: TestMember;
let flagger: Someone;
beforeAll(async () => {
  // One flag hides an item, so a flagged item to keep is also one that flags hid.
  t = await buildTestApp({ env: { FLAG_HIDE_THRESHOLD: '1' } });
  moderator = await someone(t.app, t.db, 'moderator');
  author = await createMember(t.db);
  flagger = await someone(t.app, t.db);
});
afterAll(async () => t.close());

interface AuditRow {
  action: string;
  actor_member_id: number | null;
  target_type: string | null;
  target_id: string | null;
  subject_member_id: number | null;
  details: unknown;
}

/** One route's action, set up and ready: the good form, a refused one, and the rows the good one must write. */
interface Case {
  url: string;
  fields: Record<string, string | string[]>;
  refused: { fields: Record<string, string | string[]>; status: number; message?: string };
  rows: (response: LightMyRequestResponse) => Promise<Omit<AuditRow, 'actor_member_id'>[]> | Omit<AuditRow, 'actor_member_id'>[];
}

const REASON = 'Breaches the code of conduct.';
const OVERLONG = 'x'.repeat(1001);

async function lastAuditId(): Promise<number> {
  const row = await t.db.selectFrom('audit_events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow();
  return Number(row.id ?? 0);
}

const auditAfter = (id: number): Promise<AuditRow[]> =>
  t.db.selectFrom('audit_events').select(['action', 'actor_member_id', 'target_type', 'target_id', 'subject_member_id', 'details']).where('id', '>', id).orderBy('id').execute();

/** A setup step through the moderator's own form: must succeed. */
async function done(url: string, fields: Record<string, string | string[]> = {}): Promise<void> {
  const response = await moderator.browser.post(url, { _csrf: moderator.csrf, ...fields });
  expect(response.statusCode, `${url}: ${response.body.slice(0, 300)}`).toBe(303);
}

async function flag(path: string): Promise<void> {
  const hidden = await flagger.browser.openForm(path);
  expect((await flagger.browser.post(path, { ...hidden, reason: 'spam', note: '' })).statusCode).toBe(303);
}

/** A reply by the author, in a thread of its own. */
const reply = () => createRepliedThread(t.db, author.id, author.id);

const button = {};
/** A button's form with a field no form has: refused before anything is done. */
const withStrayField = { fields: { stray: 'x' }, status: 400, message: M.unexpectedFields };

function postCase(postId: number, action: string, fields: Record<string, string>, refused: Case['refused'], rows: Case['rows']): Case {
  return { url: `/mod/posts/${postId}/${action}`, fields, refused, rows };
}

const onPost = (postId: number, action: string, details: Record<string, unknown>) => ({ action, target_type: 'post', target_id: String(postId), subject_member_id: author.id, details });
const onThread = (threadId: number, action: string, details: Record<string, unknown>) => ({ action, target_type: 'thread', target_id: String(threadId), subject_member_id: author.id, details });
const onResource = (resourceId: number, action: string, details: Record<string, unknown>) => ({ action, target_type: 'resource', target_id: String(resourceId), subject_member_id: author.id, details });
const onMember = (memberId: number, action: string, details: Record<string, unknown>) => ({ action, target_type: 'member', target_id: String(memberId), subject_member_id: memberId, details });

/** A thread action with the version the moderation page shows; refused when the version is stale (409). */
async function threadCase(threadId: number, action: string, fields: Record<string, string | string[]>, rows: Case['rows']): Promise<Case> {
  const { version } = await moderationForm(moderator.browser, threadId);
  return {
    url: `/mod/threads/${threadId}/${action}`,
    fields: { version, ...fields },
    refused: { fields: { version: String(Number(version) + 1), ...fields }, status: 409, message: THREAD_ACTION_MESSAGES.stale },
    rows,
  };
}

const aThread = async () => (await reply()).threadId;

function daysAhead(days: number): string {
  const [y, m, d] = dayIn(new Date(), t.config.site.TIME_ZONE).split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

const suspendedUntil = async (memberId: number) => (await t.db.selectFrom('members').select('suspended_until').where('id', '=', memberId).executeTakeFirstOrThrow()).suspended_until!.toISOString();

async function awaitingMember(): Promise<TestMember> {
  const member = await createMember(t.db);
  await t.db.updateTable('members').set({ awaiting_approval_since: new Date() }).where('id', '=', member.id).execute();
  return member;
}

async function heldReply(): Promise<number> {
  const { replyId } = await reply();
  await t.db.updateTable('posts').set({ held_at: new Date(), held_reason: 'first_posts' }).where('id', '=', replyId).execute();
  return replyId;
}

async function resourceOf() {
  return createResource(t.db, { sharer: { id: author.id, agencyId: author.agencyId } });
}

/**
 * Every POST route in the /mod scope, by the inventory's name for it: what it needs, the form
 * that acts, and exactly the audit rows it writes. A route missing here fails the first test.
 */
const DRIVERS: Record<string, () => Promise<Case>> = {
  '/mod/posts/:id/keep': async () => {
    const { replyId } = await reply();
    await flag(`/p/${replyId}/flag`);
    return postCase(replyId, 'keep', button, withStrayField, () => [onPost(replyId, 'flag.dismissed', { before: { hidden: true }, after: { hidden: false }, flagsResolved: 1 })]);
  },
  '/mod/posts/:id/hide': async () => {
    const { replyId } = await reply();
    return postCase(replyId, 'hide', { reason: REASON }, { fields: { reason: ' ' }, status: 422, message: M.reasonRequired }, () => [
      onPost(replyId, 'post.hidden', { reason: REASON, before: { hidden: false, hiddenReason: null }, after: { hidden: true, hiddenReason: REASON }, flagsResolved: 0 }),
    ]);
  },
  '/mod/posts/:id/unhide': async () => {
    const { replyId } = await reply();
    await done(`/mod/posts/${replyId}/hide`, { reason: REASON });
    return postCase(replyId, 'unhide', button, withStrayField, () => [onPost(replyId, 'post.unhidden', { before: { hidden: true, hiddenReason: REASON }, after: { hidden: false }, flagsResolved: 0 })]);
  },
  '/mod/posts/:id/delete': async () => {
    const { replyId } = await reply();
    return postCase(replyId, 'delete', { reason: REASON }, { fields: { reason: OVERLONG }, status: 422 }, () => [
      onPost(replyId, 'post.deleted', { reason: REASON, before: { deleted: false }, after: { deleted: true }, flagsResolved: 0 }),
    ]);
  },
  '/mod/posts/:id/restore': async () => {
    const { replyId } = await reply();
    await done(`/mod/posts/${replyId}/delete`, { reason: '' });
    return postCase(replyId, 'restore', button, withStrayField, () => [onPost(replyId, 'post.undeleted', { before: { deleted: true }, after: { deleted: false } })]);
  },
  '/mod/posts/:id/edit': async () => {
    const { replyId } = await reply();
    const form = await moderator.browser.openForm(`/mod/posts/${replyId}/edit`);
    const version = Number(form.version);
    const fields = { ...form, body: 'Reworded by a moderator.' };
    return postCase(replyId, 'edit', fields, { fields: { ...fields, version: String(version + 1) }, status: 409, message: DISCUSSION_MESSAGES.editConflict }, () => [
      onPost(replyId, 'post.edited', { before: { version }, after: { version: version + 1 }, flagsResolved: 0 }),
    ]);
  },

  '/mod/resources/:id/keep': async () => {
    const resource = await resourceOf();
    await flag(`/resources/${resource.id}/flag`);
    return {
      url: `/mod/resources/${resource.id}/keep`,
      fields: button,
      refused: withStrayField,
      // Flags hid its discussion with it; keeping the resource brings the discussion back.
      rows: () => [onThread(resource.threadId, 'thread.unhidden', { before: { hidden: true }, after: { hidden: false } }), onResource(resource.id, 'flag.dismissed', { before: { hidden: true }, after: { hidden: false }, flagsResolved: 1 })],
    };
  },
  '/mod/resources/:id/hide': async () => {
    const resource = await resourceOf();
    return {
      url: `/mod/resources/${resource.id}/hide`,
      fields: { reason: REASON },
      refused: { fields: { reason: '' }, status: 422, message: M.reasonRequired },
      rows: () => [
        onThread(resource.threadId, 'thread.hidden', { reason: REASON, before: { hidden: false }, after: { hidden: true } }),
        onResource(resource.id, 'resource.hidden', { reason: REASON, before: { hidden: false, hiddenReason: null }, after: { hidden: true, hiddenReason: REASON }, flagsResolved: 0 }),
      ],
    };
  },
  '/mod/resources/:id/unhide': async () => {
    const resource = await resourceOf();
    await done(`/mod/resources/${resource.id}/hide`, { reason: REASON });
    return {
      url: `/mod/resources/${resource.id}/unhide`,
      fields: button,
      refused: withStrayField,
      rows: () => [
        onThread(resource.threadId, 'thread.unhidden', { before: { hidden: true, reason: REASON }, after: { hidden: false } }),
        onResource(resource.id, 'resource.unhidden', { before: { hidden: true, hiddenReason: REASON }, after: { hidden: false }, flagsResolved: 0 }),
      ],
    };
  },
  '/mod/resources/:id/remove': async () => {
    const resource = await resourceOf();
    return {
      url: `/mod/resources/${resource.id}/remove`,
      fields: { reason: REASON },
      refused: { fields: { reason: OVERLONG }, status: 400 },
      // Its discussion goes with it, on the thread's own record.
      rows: () => [
        onThread(resource.threadId, 'thread.hidden', { reason: 'hidden with its resource', before: { hidden: false }, after: { hidden: true } }),
        onResource(resource.id, 'resource.removed', { reason: REASON, title: resource.title, before: { removed: false }, after: { removed: true }, flagsResolved: 0 }),
      ],
    };
  },

  '/mod/threads/:id/lock': async () => {
    const threadId = await aThread();
    return threadCase(threadId, 'lock', {}, () => [onThread(threadId, 'thread.locked', { before: { locked: false }, after: { locked: true } })]);
  },
  '/mod/threads/:id/unlock': async () => {
    const threadId = await aThread();
    await done(`/mod/threads/${threadId}/lock`, await moderationForm(moderator.browser, threadId));
    return threadCase(threadId, 'unlock', {}, () => [onThread(threadId, 'thread.unlocked', { before: { locked: true }, after: { locked: false } })]);
  },
  '/mod/threads/:id/pin': async () => {
    const threadId = await aThread();
    return threadCase(threadId, 'pin', { scope: 'site' }, () => [onThread(threadId, 'thread.pinned', { before: { pinned: 'none' }, after: { pinned: 'site' } })]);
  },
  '/mod/threads/:id/unpin': async () => {
    const threadId = await aThread();
    await done(`/mod/threads/${threadId}/pin`, { ...(await moderationForm(moderator.browser, threadId)), scope: 'category' });
    return threadCase(threadId, 'unpin', {}, () => [onThread(threadId, 'thread.unpinned', { before: { pinned: 'category' }, after: { pinned: 'none' } })]);
  },
  '/mod/threads/:id/move': async () => {
    const { threadId, category } = await reply();
    const to = await createCategory(t.db);
    return threadCase(threadId, 'move', { category: to.slug }, () => [onThread(threadId, 'thread.moved', { before: { category: category.slug }, after: { category: to.slug } })]);
  },
  '/mod/threads/:id/rename': async () => {
    const threadId = await aThread();
    const { title } = await t.db.selectFrom('threads').select('title').where('id', '=', threadId).executeTakeFirstOrThrow();
    return threadCase(threadId, 'rename', { title: 'A clearer title for the thread' }, () => [onThread(threadId, 'thread.renamed', { before: { title }, after: { title: 'A clearer title for the thread' } })]);
  },
  '/mod/threads/:id/hide': async () => {
    const threadId = await aThread();
    return threadCase(threadId, 'hide', { reason: REASON }, () => [onThread(threadId, 'thread.hidden', { reason: REASON, before: { hidden: false }, after: { hidden: true } })]);
  },
  '/mod/threads/:id/unhide': async () => {
    const threadId = await aThread();
    await done(`/mod/threads/${threadId}/hide`, { ...(await moderationForm(moderator.browser, threadId)), reason: REASON });
    return threadCase(threadId, 'unhide', {}, () => [onThread(threadId, 'thread.unhidden', { before: { hidden: true, reason: REASON }, after: { hidden: false } })]);
  },
  '/mod/threads/:id/delete': async () => {
    const threadId = await aThread();
    return threadCase(threadId, 'delete', {}, () => [onThread(threadId, 'thread.deleted', { before: { deleted: false }, after: { deleted: true } })]);
  },
  '/mod/threads/:id/undelete': async () => {
    const threadId = await aThread();
    await done(`/mod/threads/${threadId}/delete`, await moderationForm(moderator.browser, threadId));
    return threadCase(threadId, 'undelete', {}, () => [onThread(threadId, 'thread.undeleted', { before: { deleted: true }, after: { deleted: false } })]);
  },
  '/mod/threads/:id/merge': async () => {
    const source = await reply();
    const target = await reply();
    const titleOf = async (id: number) => (await t.db.selectFrom('threads').select('title').where('id', '=', id).executeTakeFirstOrThrow()).title;
    const before = { thread: source.threadId, title: await titleOf(source.threadId), category: source.category.slug };
    const after = { thread: target.threadId, title: await titleOf(target.threadId) };
    return threadCase(source.threadId, 'merge', { into: String(target.threadId) }, () => [onThread(source.threadId, 'thread.merged', { before, after })]);
  },
  '/mod/threads/:id/split': async () => {
    const { threadId, replyId, category } = await reply();
    const title = 'A side conversation about archives';
    return threadCase(threadId, 'split', { posts: [String(replyId)], category: category.slug, title }, (response) => [
      onThread(threadId, 'thread.split', { before: { thread: threadId, posts: [replyId] }, after: { thread: Number(/^\/t\/(\d+)$/.exec(String(response.headers.location))![1]), title, category: category.slug } }),
    ]);
  },

  '/mod/members/:id/warn': async () => {
    const member = await createMember(t.db);
    return {
      url: `/mod/members/${member.id}/warn`,
      fields: { reason: REASON },
      refused: { fields: { reason: '' }, status: 422, message: M.memberReasonRequired },
      rows: async () => {
        const warning = await t.db.selectFrom('member_warnings').select('id').where('member_id', '=', member.id).executeTakeFirstOrThrow();
        return [onMember(member.id, 'member.warned', { reason: REASON, warningId: warning.id, before: { mustAcknowledge: false }, after: { mustAcknowledge: true } })];
      },
    };
  },
  '/mod/members/:id/suspend': async () => {
    const member = await createMember(t.db);
    return {
      url: `/mod/members/${member.id}/suspend`,
      fields: { until: daysAhead(10), reason: REASON },
      refused: { fields: { until: daysAhead(-1), reason: REASON }, status: 422, message: M.endDateNotFuture },
      rows: async () => [onMember(member.id, 'member.suspended', { reason: REASON, before: { suspendedUntil: null }, after: { suspendedUntil: await suspendedUntil(member.id) }, sessionsEnded: 0 })],
    };
  },
  '/mod/members/:id/unsuspend': async () => {
    const member = await createMember(t.db);
    await done(`/mod/members/${member.id}/suspend`, { until: daysAhead(10), reason: REASON });
    const until = await suspendedUntil(member.id);
    return { url: `/mod/members/${member.id}/unsuspend`, fields: button, refused: { ...withStrayField, message: PAGE_MESSAGES.unexpectedField }, rows: () => [onMember(member.id, 'member.unsuspended', { before: { suspendedUntil: until, reason: REASON }, after: { suspendedUntil: null } })] };
  },

  '/mod/approvals/members/:id/approve': async () => {
    const member = await awaitingMember();
    return {
      url: `/mod/approvals/members/${member.id}/approve`,
      fields: { reason: 'Welcome aboard.' },
      refused: { fields: { reason: OVERLONG }, status: 422 },
      rows: () => [onMember(member.id, 'member.approved', { reason: 'Welcome aboard.', before: { awaitingApproval: true }, after: { awaitingApproval: false } })],
    };
  },
  '/mod/approvals/members/:id/reject': async () => {
    const member = await awaitingMember();
    return {
      url: `/mod/approvals/members/${member.id}/reject`,
      fields: { reason: REASON },
      refused: { fields: { reason: ' ' }, status: 422, message: APPROVAL_MESSAGES.reasonRequired },
      rows: () => [onMember(member.id, 'member.rejected', { reason: REASON, before: { awaitingApproval: true, deactivated: false }, after: { awaitingApproval: false, deactivated: true }, sessionsEnded: 0 })],
    };
  },
  '/mod/approvals/posts/:id/approve': async () => {
    const postId = await heldReply();
    return { url: `/mod/approvals/posts/${postId}/approve`, fields: button, refused: { fields: { reason: 'A field this form has not.' }, status: 422 }, rows: () => [onPost(postId, 'post.approved', { before: { held: true }, after: { held: false } })] };
  },
  '/mod/approvals/posts/:id/reject': async () => {
    const postId = await heldReply();
    return {
      url: `/mod/approvals/posts/${postId}/reject`,
      fields: { reason: REASON },
      refused: { fields: { reason: '' }, status: 422, message: APPROVAL_MESSAGES.reasonRequired },
      rows: () => [onPost(postId, 'post.rejected', { reason: REASON, before: { deleted: false }, after: { deleted: true } })],
    };
  },
};

describe('the record of every /mod action', () => {
  it('has a driver for every POST route in the /mod scope, and no other', () => {
    const routes = t.app.routeInventory.filter((route) => route.method === 'POST' && route.url.startsWith('/mod/')).map((route) => route.url);
    expect(routes.length).toBeGreaterThan(20);
    expect([...new Set(routes)].sort()).toEqual(Object.keys(DRIVERS).sort());
  });

  for (const [route, drive] of Object.entries(DRIVERS)) {
    it(`POST ${route}: a refused form writes no audit row; the action writes exactly its rows, by the moderator, about the member, with before and after`, async () => {
      const action = await drive();
      const send = (fields: Record<string, string | string[]>) => moderator.browser.post(action.url, { ...fields, _csrf: moderator.csrf });

      const beforeRefusal = await lastAuditId();
      const refused = await send({ ...action.fields, ...action.refused.fields });
      expect(refused.statusCode, refused.body.slice(0, 300)).toBe(action.refused.status);
      if (action.refused.message) expect(refused.body).toContain(escapeLikeHandlebars(action.refused.message));
      expect(await auditAfter(beforeRefusal)).toEqual([]);

      const beforeAction = await lastAuditId();
      const response = await send(action.fields);
      expect(response.statusCode, response.body.slice(0, 300)).toBe(303);
      const written = await auditAfter(beforeAction);
      const expected = (await action.rows(response)).map((row) => ({ ...row, actor_member_id: moderator.member.id }));
      expect(written).toEqual(expected);
      for (const row of written) {
        expect(ACTION_NAMES[row.action], `${row.action} has a name on /mod/log`).toBeDefined();
        expect(row.details).toHaveProperty('before');
        expect(row.details).toHaveProperty('after');
      }
    });
  }

  it('refuses to change or delete the rows the actions wrote', async () => {
    const written = await t.db.selectFrom('audit_events').select(['id', 'action', 'details']).where('actor_member_id', '=', moderator.member.id).orderBy('id').execute();
    expect(written.length).toBeGreaterThanOrEqual(Object.keys(DRIVERS).length);
    const ids = written.map((row) => row.id);
    await expect(t.db.updateTable('audit_events').set({ action: 'post.unseen' }).where('id', 'in', ids).execute()).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(t.db.deleteFrom('audit_events').where('id', 'in', ids).execute()).rejects.toThrow(/append-only: DELETE refused/);
    expect(await t.db.selectFrom('audit_events').select(['id', 'action', 'details']).where('actor_member_id', '=', moderator.member.id).orderBy('id').execute()).toEqual(written);
  });
});
