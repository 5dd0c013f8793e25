import { randomUUID } from 'node:crypto';
import Handlebars from 'handlebars';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_MESSAGES as M } from '../../../src/features/admin/messages.js';
import { RENDERER_VERSION } from '../../../src/lib/markdown.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { createThreads } from '../../support/forum-rows.js';

const escape = (text: string) => Handlebars.escapeExpression(text);
const LIST = '/admin/initiative-types';

let t: TestApp;
let admin: Awaited<ReturnType<typeof memberWithBrowser>>;
beforeAll(async () => {
  t = await buildTestApp();
  admin = await memberWithBrowser(t.app, t.db, { role: 'administrator' });
});
afterAll(async () => t.close());

/** The types in the order members see them. */
async function types() {
  return t.db.selectFrom('initiative_types').select(['id', 'slug', 'name']).orderBy('position').orderBy(sql`lower(name)`).orderBy('id').execute();
}

async function typeNamed(name: string) {
  return t.db.selectFrom('initiative_types').select(['id', 'slug', 'name', 'position']).where('name', '=', name).executeTakeFirstOrThrow();
}

async function auditFor(id: number) {
  return t.db
    .selectFrom('audit_events')
    .select(['action', 'actor_member_id', 'ip_address', 'details'])
    .where('target_type', '=', 'initiative_type')
    .where('target_id', '=', String(id))
    .orderBy('id')
    .execute();
}

/** What a refused request must leave alone: the types and their audit rows (signing in writes others). */
async function snapshot() {
  const audit = await t.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('target_type', '=', 'initiative_type').executeTakeFirstOrThrow();
  return { types: await t.db.selectFrom('initiative_types').select(['id', 'slug', 'name', 'position']).orderBy('id').execute(), audit: Number(audit.n) };
}

/** The add form's hidden fields, as a browser would send them. */
async function addForm(browser = admin.browser): Promise<{ _csrf: string; form_token: string }> {
  const { _csrf, form_token } = await browser.openForm(LIST);
  return { _csrf: _csrf!, form_token: form_token! };
}

async function add(name: string | undefined, browser = admin.browser) {
  return browser.post(LIST, { ...(await addForm(browser)), ...(name === undefined ? {} : { name }) });
}

/** A POST to one of the page's forms (rename, move, remove) with the browser's token. */
async function press(path: string, fields: Record<string, string> = {}, browser = admin.browser) {
  const { _csrf } = await browser.openForm(LIST);
  return browser.post(path, { _csrf: _csrf!, ...fields });
}

/** A resource tagged with the type, made straight in the database (the resources feature posts them). */
async function tagResource(typeId: number): Promise<void> {
  const category = await t.db.selectFrom('categories').select('id').where('slug', '=', 'resource-library').executeTakeFirstOrThrow();
  const [threadId] = await createThreads(t.db, category.id, admin.member.id, 1);
  const resource = await t.db
    .insertInto('resources')
    .values({ kind: 'guide', title: 'A guide', summary: 'What it covers.', renderer_version: RENDERER_VERSION, sharer_id: admin.member.id, thread_id: threadId!, form_token: randomUUID() })
    .returning('id')
    .executeTakeFirstOrThrow();
  await t.db.insertInto('resource_initiative_types').values({ resource_id: resource.id, initiative_type_id: typeId }).execute();
}

/** The table row that names the type. */
function rowOf(page: string, name: string): string {
  const row = new RegExp(`<tr>\\s*<td><bdi>${escape(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</bdi></td>[\\s\\S]*?</tr>`).exec(page)?.[0];
  if (!row) throw new Error(`no row for ${name}`);
  return row;
}

describe('GET /admin/initiative-types', () => {
  it('lists the types in order with their slugs and resource counts, and offers only the moves and removals that can be made', async () => {
    const used = await typeNamed('Staff capability');
    await tagResource(used.id);
    const page = await admin.browser.get(LIST);
    expect(page.statusCode).toBe(200);
    const names = (await types()).map((type) => type.name);
    expect([...page.body.matchAll(/<tr>\s*<td><bdi>([^<]*)<\/bdi><\/td>/g)].map((m) => m[1])).toEqual(names.map(escape));
    const first = rowOf(page.body, names[0]!);
    expect(first).not.toContain('Move up');
    expect(first).toContain('<input type="hidden" name="position" value="2"><button type="submit" class="button--secondary">Move down');
    expect(rowOf(page.body, names.at(-1)!)).not.toContain('Move down');
    const usedRow = rowOf(page.body, 'Staff capability');
    expect(usedRow).toContain('<td data-label="In links"><code>staff-capability</code></td>');
    expect(usedRow).toContain('<td data-label="Resources">1</td>');
    expect(usedRow).not.toContain('Remove');
    expect(rowOf(page.body, 'Service delivery')).toContain('Remove<span class="visually-hidden"> “Service delivery”</span>');
  });
});

describe('POST /admin/initiative-types (add)', () => {
  it('adds a type at the end with a slug made from its name, recorded against the administrator', async () => {
    const response = await add('  Grants & funding – Ōtautahi ');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(LIST);
    const type = await typeNamed('Grants & funding – Ōtautahi');
    expect(type.slug).toBe('grants-funding-otautahi');
    expect((await types()).at(-1)!.id).toBe(type.id);
    expect(await auditFor(type.id)).toEqual([
      { action: 'initiative_type.added', actor_member_id: admin.member.id, ip_address: '127.0.0.1', details: expect.objectContaining({ name: 'Grants & funding – Ōtautahi', slug: 'grants-funding-otautahi' }) },
    ]);
    expect((await admin.browser.get(LIST)).body).toContain(escape(M.initiativeTypeAdded('Grants & funding – Ōtautahi')));
  });

  it('gives a name whose slug is taken the next free one, and a name with no Latin letters a plain one', async () => {
    const renamed = await typeNamed('Data and reporting');
    await t.db.updateTable('initiative_types').set({ name: 'Evidence and reporting' }).where('id', '=', renamed.id).execute();
    expect((await add('Data and reporting')).statusCode).toBe(303);
    expect((await typeNamed('Data and reporting')).slug).toBe('data-and-reporting-2');
    expect((await add('数据')).statusCode).toBe(303);
    expect((await typeNamed('数据')).slug).toBe('initiative');
  });

  it('refuses a name another type has, in any case, with a clear message', async () => {
    const before = await snapshot();
    const response = await add('SERVICE DELIVERY');
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(escape(M.initiativeTypeNameTaken('SERVICE DELIVERY')));
    expect(response.body).toContain('value="SERVICE DELIVERY"');
    expect(await snapshot()).toEqual(before);
  });

  it('adds once when the same form is sent twice, one after the other or at the same moment', async () => {
    for (const [name, together] of [['Procurement', false], ['Risk and assurance', true]] as const) {
      const fields = { ...(await addForm()), name };
      const responses = together ? await Promise.all([admin.browser.post(LIST, fields), admin.browser.post(LIST, fields)]) : [await admin.browser.post(LIST, fields), await admin.browser.post(LIST, fields)];
      expect(responses.map((r) => [r.statusCode, r.headers.location]), name).toEqual([
        [303, LIST],
        [303, LIST],
      ]);
      const type = await typeNamed(name);
      expect(await t.db.selectFrom('initiative_types').select('id').where('name', '=', name).execute()).toHaveLength(1);
      expect(await auditFor(type.id)).toHaveLength(1);
    }
  });

  it.each([
    ['no name field', undefined, 'Enter a name for the initiative type'],
    ['a blank name', ' \u200B ', 'Enter a name for the initiative type'],
    ['a name of 81 characters', 'x'.repeat(81), 'Name must be at most 80 characters (it is 81)'],
    ['a NUL byte', 'Policy\u0000', 'Name must not contain NUL characters'],
    ['a line break', 'Policy\nreform', 'Name must be on one line'],
    ['a tab', 'Policy\treform', M.initiativeTypeNameControls],
    ['a right-to-left override', 'Policy \u202Emrofer', M.initiativeTypeNameControls],
  ])('refuses %s with 422 and the message by the field, writing nothing', async (_case, name, message) => {
    const before = await snapshot();
    const response = await add(name);
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(`<p class="field__error" id="error-name"><span class="visually-hidden">Error:</span> ${escape(message)}</p>`);
    expect(response.body).not.toContain('\u0000');
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a form without its token or with a field it does not have', async () => {
    const before = await snapshot();
    const { _csrf } = await addForm();
    expect((await admin.browser.post(LIST, { _csrf, name: 'No token' })).statusCode).toBe(422);
    const extra = await admin.browser.post(LIST, { ...(await addForm()), name: 'Extra', position: '1' });
    expect(extra.statusCode).toBe(422);
    expect(extra.body).toContain(PAGE_MESSAGES.unexpectedField);
    expect(await snapshot()).toEqual(before);
  });

  it('keeps a name with a script tag or SQL in it as text, shown escaped', async () => {
    for (const name of ['<script>alert(1)</script>', "x'); drop table initiative_types; --"]) {
      expect((await add(name)).statusCode, name).toBe(303);
      expect((await typeNamed(name)).name).toBe(name);
    }
    const page = await admin.browser.get(LIST);
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect((await typeNamed('<script>alert(1)</script>')).slug).toBe('script-alert-1-script');
  });
});

describe('GET and POST /admin/initiative-types/:id (rename)', () => {
  it('renames a type, keeping its slug, and records the name before and after; the same name again changes nothing', async () => {
    const type = await typeNamed('Digital transformation');
    expect((await admin.browser.get(`${LIST}/${type.id}`)).body).toContain('value="Digital transformation"');
    const response = await press(`${LIST}/${type.id}`, { name: 'Digital government' });
    expect(response.statusCode).toBe(303);
    expect(await typeNamed('Digital government')).toMatchObject({ id: type.id, slug: 'digital-transformation' });
    expect(await auditFor(type.id)).toEqual([{ action: 'initiative_type.renamed', actor_member_id: admin.member.id, ip_address: '127.0.0.1', details: { before: { name: 'Digital transformation' }, after: { name: 'Digital government' } } }]);
    expect((await press(`${LIST}/${type.id}`, { name: 'Digital government' })).statusCode).toBe(303);
    expect((await admin.browser.get(LIST)).body).toContain(escape(M.initiativeTypeUnchanged('Digital government')));
    expect(await auditFor(type.id)).toHaveLength(1);
  });

  it("lets a type change its own name's case but refuses another type's name", async () => {
    const type = await typeNamed('Engagement and communication');
    expect((await press(`${LIST}/${type.id}`, { name: 'Engagement and Communication' })).statusCode).toBe(303);
    const before = await snapshot();
    const refused = await press(`${LIST}/${type.id}`, { name: 'service delivery' });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain(escape(M.initiativeTypeNameTaken('service delivery')));
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['an empty name', '', 'Enter a name for the initiative type'],
    ['an overlong name', 'y'.repeat(200), 'Name must be at most 80 characters (it is 200)'],
    ['a NUL byte', '\u0000', 'Name must not contain NUL characters'],
  ])('refuses %s with 422, changing nothing', async (_case, name, message) => {
    const type = await typeNamed('Service delivery');
    const before = await snapshot();
    const response = await press(`${LIST}/${type.id}`, { name });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(escape(message));
    expect(await snapshot()).toEqual(before);
  });

  it('answers 404 for a type that does not exist', async () => {
    const before = await snapshot();
    for (const id of ['999999999', 'abc', '0']) {
      expect((await admin.browser.get(`${LIST}/${id}`)).statusCode, id).toBe(404);
      expect((await press(`${LIST}/${id}`, { name: 'Anything' })).statusCode, id).toBe(404);
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('POST /admin/initiative-types/:id/position (reorder)', () => {
  it('moves a type to the place its button names, recorded with both places; pressing it twice moves it once', async () => {
    const [first, second] = await types();
    const response = await press(`${LIST}/${first!.id}/position`, { position: '2' });
    expect(response.statusCode).toBe(303);
    expect((await types()).slice(0, 2).map((type) => type.id)).toEqual([second!.id, first!.id]);
    expect((await press(`${LIST}/${first!.id}/position`, { position: '2' })).statusCode).toBe(303);
    expect((await types()).slice(0, 2).map((type) => type.id)).toEqual([second!.id, first!.id]);
    expect(await auditFor(first!.id)).toEqual([
      expect.objectContaining({ action: 'initiative_type.moved', actor_member_id: admin.member.id, details: { name: first!.name, before: { position: 1 }, after: { position: 2 } } }),
    ]);
    expect((await press(`${LIST}/${first!.id}/position`, { position: '1' })).statusCode).toBe(303);
    expect((await types())[0]!.id).toBe(first!.id);
  });

  it.each([['0'], ['-1'], ['abc'], ['1e3'], ['9999'], ['2; drop table initiative_types'], ['']])('refuses position %j with 422, moving nothing', async (position) => {
    const type = (await types())[0]!;
    const before = await snapshot();
    const response = await press(`${LIST}/${type.id}/position`, { position });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(escape(M.badPosition));
    expect(await snapshot()).toEqual(before);
  });

  it('answers 404 for a type that does not exist', async () => {
    expect((await press(`${LIST}/999999999/position`, { position: '1' })).statusCode).toBe(404);
  });
});

describe('POST /admin/initiative-types/:id/remove', () => {
  it('removes a type no resource uses, recorded; a second press says it is gone, and an unknown id is 404', async () => {
    expect((await add('Short-lived')).statusCode).toBe(303);
    const type = await typeNamed('Short-lived');
    const response = await press(`${LIST}/${type.id}/remove`);
    expect(response.statusCode).toBe(303);
    expect(await t.db.selectFrom('initiative_types').select('id').where('id', '=', type.id).executeTakeFirst()).toBeUndefined();
    expect((await auditFor(type.id)).map((row) => [row.action, row.details])).toEqual([
      ['initiative_type.added', expect.anything()],
      ['initiative_type.removed', { name: 'Short-lived', slug: 'short-lived' }],
    ]);
    expect((await admin.browser.get(LIST)).body).toContain(escape(M.initiativeTypeRemoved('Short-lived')));
    const again = await press(`${LIST}/${type.id}/remove`);
    expect(again.statusCode).toBe(303);
    expect((await admin.browser.get(LIST)).body).toContain(M.initiativeTypeAlreadyRemoved);
    expect(await auditFor(type.id)).toHaveLength(2);
    expect((await press(`${LIST}/999999999/remove`)).statusCode).toBe(404);
  });

  it('refuses to remove a type that resources use, saying why, and keeps it', async () => {
    const type = await typeNamed('Corporate and back-office');
    await tagResource(type.id);
    await tagResource(type.id);
    const before = await snapshot();
    const response = await press(`${LIST}/${type.id}/remove`);
    expect(response.statusCode).toBe(409);
    expect(response.body).toContain(escape(M.initiativeTypeInUse('Corporate and back-office', 2)));
    expect(await snapshot()).toEqual(before);
  });
});

describe('who may', () => {
  it('refuses a member and a moderator every page and form with 403, and sends a visitor to sign in, changing nothing', async () => {
    const type = (await types())[0]!;
    const before = await snapshot();
    for (const role of ['member', 'moderator'] as const) {
      const { browser } = await memberWithBrowser(t.app, t.db, { role });
      expect((await browser.get(LIST)).statusCode).toBe(403);
      expect((await browser.get(`${LIST}/${type.id}`)).statusCode).toBe(403);
      const { _csrf } = await browser.openForm('/settings');
      for (const [path, fields] of [
        [LIST, { form_token: randomUUID(), name: 'Sneaked in' }],
        [`${LIST}/${type.id}`, { name: 'Sneaked in' }],
        [`${LIST}/${type.id}/position`, { position: '3' }],
        [`${LIST}/${type.id}/remove`, {}],
      ] as const) {
        const response = await browser.post(path, { _csrf: _csrf!, ...fields });
        expect(response.statusCode, `${role} ${path}`).toBe(403);
        expect(response.body).toContain(PAGE_MESSAGES.administratorsOnly);
      }
    }
    const visitor = new Browser(t.app);
    const page = await visitor.get(LIST);
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe(`/login?next=${encodeURIComponent(LIST)}`);
    expect(await snapshot()).toEqual(before);
  });
});
