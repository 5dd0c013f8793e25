import Handlebars from 'handlebars';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_MESSAGES as M } from '../../../src/features/admin/messages.js';
import { AGENCIES_PER_PAGE } from '../../../src/features/admin/schemas.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { Browser, buildTestApp, countRows, type TestApp } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { createAgency, createMember } from '../../support/members.js';

const escape = (text: string) => Handlebars.escapeExpression(text);

let t: TestApp;
let admin: Awaited<ReturnType<typeof memberWithBrowser>>;
beforeAll(async () => {
  t = await buildTestApp();
  admin = await memberWithBrowser(t.app, t.db, { role: 'administrator' });
});
afterAll(async () => t.close());

async function agencyRow(id: number) {
  return t.db.selectFrom('agencies').select(['name', 'jurisdiction', 'agency_type']).where('id', '=', id).executeTakeFirstOrThrow();
}

async function auditFor(id: number) {
  return t.db
    .selectFrom('audit_events')
    .select(['action', 'actor_member_id', 'actor_label', 'ip_address', 'details'])
    .where('target_type', '=', 'agency')
    .where('target_id', '=', String(id))
    .orderBy('id')
    .execute();
}

/** Posts the agency's form as the browser, with its own token. */
async function submit(id: number, fields: Record<string, string | string[]>, browser = admin.browser) {
  const { _csrf } = await browser.openForm('/admin/agencies');
  return browser.post(`/admin/agencies/${id}`, { _csrf: _csrf!, ...fields });
}

/** The table row that links to the agency. */
function rowOf(page: string, id: number): string {
  const row = new RegExp(`<tr>(?:(?!</tr>)[\\s\\S])*href="/admin/agencies/${id}"[\\s\\S]*?</tr>`).exec(page)?.[0];
  if (!row) throw new Error(`no row for agency ${id}`);
  return row;
}

describe('GET /admin', () => {
  it('links an administrator to the agencies and the initiative types, and the header links there for administrators only', async () => {
    const page = await admin.browser.get('/admin');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('href="/admin/agencies"');
    expect(page.body).toContain('href="/admin/initiative-types"');
    expect(page.body).toMatch(/<a href="\/admin" aria-current="page">Admin<\/a>/);
    for (const role of ['member', 'moderator'] as const) {
      const { browser } = await memberWithBrowser(t.app, t.db, { role });
      const home = await browser.get('/settings');
      expect(home.statusCode).toBe(200);
      expect(home.body).not.toContain('href="/admin"');
    }
  });
});

describe('GET /admin/agencies', () => {
  it('lists agencies by name with jurisdiction, type, member count and a provisional marker', async () => {
    const mapped = await createAgency(t.db, { name: 'Aaa Listed Regulator', jurisdiction: 'state' });
    await t.db.updateTable('agencies').set({ agency_type: 'regulator' }).where('id', '=', mapped.id).execute();
    await createMember(t.db, { agency: mapped });
    await createMember(t.db, { agency: mapped, deactivated: true });
    const provisional = await createAgency(t.db, { name: 'aaa-unmapped.gov.au', provisional: true });

    const page = await admin.browser.get('/admin/agencies');
    expect(page.statusCode).toBe(200);
    const row = rowOf(page.body, mapped.id);
    expect(row).toContain('<bdi>Aaa Listed Regulator</bdi>');
    expect(row).toContain('<td data-label="Jurisdiction">State</td>');
    expect(row).toContain('<td data-label="Type">Regulator</td>');
    expect(row).toContain('<td data-label="Members">2</td>');
    expect(row).not.toContain('Provisional');
    const unmapped = rowOf(page.body, provisional.id);
    expect(unmapped).toContain('<span class="tag">Provisional</span>');
    expect(unmapped).toContain('<td data-label="Jurisdiction"><span class="meta">Not set</span></td>');
    expect(unmapped).toContain('<td data-label="Members">0</td>');
    expect(page.body.indexOf('aaa-unmapped.gov.au')).toBeGreaterThan(page.body.indexOf('Aaa Listed Regulator'));
  });

  it(`shows ${AGENCIES_PER_PAGE} a page, every agency once, and answers a page past the end or a bad page number plainly`, async () => {
    for (let i = 0; i < AGENCIES_PER_PAGE + 5; i += 1) await createAgency(t.db, { name: `Paged Agency ${String(i).padStart(3, '0')}` });
    const total = await t.db.selectFrom('agencies').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const pages = Math.ceil(Number(total.n) / AGENCIES_PER_PAGE);
    const seen: string[] = [];
    for (let page = 1; page <= pages; page += 1) {
      const response = await admin.browser.get(page === 1 ? '/admin/agencies' : `/admin/agencies?page=${page}`);
      expect(response.statusCode).toBe(200);
      seen.push(...[...response.body.matchAll(/href="\/admin\/agencies\/(\d+)"/g)].map((m) => m[1]!));
      if (page < pages) expect(response.body).toContain(`href="${escape(`/admin/agencies?page=${page + 1}`)}"`);
    }
    expect(seen).toHaveLength(Number(total.n));
    expect(new Set(seen).size).toBe(seen.length);
    expect((await admin.browser.get(`/admin/agencies?page=${pages + 1}`)).statusCode).toBe(404);
    for (const bad of ['0', '-1', 'two', '1e3']) expect((await admin.browser.get(`/admin/agencies?page=${bad}`)).statusCode, bad).toBe(400);
  });
});

describe('GET and POST /admin/agencies/:id', () => {
  it('shows the form with the current jurisdiction and type chosen, and "Not set" where there is none', async () => {
    const agency = await createAgency(t.db, { name: 'Form Shown Agency', jurisdiction: 'territory' });
    const page = await admin.browser.get(`/admin/agencies/${agency.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<option value="territory" selected>Territory</option>');
    expect(page.body).toMatch(/<select id="field-agency_type" name="agency_type"[^>]*>\s*<option value="">Not set<\/option>\s*<option value="department">/);
    expect(page.body).not.toMatch(/<select id="field-agency_type"[\s\S]*?selected[\s\S]*?<\/select>/);
  });

  it('sets the jurisdiction and type, records both before and after against the administrator, and says so', async () => {
    const agency = await createAgency(t.db, { name: 'Classified Agency', jurisdiction: 'state' });
    const response = await submit(agency.id, { jurisdiction: 'commonwealth', agency_type: 'service_delivery' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/admin/agencies/${agency.id}`);
    expect(await agencyRow(agency.id)).toEqual({ name: 'Classified Agency', jurisdiction: 'commonwealth', agency_type: 'service_delivery' });
    expect(await auditFor(agency.id)).toEqual([
      {
        action: 'agency.classified',
        actor_member_id: admin.member.id,
        actor_label: null,
        ip_address: '127.0.0.1',
        details: { name: 'Classified Agency', before: { jurisdiction: 'state', agencyType: null }, after: { jurisdiction: 'commonwealth', agencyType: 'service_delivery' } },
      },
    ]);
    const page = await admin.browser.get(`/admin/agencies/${agency.id}`);
    expect(page.body).toContain(M.agencySaved('Classified Agency'));
    expect(page.body).toContain('<option value="service_delivery" selected>Service delivery</option>');
  });

  it('makes both "Not set" again', async () => {
    const agency = await createAgency(t.db, { name: 'Cleared Agency', jurisdiction: 'local' });
    await t.db.updateTable('agencies').set({ agency_type: 'council' }).where('id', '=', agency.id).execute();
    expect((await submit(agency.id, { jurisdiction: '', agency_type: '' })).statusCode).toBe(303);
    expect(await agencyRow(agency.id)).toMatchObject({ jurisdiction: null, agency_type: null });
    expect((await auditFor(agency.id))[0]!.details).toMatchObject({ before: { jurisdiction: 'local', agencyType: 'council' }, after: { jurisdiction: null, agencyType: null } });
  });

  it('records a form sent twice, or twice at once, once', async () => {
    const agency = await createAgency(t.db, { name: 'Double Submitted Agency' });
    const fields = { jurisdiction: 'state', agency_type: 'department' };
    const responses = await Promise.all([submit(agency.id, fields), submit(agency.id, fields)]);
    expect(responses.map((r) => r.statusCode)).toEqual([303, 303]);
    const again = await submit(agency.id, fields);
    expect(again.statusCode).toBe(303);
    expect((await admin.browser.get(`/admin/agencies/${agency.id}`)).body).toContain(M.agencyUnchanged('Double Submitted Agency'));
    expect(await agencyRow(agency.id)).toMatchObject({ jurisdiction: 'state', agency_type: 'department' });
    expect(await auditFor(agency.id)).toHaveLength(1);
  });

  it.each([
    ['no jurisdiction at all', { agency_type: 'department' }, 'jurisdiction', M.jurisdictionMissing],
    ['no agency type at all', { jurisdiction: 'state' }, 'agency_type', M.agencyTypeMissing],
    ['an unknown jurisdiction', { jurisdiction: 'federal', agency_type: '' }, 'jurisdiction', M.unknownJurisdiction],
    ['an unknown agency type', { jurisdiction: '', agency_type: 'ministry' }, 'agency_type', M.unknownAgencyType],
    ['an overlong value', { jurisdiction: 'state'.repeat(2_000), agency_type: '' }, 'jurisdiction', M.unknownJurisdiction],
    ['a NUL byte', { jurisdiction: 'state\u0000', agency_type: '' }, 'jurisdiction', M.unknownJurisdiction],
    ['a script tag', { jurisdiction: '', agency_type: '<script>alert(1)</script>' }, 'agency_type', M.unknownAgencyType],
    ['SQL metacharacters', { jurisdiction: "state'); drop table agencies; --", agency_type: '' }, 'jurisdiction', M.unknownJurisdiction],
    ['the field twice', { jurisdiction: ['state', 'local'], agency_type: '' }, 'jurisdiction', M.unknownJurisdiction],
  ])('refuses %s with 422 and a message by the field, changing nothing', async (_case, fields, field, message) => {
    const agency = await createAgency(t.db, { name: `Refusing Agency ${field} ${_case}`, jurisdiction: 'local' });
    const before = await countRows(t.db, 'audit_events');
    const response = await submit(agency.id, fields);
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(`<p class="field__error" id="error-${field}"><span class="visually-hidden">Error:</span> ${escape(message)}</p>`);
    expect(response.body).not.toContain('<script>alert(1)');
    expect(await agencyRow(agency.id)).toMatchObject({ jurisdiction: 'local', agency_type: null });
    expect(await countRows(t.db, 'audit_events')).toBe(before);
    expect(await t.db.selectFrom('agencies').select('id').where('id', '=', agency.id).executeTakeFirst()).toBeDefined();
  });

  it('refuses a field the form does not have', async () => {
    const agency = await createAgency(t.db, { name: 'Extra Field Agency' });
    const response = await submit(agency.id, { jurisdiction: 'state', agency_type: '', name: 'Renamed' });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(PAGE_MESSAGES.unexpectedField);
    expect(await agencyRow(agency.id)).toEqual({ name: 'Extra Field Agency', jurisdiction: null, agency_type: null });
  });

  it('answers 404 for an agency that does not exist or an id that is not one, and writes nothing', async () => {
    const before = await countRows(t.db, 'audit_events');
    for (const id of ['999999999', '0', 'abc', '1.5', '99999999999999999999']) {
      expect((await admin.browser.get(`/admin/agencies/${id}`)).statusCode, id).toBe(404);
      const { _csrf } = await admin.browser.openForm('/admin/agencies');
      expect((await admin.browser.post(`/admin/agencies/${id}`, { _csrf: _csrf!, jurisdiction: 'state', agency_type: '' })).statusCode, id).toBe(404);
    }
    expect(await countRows(t.db, 'audit_events')).toBe(before);
  });

  it('refuses a member and a moderator with 403, and sends a signed-out visitor to sign in, changing nothing', async () => {
    const agency = await createAgency(t.db, { name: 'Guarded Agency', jurisdiction: 'state' });
    for (const role of ['member', 'moderator'] as const) {
      const { browser } = await memberWithBrowser(t.app, t.db, { role });
      for (const path of ['/admin', '/admin/agencies', `/admin/agencies/${agency.id}`]) {
        const page = await browser.get(path);
        expect(page.statusCode, `${role} ${path}`).toBe(403);
        expect(page.body).not.toContain('Guarded Agency');
      }
      const { _csrf } = await browser.openForm('/settings');
      const post = await browser.post(`/admin/agencies/${agency.id}`, { _csrf: _csrf!, jurisdiction: 'local', agency_type: 'council' });
      expect(post.statusCode).toBe(403);
      expect(post.body).toContain(PAGE_MESSAGES.administratorsOnly);
    }
    const visitor = new Browser(t.app);
    const page = await visitor.get(`/admin/agencies/${agency.id}`);
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe(`/login?next=${encodeURIComponent(`/admin/agencies/${agency.id}`)}`);
    await visitor.get('/login');
    expect((await visitor.post(`/admin/agencies/${agency.id}`, { jurisdiction: 'local', agency_type: '' })).statusCode).toBe(403);
    expect(await agencyRow(agency.id)).toMatchObject({ jurisdiction: 'state', agency_type: null });
    expect(await auditFor(agency.id)).toEqual([]);
  });

  it('stops an administrator who has just been made a member at the next request', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db, { role: 'administrator' });
    expect((await browser.get('/admin/agencies')).statusCode).toBe(200);
    await t.db.updateTable('members').set({ role: 'member', updated_at: sql`now()` }).where('id', '=', member.id).execute();
    expect((await browser.get('/admin/agencies')).statusCode).toBe(403);
  });
});
