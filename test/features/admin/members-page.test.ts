import Handlebars from 'handlebars';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ADMIN_MESSAGES as M } from '../../../src/features/admin/messages.js';
import { MEMBERS_PER_PAGE } from '../../../src/features/admin/schemas.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { useAdministratorSite } from '../../support/admin.js';
import { countRows } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { createAgency, createMember } from '../../support/members.js';

const escape = (text: string) => Handlebars.escapeExpression(text);

const site = useAdministratorSite();

async function rename(id: number, displayName: string) {
  await site.t.db.updateTable('members').set({ display_name: displayName }).where('id', '=', id).execute();
}

async function roleOf(id: number) {
  return (await site.t.db.selectFrom('members').select('role').where('id', '=', id).executeTakeFirstOrThrow()).role;
}

/** The ids of the members a page links to, in order. */
function listedIds(page: string): number[] {
  return [...page.matchAll(/<a href="\/admin\/members\/(\d+)">/g)].map((match) => Number(match[1]));
}

describe('GET /admin/members', () => {
  it('finds members by a part of their name, address or handle, newest first, and links each to their page', async () => {
    const agency = await createAgency(site.t.db, { name: 'Members Page Agency' });
    const byName = await createMember(site.t.db, { agency });
    await rename(byName.id, 'Quokka Findable');
    const byAddress = await createMember(site.t.db, { agency, email: 'quokka.address@finance.gov.au' });
    const byHandle = await createMember(site.t.db, { agency, handle: 'quokka_handle' });
    await createMember(site.t.db, { agency });

    const page = await site.admin.browser.get('/admin/members?q=QUOKKA');
    expect(page.statusCode).toBe(200);
    expect(listedIds(page.body)).toEqual([byHandle.id, byAddress.id, byName.id]);
    expect(page.body).toContain('<bdi>Quokka Findable</bdi>');
    expect(page.body).toContain('value="QUOKKA"');
    expect(page.body).toContain(`href="${escape('/admin/members.csv?q=QUOKKA')}"`);
  });

  it('matches %, _ and \\ in a search literally, and SQL as text', async () => {
    const literal = await createMember(site.t.db);
    await rename(literal.id, 'Percent 100%_off\\ member');
    await createMember(site.t.db).then((other) => rename(other.id, 'Percent 100x yoff member'));

    const page = await site.admin.browser.get(`/admin/members?q=${encodeURIComponent('100%_off\\')}`);
    expect(listedIds(page.body)).toEqual([literal.id]);
    for (const hostile of ["' OR 1=1 --", '"; DROP TABLE members; --', '%', '_']) {
      const response = await site.admin.browser.get(`/admin/members?q=${encodeURIComponent(hostile)}`);
      expect(response.statusCode, hostile).toBe(200);
    }
    expect(listedIds((await site.admin.browser.get(`/admin/members?q=${encodeURIComponent('100x_off')}`)).body)).toEqual([]);
  });

  it('filters by agency, role and status (active, suspended, awaiting approval, deactivated)', async () => {
    const agency = await createAgency(site.t.db, { name: 'Status Filter Agency' });
    const active = await createMember(site.t.db, { agency });
    const moderator = await createMember(site.t.db, { agency, role: 'moderator' });
    const deactivated = await createMember(site.t.db, { agency, deactivated: true });
    const suspended = await createMember(site.t.db, { agency });
    await site.t.db.updateTable('members').set({ suspended_until: sql`now() + interval '3 days'`, suspension_reason: 'Testing the filter' }).where('id', '=', suspended.id).execute();
    const waiting = await createMember(site.t.db, { agency });
    await site.t.db.updateTable('members').set({ awaiting_approval_since: sql`now()` }).where('id', '=', waiting.id).execute();
    const elsewhere = await createMember(site.t.db);

    const list = async (query: string) => listedIds((await site.admin.browser.get(`/admin/members?agency=${agency.id}&${query}`)).body);
    expect(await list('')).toEqual([waiting.id, suspended.id, deactivated.id, moderator.id, active.id]);
    expect(await list('')).not.toContain(elsewhere.id);
    expect(await list('status=active')).toEqual([moderator.id, active.id]);
    expect(await list('status=suspended')).toEqual([suspended.id]);
    expect(await list('status=awaiting_approval')).toEqual([waiting.id]);
    expect(await list('status=deactivated')).toEqual([deactivated.id]);
    expect(await list('role=moderator')).toEqual([moderator.id]);
    expect(await list('role=administrator&status=&q=')).toEqual([]);
    const page = await site.admin.browser.get(`/admin/members?agency=${agency.id}&status=suspended`);
    expect(page.body).toContain('<td data-label="Status">Suspended</td>');
  });

  it('filters deactivated members by why, an unrecorded reason counting as an administrator’s, and keeps the reason in the CSV link', async () => {
    const agency = await createAgency(site.t.db, { name: 'Reason Filter Agency' });
    const bounced = await createMember(site.t.db, { agency, deactivated: true });
    const leaver = await createMember(site.t.db, { agency, deactivated: true });
    const unrecorded = await createMember(site.t.db, { agency, deactivated: true });
    const byAdministrator = await createMember(site.t.db, { agency, deactivated: true });
    await createMember(site.t.db, { agency });
    const setReason = (id: number, reason: string | null) => site.t.db.updateTable('members').set({ deactivation_reason: reason }).where('id', '=', id).execute();
    await setReason(bounced.id, 'bounced');
    await setReason(leaver.id, 'left_agency');
    await setReason(unrecorded.id, null);
    await setReason(byAdministrator.id, 'administrator');

    const list = async (query: string) => listedIds((await site.admin.browser.get(`/admin/members?agency=${agency.id}&${query}`)).body);
    expect(await list('reason=bounced')).toEqual([bounced.id]);
    expect(await list('reason=left_agency&status=deactivated')).toEqual([leaver.id]);
    expect(await list('reason=administrator')).toEqual([byAdministrator.id, unrecorded.id]);
    expect(await list('reason=rejected')).toEqual([]);
    const page = await site.admin.browser.get(`/admin/members?agency=${agency.id}&reason=bounced`);
    expect(page.body).toContain('<option value="bounced" selected>Email to their address was refused for good</option>');
    expect(page.body.replace(/&#x3D;/g, '=')).toContain(`/admin/members.csv?agency=${agency.id}&amp;reason=bounced`);
    const csv = await site.admin.browser.get(`/admin/members.csv?agency=${agency.id}&reason=bounced`);
    expect(csv.body.trim().split('\n')).toHaveLength(2);
    expect(csv.body).toContain(bounced.canonicalEmail);
  });

  it('pages by keyset: "Older members" continues after the last row shown, keeping the filters', async () => {
    const agency = await createAgency(site.t.db, { name: 'Paging Agency' });
    const ids: number[] = [];
    for (let i = 0; i < MEMBERS_PER_PAGE + 2; i += 1) ids.push((await createMember(site.t.db, { agency })).id);
    const newestFirst = [...ids].reverse();

    const first = await site.admin.browser.get(`/admin/members?agency=${agency.id}`);
    expect(listedIds(first.body)).toEqual(newestFirst.slice(0, MEMBERS_PER_PAGE));
    const older = /<a href="([^"]+)">Older members<\/a>/.exec(first.body)![1]!.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
    expect(older).toBe(`/admin/members?agency=${agency.id}&before=${newestFirst[MEMBERS_PER_PAGE - 1]}`);
    const second = await site.admin.browser.get(older);
    expect(listedIds(second.body)).toEqual(newestFirst.slice(MEMBERS_PER_PAGE));
    expect(second.body).not.toContain('Older members');
    expect(second.body).toContain('Back to the newest');
  });

  it.each([
    ['an overlong search', `q=${'a'.repeat(101)}`, 'q', 'Search must be at most 100 characters (it is 101)'],
    ['a NUL in the search', 'q=a%00b', 'q', 'Search must not contain NUL characters'],
    ['a line break in the search', 'q=a%0Ab', 'q', 'Search must be on one line'],
    ['a bidi override in the search', 'q=a%E2%80%AEb', 'q', M.searchControls],
    ['two searches', 'q=a&q=b', 'q', 'Search must be text'],
    ['an agency that is not an id', 'agency=abc', 'agency', M.unknownAgencyFilter],
    ['an agency past bigint', 'agency=99999999999999999999', 'agency', M.unknownAgencyFilter],
    ['a negative agency', 'agency=-1', 'agency', M.unknownAgencyFilter],
    ['an unknown role', 'role=owner', 'role', M.unknownRoleFilter],
    ['an unverified status, which no member has', 'status=unverified', 'status', M.unknownStatusFilter],
    ['an unknown reason', 'reason=tired', 'reason', M.unknownReasonFilter],
    ['a reason with a status other than deactivated', 'status=active&reason=bounced', 'reason', M.reasonWithOtherStatus],
    ['a cursor that is not an id', 'before=1.5', '_form', M.badMemberCursor],
    ['a filter the page does not have', 'admin=1', '_form', PAGE_MESSAGES.unexpectedFilter],
  ])('answers %s with 400 and says what was wrong on the page', async (_case, query, field, message) => {
    const response = await site.admin.browser.get(`/admin/members?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain(escape(M.memberFilterProblem(message)));
    if (field !== '_form') expect(response.body).toContain(`id="error-${field}"`);
    expect(response.body).not.toContain('Download these members');
  });
});

describe('GET /admin/members.csv', () => {
  it('downloads every filtered member as CSV with formulas neutralised, and audits the export with its filters', async () => {
    const agency = await createAgency(site.t.db, { name: 'Export Agency' });
    const hostile = await createMember(site.t.db, { agency });
    await rename(hostile.id, "=cmd|' /C calc'!A0");
    const quoted = await createMember(site.t.db, { agency, handle: 'quoted_one' });
    await rename(quoted.id, 'Said "hello", then left');
    for (const [index, start] of ['+', '-', '@', '\t', '\r'].entries()) {
      const member = await createMember(site.t.db, { agency, handle: `formula_${index}` });
      await rename(member.id, `${start}SUM(A1)`);
    }
    await createMember(site.t.db, { agency, deactivated: true });
    const before = await countRows(site.t.db, 'audit_events');

    const response = await site.admin.browser.get(`/admin/members.csv?agency=${agency.id}&status=active&before=1`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="members.csv"');
    const lines = response.body.split('\r\n');
    expect(lines[0]).toBe('"Name","Handle","Email","Agency","Role","Status","Joined","Last signed in"');
    expect(lines).toHaveLength(1 + 7 + 1);
    expect(lines.at(-1)).toBe('');
    expect(response.body).toContain(`"'=cmd|' /C calc'!A0","${hostile.handle}","${hostile.canonicalEmail}","Export Agency","Member","Active",`);
    expect(response.body).toContain('"Said ""hello"", then left","quoted_one"');
    for (const start of ['+', '-', '@', '\t', '\r']) expect(response.body).toContain(`"'${start}SUM(A1)"`);
    expect(response.body).not.toContain('"Deactivated"');

    expect(await countRows(site.t.db, 'audit_events')).toBe(before + 1);
    const audit = await site.t.db.selectFrom('audit_events').select(['actor_member_id', 'details', 'target_type']).where('action', '=', 'members.exported').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(audit).toEqual({ actor_member_id: site.admin.member.id, target_type: null, details: { filters: { agency: agency.id, status: 'active' }, rows: 7 } });
  });

  it('refuses bad filters with the members page and 400, exporting and auditing nothing', async () => {
    const before = await countRows(site.t.db, 'audit_events');
    const response = await site.admin.browser.get('/admin/members.csv?role=%00');
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.body).toContain(escape(M.memberFilterProblem(M.unknownRoleFilter)));
    expect(await countRows(site.t.db, 'audit_events')).toBe(before);
  });
});

describe('GET /admin/members/:id', () => {
  it('shows the member with their agency, role and status, and links to deactivate or reactivate', async () => {
    const agency = await createAgency(site.t.db, { name: 'Member Page Agency' });
    const member = await createMember(site.t.db, { agency, role: 'moderator' });
    const page = await site.admin.browser.get(`/admin/members/${member.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(member.canonicalEmail);
    expect(page.body).toContain('<bdi>Member Page Agency</bdi>');
    expect(page.body).toMatch(/<option value="moderator" selected>Moderator<\/option>/);
    expect(page.body).toContain(`href="/admin/members/${member.id}/deactivate"`);
  });

  it.each(['abc', '1.5', '-1', '0', '99999999999999999999', '%00'])('answers /admin/members/%s with 404', async (id) => {
    expect((await site.admin.browser.get(`/admin/members/${id}`)).statusCode).toBe(404);
  });
});

describe('POST /admin/members/:id/role', () => {
  async function roleForm(id: number) {
    return site.admin.browser.openForm(`/admin/members/${id}`);
  }

  it('grants and revokes a role through the same service as the command, audited; a second press says nothing changed', async () => {
    const member = await createMember(site.t.db);
    const form = await roleForm(member.id);
    const response = await site.admin.browser.post(`/admin/members/${member.id}/role`, { ...form, role: 'moderator' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/admin/members/${member.id}`);
    expect(await roleOf(member.id)).toBe('moderator');
    expect((await site.admin.browser.get(`/admin/members/${member.id}`)).body).toContain(escape(M.roleChanged(member.displayName, 'moderator')));

    const before = await countRows(site.t.db, 'audit_events');
    const again = await site.admin.browser.post(`/admin/members/${member.id}/role`, { ...form, role: 'moderator' });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain(escape(M.alreadyHasRole(member.canonicalEmail, 'moderator')));
    expect(await countRows(site.t.db, 'audit_events')).toBe(before);

    await site.admin.browser.post(`/admin/members/${member.id}/role`, { ...form, role: 'member' });
    const audit = await site.t.db.selectFrom('audit_events').select(['action', 'actor_member_id', 'details']).where('subject_member_id', '=', member.id).orderBy('id').execute();
    expect(audit).toEqual([
      { action: 'role.granted', actor_member_id: site.admin.member.id, details: { before: { role: 'member' }, after: { role: 'moderator' } } },
      { action: 'role.revoked', actor_member_id: site.admin.member.id, details: { before: { role: 'moderator' }, after: { role: 'member' } } },
    ]);
  });

  it.each([
    ['no role', {}, M.chooseRole],
    ['an unknown role', { role: 'owner' }, M.chooseRole],
    ['a NUL', { role: 'administrator\0' }, M.chooseRole],
    ['two roles', { role: ['moderator', 'administrator'] }, M.chooseRole],
    ['an extra field', { role: 'moderator', agency_id: '1' }, PAGE_MESSAGES.unexpectedField],
  ] as Array<[string, Record<string, string | string[]>, string]>)('refuses %s with 422 on the member page, changing nothing', async (_case, fields, message) => {
    const member = await createMember(site.t.db);
    const form = await roleForm(member.id);
    const before = await countRows(site.t.db, 'audit_events');
    const response = await site.admin.browser.post(`/admin/members/${member.id}/role`, { ...form, ...fields });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(escape(message));
    expect(await roleOf(member.id)).toBe('member');
    expect(await countRows(site.t.db, 'audit_events')).toBe(before);
  });

  it('refuses a post without a CSRF token with 403, changing nothing', async () => {
    const member = await createMember(site.t.db);
    const response = await site.admin.browser.post(`/admin/members/${member.id}/role`, { role: 'administrator' });
    expect(response.statusCode).toBe(403);
    expect(await roleOf(member.id)).toBe('member');
  });

  it('answers a member who is not there with 404', async () => {
    const form = await roleForm(site.admin.member.id);
    expect((await site.admin.browser.post('/admin/members/99999999999/role', { ...form, role: 'moderator' })).statusCode).toBe(404);
    expect((await site.admin.browser.post('/admin/members/99999999999999999999/role', { ...form, role: 'moderator' })).statusCode).toBe(404);
  });

  it('refuses to let the last active administrator stop being one, themselves included', async () => {
    const last = await memberWithBrowser(site.t.app, site.t.db, { role: 'administrator' });
    const others = await site.t.db
      .updateTable('members')
      .set({ deactivated_at: sql`now()` })
      .where('role', '=', 'administrator')
      .where('deactivated_at', 'is', null)
      .where('id', '!=', last.member.id)
      .returning('id')
      .execute();
    try {
      const form = await last.browser.openForm(`/admin/members/${last.member.id}`);
      const before = await countRows(site.t.db, 'audit_events');
      const response = await last.browser.post(`/admin/members/${last.member.id}/role`, { ...form, role: 'moderator' });
      expect(response.statusCode).toBe(422);
      expect(response.body).toContain(escape(M.lastAdministrator));
      expect(await roleOf(last.member.id)).toBe('administrator');
      expect(await countRows(site.t.db, 'audit_events')).toBe(before);
    } finally {
      await site.t.db.updateTable('members').set({ deactivated_at: null }).where('id', 'in', others.map((row) => row.id)).execute();
    }
    const form = await last.browser.openForm(`/admin/members/${last.member.id}`);
    expect((await last.browser.post(`/admin/members/${last.member.id}/role`, { ...form, role: 'member' })).statusCode).toBe(303);
  });

  it('is refused to members and moderators with 403', async () => {
    const member = await createMember(site.t.db);
    for (const role of ['member', 'moderator'] as const) {
      const { browser } = await memberWithBrowser(site.t.app, site.t.db, { role });
      const { _csrf } = await browser.openForm('/settings');
      const response = await browser.post(`/admin/members/${member.id}/role`, { _csrf: _csrf!, role: 'administrator' });
      expect(response.statusCode).toBe(403);
      expect((await browser.get('/admin/members.csv')).statusCode).toBe(403);
    }
    expect(await roleOf(member.id)).toBe('member');
  });
});
