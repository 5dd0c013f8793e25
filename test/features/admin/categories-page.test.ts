import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ADMIN_MESSAGES as M } from '../../../src/features/admin/messages.js';
import { LIBRARY_CATEGORY } from '../../../src/features/resources/sharing.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { latestAudit, useAdministratorSite } from '../../support/admin.js';
import { Browser } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { addReplies, createCategory, createThreads } from '../../support/forum-rows.js';
import { refusedLeaving } from '../../support/moderation.js';
import { escapeLikeHandlebars } from '../../support/resources.js';

const site = useAdministratorSite();
const LIST = '/admin/categories';

function unique(base: string): string {
  return `${base} ${randomBytes(3).toString('hex')}`;
}

/** Everything the category pages can write: equal before and after means nothing was. */
async function categoryState() {
  const { db } = site.t;
  return {
    categories: await db.selectFrom('categories').select(['id', 'slug', 'name', 'description', 'position', 'visible_to', 'threads_started_by', 'thread_count', 'post_count']).orderBy('id').execute(),
    threads: await db.selectFrom('threads').select(['id', 'category_id', 'version']).orderBy('id').execute(),
    watches: await db.selectFrom('category_watches').select(['member_id', 'category_id']).orderBy('member_id').orderBy('category_id').execute(),
    audit: Number((await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n),
  };
}

function refusedWritingNothing<R extends { statusCode: number; body: string }>(send: () => Promise<R>, status: number, message?: string): Promise<R> {
  return refusedLeaving(categoryState, send, status, message && escapeLikeHandlebars(message));
}

async function addForm(browser = site.admin.browser) {
  const { _csrf, form_token } = await browser.openForm(LIST);
  return { _csrf: _csrf!, form_token: form_token! };
}

function settings(fields: Record<string, string> = {}) {
  return { name: unique('Records keeping'), description: 'Keeping records of what agencies post.', visible_to: 'members', threads_started_by: 'members', ...fields };
}

async function add(fields: Record<string, string | undefined>, browser = site.admin.browser) {
  const body = Object.fromEntries(Object.entries({ ...(await addForm(browser)), slug: `records-${randomBytes(3).toString('hex')}`, ...settings(), ...fields }).filter(([, value]) => value !== undefined)) as Record<string, string>;
  return browser.post(LIST, body);
}

async function categoryBySlug(slug: string) {
  return site.t.db.selectFrom('categories').selectAll().where('slug', '=', slug).executeTakeFirst();
}

/** The categories' ids in the order members see them. */
async function order(): Promise<number[]> {
  return (await site.t.db.selectFrom('categories').select('id').orderBy('position').orderBy('id').execute()).map((row) => row.id);
}

/** A category's counts made from its rows, by what members may read: independent of discussions/queries/counts.ts. */
async function countsFromRows(categoryId: number) {
  const row = await sql<{ threads: string; posts: string }>`
    select count(*) as threads, coalesce(sum((select count(*) from posts p where p.thread_id = t.id and p.deleted_at is null and p.hidden_at is null and p.held_at is null)), 0) as posts
    from threads t
    where t.category_id = ${categoryId} and t.deleted_at is null and t.hidden_at is null
      and not exists (select from posts f where f.thread_id = t.id and f.position = 1 and f.held_at is not null)
  `.execute(site.t.db);
  return { thread_count: Number(row.rows[0]!.threads), post_count: Number(row.rows[0]!.posts) };
}

async function storedCounts(categoryId: number) {
  return site.t.db.selectFrom('categories').select(['thread_count', 'post_count']).where('id', '=', categoryId).executeTakeFirstOrThrow();
}

/** Stored counts made true to the rows, as the services keep them. */
async function settle(categoryId: number) {
  await site.t.db.updateTable('categories').set(await countsFromRows(categoryId)).where('id', '=', categoryId).execute();
}

describe('GET /admin/categories', () => {
  it('lists every category in order with its address, who may see it and start threads, its counts, and the moves it can make', async () => {
    const page = await site.admin.browser.get(LIST);
    expect(page.statusCode).toBe(200);
    const ids = await order();
    expect([...page.body.matchAll(/<tr>\s*<td><a href="\/admin\/categories\/(\d+)">/g)].map((m) => Number(m[1]))).toEqual(ids);
    const lounge = /<tr>\s*<td><a href="\/admin\/categories\/\d+"><bdi>Moderators’ lounge<\/bdi><\/a>[\s\S]*?<\/tr>/.exec(page.body)![0];
    expect(lounge).toContain('<span class="meta">/c/moderators</span>');
    expect(lounge).toContain('<td data-label="Who may see it">Moderators and administrators</td>');
    expect(lounge).toContain('<td data-label="Who may start threads">Moderators and administrators</td>');
    expect(lounge).toMatch(/<td data-label="Threads">\d+<\/td>\s*<td data-label="Posts">\d+<\/td>/);
    const first = /<tr>[\s\S]*?<\/tr>/.exec(page.body.slice(page.body.indexOf('<tbody>')))![0];
    expect(first).not.toContain('Move up');
    expect(first).toContain('<input type="hidden" name="position" value="2"><button type="submit" class="button--secondary">Move down');
  });
});

describe('POST /admin/categories (add)', () => {
  it('adds a category at the end, recorded against the administrator with what it is', async () => {
    const slug = `added-${randomBytes(3).toString('hex')}`;
    const fields = settings({ visible_to: 'moderators', threads_started_by: 'moderators' });
    const response = await add({ ...fields, slug, name: `  ${fields.name} ` });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(LIST);
    const category = (await categoryBySlug(slug))!;
    expect(category).toMatchObject({ name: fields.name, description: fields.description, visible_to: 'moderators', threads_started_by: 'moderators', thread_count: 0 });
    expect((await order()).at(-1)).toBe(category.id);
    expect(await latestAudit(site.t.db, 'category.added')).toMatchObject({
      actor_member_id: site.admin.member.id,
      ip_address: '127.0.0.1',
      target_id: String(category.id),
      details: { before: null, after: { name: fields.name, slug, description: fields.description, visibleTo: 'moderators', threadsStartedBy: 'moderators', position: category.position } },
    });
    expect((await site.admin.browser.get(LIST)).body).toContain(escapeLikeHandlebars(M.categoryAdded(fields.name)));
    // Members do not see it; its page answers staff.
    const { browser } = await memberWithBrowser(site.t.app, site.t.db);
    expect((await browser.get(`/c/${slug}`)).statusCode).toBe(404);
    expect((await site.admin.browser.get(`/c/${slug}`)).statusCode).toBe(200);
  });

  it('keeps hostile text as text: stored as typed, shown escaped', async () => {
    const slug = `hostile-${randomBytes(3).toString('hex')}`;
    const name = unique('<script>alert(1)</script>');
    expect((await add({ slug, name, description: '<img src=x onerror=alert(1)>' })).statusCode).toBe(303);
    expect((await categoryBySlug(slug))!.name).toBe(name);
    const page = await site.admin.browser.get(LIST);
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).not.toContain('<img src=x');
    expect(page.body).toContain(escapeLikeHandlebars(name));
  });

  it.each([
    ['no name', { name: undefined }, 'name', M.categoryNameRequired],
    ['a blank name', { name: ' \u200B ' }, 'name', M.categoryNameRequired],
    ['a name of 81 characters', { name: 'x'.repeat(81) }, 'name', 'Name must be at most 80 characters (it is 81)'],
    ['a name with a NUL', { name: 'Records\u0000' }, 'name', 'Name must not contain NUL characters'],
    ['a name with a right-to-left override', { name: 'Records \u202Eevil' }, 'name', M.categoryNameControls],
    ['no address', { slug: undefined }, 'slug', M.categorySlugRequired],
    ['an address with capitals and spaces', { slug: 'Records keeping' }, 'slug', M.categorySlugPattern],
    ['an address with a trailing hyphen', { slug: 'records-' }, 'slug', M.categorySlugPattern],
    ['an address of 61 characters', { slug: 'a'.repeat(61) }, 'slug', 'Address must be at most 60 characters (it is 61)'],
    ['a description of 501 characters', { description: 'x'.repeat(501) }, 'description', 'Description must be at most 500 characters (it is 501)'],
    ['a description with a NUL', { description: 'x\u0000' }, 'description', 'Description must not contain NUL characters'],
    ['no audience', { visible_to: undefined }, 'visible_to', M.visibleToMissing],
    ['an unknown audience', { visible_to: 'everyone' }, 'visible_to', M.visibleToMissing],
    ['members starting threads where only staff see', { visible_to: 'moderators', threads_started_by: 'members' }, 'threads_started_by', M.startersMustSeeIt],
    ['a field the form does not have', { position: '1' }, '_form', PAGE_MESSAGES.unexpectedField],
  ])('refuses %s with 422 and the message by the field, writing nothing', async (_label, fields, field, message) => {
    const response = await refusedWritingNothing(() => add(fields), 422, message);
    if (field !== '_form') expect(response.body).toContain(`id="error-${field}"`);
    expect(response.body).not.toContain('\u0000');
  });

  it('refuses an address or a name (in any case) another category has, writing nothing', async () => {
    await refusedWritingNothing(() => add({ slug: 'questions' }), 422, M.categorySlugTaken('questions'));
    const response = await refusedWritingNothing(() => add({ name: 'QUESTIONS AND ANSWERS' }), 422, M.categoryNameTaken('QUESTIONS AND ANSWERS'));
    expect(response.body).toContain('value="QUESTIONS AND ANSWERS"');
  });

  it('adds once when the same form is sent twice, one after the other or at the same moment; the second finds it done', async () => {
    for (const together of [false, true]) {
      const slug = `twice-${randomBytes(3).toString('hex')}`;
      const body = { ...(await addForm()), slug, ...settings() };
      const responses = together ? await Promise.all([site.admin.browser.post(LIST, body), site.admin.browser.post(LIST, body)]) : [await site.admin.browser.post(LIST, body), await site.admin.browser.post(LIST, body)];
      expect(responses.map((r) => r.statusCode)).toEqual([303, 303]);
      const category = (await categoryBySlug(slug))!;
      const audits = await site.t.db.selectFrom('audit_events').select('id').where('target_type', '=', 'category').where('target_id', '=', String(category.id)).execute();
      expect(audits).toHaveLength(1);
    }
    const body = { ...(await addForm()), slug: `again-${randomBytes(3).toString('hex')}`, ...settings() };
    expect((await site.admin.browser.post(LIST, body)).statusCode).toBe(303);
    await refusedWritingNothing(() => site.admin.browser.post(LIST, body), 303);
    expect((await site.admin.browser.get(LIST)).body).toContain(escapeLikeHandlebars(M.categoryAlreadyAdded(body.name)));
  });

  it('refuses a form without its CSRF token, a member, a moderator and a signed-out visitor, writing nothing', async () => {
    const { form_token } = await addForm();
    await refusedWritingNothing(() => site.admin.browser.post(LIST, { form_token, slug: 'no-token', ...settings() }), 403);
    for (const role of ['member', 'moderator'] as const) {
      const { browser } = await memberWithBrowser(site.t.app, site.t.db, { role });
      const token = (await browser.openForm('/settings'))._csrf!;
      await refusedWritingNothing(() => browser.post(LIST, { _csrf: token, form_token, slug: `by-${role}`, ...settings() }), 403, PAGE_MESSAGES.administratorsOnly);
    }
    const visitor = new Browser(site.t.app);
    await visitor.get('/contact');
    await refusedWritingNothing(() => visitor.post(LIST, { _csrf: '', form_token, slug: 'by-visitor', ...settings() }), 403);
  });
});

describe('GET and POST /admin/categories/:id (edit)', () => {
  it('renames, redescribes and closes a category to members, with before and after; the same form again writes nothing', async () => {
    const category = await createCategory(site.t.db);
    const url = `${LIST}/${category.id}`;
    expect((await site.admin.browser.get(url)).body).toContain(`value="${escapeLikeHandlebars(category.name)}"`);
    const name = unique('Staff room');
    const fields = { _csrf: site.csrf, name, description: 'For staff.', visible_to: 'moderators', threads_started_by: 'moderators' };
    const response = await site.admin.browser.post(url, fields);
    expect(response.statusCode).toBe(303);
    expect(await categoryBySlug(category.slug)).toMatchObject({ name, description: 'For staff.', visible_to: 'moderators', threads_started_by: 'moderators' });
    expect(await latestAudit(site.t.db, 'category.changed')).toMatchObject({
      actor_member_id: site.admin.member.id,
      target_id: String(category.id),
      details: { slug: category.slug, before: { name: category.name, description: '', visibleTo: 'members', threadsStartedBy: 'members' }, after: { name, description: 'For staff.', visibleTo: 'moderators', threadsStartedBy: 'moderators' } },
    });
    await refusedWritingNothing(() => site.admin.browser.post(url, fields), 303);
    expect((await site.admin.browser.get(LIST)).body).toContain(escapeLikeHandlebars(M.categoryUnchanged(name)));
  });

  it('refuses to hide the resource library from members, a taken name, bad input and no token, writing nothing', async () => {
    const library = (await categoryBySlug(LIBRARY_CATEGORY))!;
    const url = `${LIST}/${library.id}`;
    const page = await site.admin.browser.get(url);
    expect(page.body).not.toContain(`action="${url}/remove"`);
    const fields = { _csrf: site.csrf, name: library.name, description: library.description, visible_to: 'members', threads_started_by: 'members' };
    await refusedWritingNothing(() => site.admin.browser.post(url, { ...fields, visible_to: 'moderators', threads_started_by: 'moderators' }), 422, M.libraryForMembers);
    await refusedWritingNothing(() => site.admin.browser.post(url, { ...fields, name: 'introductions' }), 422, M.categoryNameTaken('introductions'));
    await refusedWritingNothing(() => site.admin.browser.post(url, { ...fields, name: 'y'.repeat(81) }), 422, 'Name must be at most 80 characters (it is 81)');
    await refusedWritingNothing(() => site.admin.browser.post(url, { ...fields, slug: 'renamed' }), 422, PAGE_MESSAGES.unexpectedField);
    const { _csrf: _, ...withoutToken } = fields;
    await refusedWritingNothing(() => site.admin.browser.post(url, withoutToken), 403);
  });

  it.each(['999999999', '9223372036854775808', '99999999999999999999', '1.5', '-1', 'abc'])('answers 404 for the category %s, writing nothing', async (id) => {
    expect((await site.admin.browser.get(`${LIST}/${id}`)).statusCode).toBe(404);
    await refusedWritingNothing(() => site.admin.browser.post(`${LIST}/${id}`, { _csrf: site.csrf, ...settings() }), 404);
    await refusedWritingNothing(() => site.admin.browser.post(`${LIST}/${id}/position`, { _csrf: site.csrf, position: '1' }), 404);
    await refusedWritingNothing(() => site.admin.browser.post(`${LIST}/${id}/remove`, { _csrf: site.csrf, move_to: '' }), 404);
  });
});

describe('POST /admin/categories/:id/position', () => {
  it('moves a category up, closing up the list, with the positions before and after; the same button again moves nothing', async () => {
    const before = await order();
    const moving = before.at(-1)!;
    const target = before.length - 1;
    const response = await site.admin.browser.post(`${LIST}/${moving}/position`, { _csrf: site.csrf, position: String(target) });
    expect(response.statusCode).toBe(303);
    const after = await order();
    expect(after).toEqual([...before.slice(0, -2), moving, before.at(-2)!]);
    const positions = await site.t.db.selectFrom('categories').select('position').orderBy('position').execute();
    expect(positions.map((row) => row.position)).toEqual(after.map((_, index) => index + 1));
    expect(await latestAudit(site.t.db, 'category.moved')).toMatchObject({ target_id: String(moving), details: { before: { position: before.length }, after: { position: target } } });
    await refusedWritingNothing(() => site.admin.browser.post(`${LIST}/${moving}/position`, { _csrf: site.csrf, position: String(target) }), 303);
  });

  it('refuses a place past the end or not a place, writing nothing', async () => {
    const listed = await order();
    const first = listed[0];
    await refusedWritingNothing(() => site.admin.browser.post(`${LIST}/${first}/position`, { _csrf: site.csrf, position: '999' }), 422, M.positionBeyondList(listed.length));
    await refusedWritingNothing(() => site.admin.browser.post(`${LIST}/${first}/position`, { _csrf: site.csrf, position: '0' }), 422, M.badPosition);
    await refusedWritingNothing(() => site.admin.browser.post(`${LIST}/${first}/position`, { position: '2' }), 403);
  });
});

describe('POST /admin/categories/:id/remove', () => {
  it('removes a category with no threads, and its watches; a second press finds it done and writes nothing', async () => {
    const category = await createCategory(site.t.db);
    await site.t.db.insertInto('category_watches').values({ member_id: site.admin.member.id, category_id: category.id }).execute();
    const page = await site.admin.browser.get(`${LIST}/${category.id}`);
    expect(page.body).toContain('It holds no threads.');
    expect(page.body).not.toContain('name="move_to"');
    const response = await site.admin.browser.post(`${LIST}/${category.id}/remove`, { _csrf: site.csrf });
    expect(response.statusCode).toBe(303);
    expect(await categoryBySlug(category.slug)).toBeUndefined();
    expect(await site.t.db.selectFrom('category_watches').select('member_id').where('category_id', '=', category.id).execute()).toEqual([]);
    expect(await latestAudit(site.t.db, 'category.removed')).toMatchObject({ target_id: String(category.id), details: { before: { slug: category.slug, name: category.name }, after: null, threadsMoved: 0, movedTo: null } });
    expect((await site.admin.browser.get(LIST)).body).toContain(escapeLikeHandlebars(M.categoryRemoved(category.name, 0, null)));
    await refusedWritingNothing(() => site.admin.browser.post(`${LIST}/${category.id}/remove`, { _csrf: site.csrf }), 303);
    expect((await site.admin.browser.get(LIST)).body).toContain(escapeLikeHandlebars(M.categoryAlreadyRemoved));
  });

  it('moves every thread of a category it removes, in one go, leaving both categories’ counts true to their rows', async () => {
    const author = site.admin.member.id;
    const from = await createCategory(site.t.db);
    const into = await createCategory(site.t.db);
    const [plain, withHiddenReply, hidden, deleted] = await createThreads(site.t.db, from.id, author, 4);
    await addReplies(site.t.db, plain!, author, 2);
    const [hiddenReply] = await addReplies(site.t.db, withHiddenReply!, author, 2);
    await site.t.db.updateTable('posts').set({ hidden_at: sql`now()` }).where('id', '=', hiddenReply!).execute();
    await site.t.db.updateTable('threads').set({ hidden_at: sql`now()` }).where('id', '=', hidden!).execute();
    await site.t.db.updateTable('threads').set({ deleted_at: sql`now()` }).where('id', '=', deleted!).execute();
    const [staying] = await createThreads(site.t.db, into.id, author, 1);
    await addReplies(site.t.db, staying!, author, 1);
    await settle(from.id);
    await settle(into.id);
    expect(await storedCounts(from.id)).toEqual({ thread_count: 2, post_count: 5 });
    const moved = [plain!, withHiddenReply!, hidden!, deleted!];
    const versions = await site.t.db.selectFrom('threads').select(['id', 'version']).where('id', 'in', moved).orderBy('id').execute();

    const page = await site.admin.browser.get(`${LIST}/${from.id}`);
    expect(page.body).toContain(`It holds ${M.threadsHeld(4)}`);
    expect(page.body).toContain(M.categoryCounts(2, 5));
    expect(page.body).toContain(`<option value="${into.id}">${escapeLikeHandlebars(into.name)}</option>`);
    expect(page.body).not.toContain(`<option value="${from.id}">`);
    const response = await site.admin.browser.post(`${LIST}/${from.id}/remove`, { _csrf: site.csrf, move_to: String(into.id) });
    expect(response.statusCode).toBe(303);

    expect(await categoryBySlug(from.slug)).toBeUndefined();
    const threads = await site.t.db.selectFrom('threads').select(['id', 'category_id', 'version']).where('id', 'in', moved).orderBy('id').execute();
    expect(threads).toEqual(versions.map((row) => ({ id: row.id, category_id: into.id, version: row.version + 1 })));
    expect(await storedCounts(into.id)).toEqual(await countsFromRows(into.id));
    expect(await storedCounts(into.id)).toEqual({ thread_count: 3, post_count: 7 });
    expect(await latestAudit(site.t.db, 'category.removed')).toMatchObject({
      actor_member_id: site.admin.member.id,
      target_id: String(from.id),
      details: { before: { slug: from.slug, name: from.name, visibleTo: 'members' }, after: null, threadsMoved: 4, movedTo: { id: into.id, slug: into.slug, name: into.name } },
    });
    expect((await site.admin.browser.get(LIST)).body).toContain(escapeLikeHandlebars(M.categoryRemoved(from.name, 4, into.name)));
  });

  it('asks where the threads go, and refuses the category itself, one that does not exist and one that is not an id, writing nothing', async () => {
    const from = await createCategory(site.t.db);
    await createThreads(site.t.db, from.id, site.admin.member.id, 2);
    const url = `${LIST}/${from.id}/remove`;
    const response = await refusedWritingNothing(() => site.admin.browser.post(url, { _csrf: site.csrf }), 422, M.moveTargetNeeded(2));
    expect(response.body).toContain('name="move_to"');
    await refusedWritingNothing(() => site.admin.browser.post(url, { _csrf: site.csrf, move_to: '' }), 422, M.moveTargetNeeded(2));
    await refusedWritingNothing(() => site.admin.browser.post(url, { _csrf: site.csrf, move_to: String(from.id) }), 422, M.moveIntoItself);
    await refusedWritingNothing(() => site.admin.browser.post(url, { _csrf: site.csrf, move_to: '999999999' }), 422, M.moveTargetGone);
    await refusedWritingNothing(() => site.admin.browser.post(url, { _csrf: site.csrf, move_to: '99999999999999999999' }), 422, M.moveTargetUnknown);
    await refusedWritingNothing(() => site.admin.browser.post(url, { _csrf: site.csrf, move_to: 'questions' }), 422, M.moveTargetUnknown);
    await refusedWritingNothing(() => site.admin.browser.post(url, { move_to: '' }), 403);
  });

  it('refuses to remove the resource library’s category, writing nothing', async () => {
    const library = (await categoryBySlug(LIBRARY_CATEGORY))!;
    const [questions] = await site.t.db.selectFrom('categories').select('id').where('slug', '=', 'questions').execute();
    await refusedWritingNothing(() => site.admin.browser.post(`${LIST}/${library.id}/remove`, { _csrf: site.csrf, move_to: String(questions!.id) }), 422, M.libraryKept);
  });
});
