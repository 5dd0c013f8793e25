import Handlebars from 'handlebars';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ADMIN_MESSAGES as M } from '../../../src/features/admin/messages.js';
import { EMAILS_PER_PAGE } from '../../../src/features/admin/schemas.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { enqueueEmail } from '../../../src/mail/outbox.js';
import { useAdministratorSite } from '../../support/admin.js';
import { countRows } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';

const escape = (text: string) => Handlebars.escapeExpression(text);
const site = useAdministratorSite();

type State = 'pending' | 'retrying' | 'failed' | 'sent';

/** An email in the queue as the worker would leave it in each state. */
async function queued(state: State, to = 'someone.private@finance.gov.au', lastError: string | null = null): Promise<number> {
  const id = await enqueueEmail(site.t.db, { to, subject: 'Subject', text: 'Body', kind: 'auth.verify' });
  if (state === 'retrying') await site.t.db.updateTable('outbound_emails').set({ attempts: 3, last_error: lastError ?? '421 try later' }).where('id', '=', id).execute();
  if (state === 'failed') await site.t.db.updateTable('outbound_emails').set({ status: 'failed', attempts: 32, failed_at: sql`now()`, last_error: lastError ?? '550 mailbox unavailable' }).where('id', '=', id).execute();
  if (state === 'sent') await site.t.db.updateTable('outbound_emails').set({ status: 'sent', sent_at: sql`now()`, text_body: null, html_body: null }).where('id', '=', id).execute();
  return id;
}

function listedIds(page: string): number[] {
  return [...page.matchAll(/data-email="(\d+)"/g)].map((match) => Number(match[1]));
}

async function emailRow(id: number) {
  return site.t.db.selectFrom('outbound_emails').select(['status', 'attempts', 'failed_at']).where('id', '=', id).executeTakeFirstOrThrow();
}

describe('GET /admin/mail', () => {
  it('lists unsent emails newest first with the address masked to its domain, kind, state, attempts and last error; never sent ones', async () => {
    const sent = await queued('sent');
    const pending = await queued('pending');
    const retrying = await queued('retrying', 'x@agency.gov.au', '452 mailbox of someone.private@finance.gov.au full');
    const failed = await queued('failed');

    const page = await site.admin.browser.get('/admin/mail');
    expect(page.statusCode).toBe(200);
    const ids = listedIds(page.body);
    expect(ids.indexOf(failed)).toBeLessThan(ids.indexOf(retrying));
    expect(ids.indexOf(retrying)).toBeLessThan(ids.indexOf(pending));
    expect(ids).not.toContain(sent);
    expect(page.body).not.toContain('someone.private');
    expect(page.body).toContain('…@finance.gov.au');
    expect(page.body).toContain('452 mailbox of …@finance.gov.au full');
    expect(page.body).toContain('auth.verify');
    expect(page.body).toContain(`action="/admin/mail/${failed}/retry"`);
    expect(page.body).not.toContain(`action="/admin/mail/${pending}/retry"`);
  });

  it('filters by state and pages by keyset', async () => {
    const failed: number[] = [];
    for (let i = 0; i < EMAILS_PER_PAGE + 1; i += 1) failed.push(await queued('failed'));
    const retrying = await queued('retrying');
    const newestFirst = [...failed].reverse();

    expect(listedIds((await site.admin.browser.get('/admin/mail?state=retrying')).body)).toContain(retrying);
    expect(listedIds((await site.admin.browser.get('/admin/mail?state=pending')).body)).not.toContain(retrying);
    const first = await site.admin.browser.get('/admin/mail?state=failed');
    expect(listedIds(first.body).slice(0, 3)).toEqual(newestFirst.slice(0, 3));
    expect(listedIds(first.body)).not.toContain(retrying);
    const older = /<a href="([^"]+)">Older emails<\/a>/.exec(first.body)![1]!.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
    const lastShown = listedIds(first.body).at(-1)!;
    expect(older).toBe(`/admin/mail?state=failed&before=${lastShown}`);
    const second = await site.admin.browser.get(older);
    expect(listedIds(second.body)[0]).toBeLessThan(lastShown);
    expect(second.body).toContain('Back to the newest');
  });

  it.each([
    ['an unknown state', 'state=sent', 'state', M.unknownMailState],
    ['two states', 'state=failed&state=pending', 'state', M.unknownMailState],
    ['a NUL', 'state=failed%00', 'state', M.unknownMailState],
    ['a cursor past bigint', 'before=99999999999999999999', '_form', M.badMailCursor],
    ['a cursor that is not an id', 'before=abc', '_form', M.badMailCursor],
    ['a filter the page does not have', 'to=x', '_form', PAGE_MESSAGES.unexpectedFilter],
  ])('answers %s with 400 and the message on the page', async (_case, query, field, message) => {
    const response = await site.admin.browser.get(`/admin/mail?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain(escape(M.mailFilterProblem(message)));
    if (field !== '_form') expect(response.body).toContain(`id="error-${field}"`);
  });
});

describe('POST /admin/mail/:id/retry', () => {
  it('queues a failed email again with fresh attempts and audits mail.retried; a second press changes nothing', async () => {
    const id = await queued('failed');
    const before = await countRows(site.t.db, 'audit_events');
    const response = await site.admin.browser.post(`/admin/mail/${id}/retry`, { _csrf: site.csrf });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/admin/mail');
    expect(await emailRow(id)).toEqual({ status: 'pending', attempts: 0, failed_at: null });
    expect((await site.admin.browser.get('/admin/mail')).body).toContain(escape(M.emailRetried('finance.gov.au')));
    const audit = await site.t.db.selectFrom('audit_events').select(['actor_member_id', 'target_type', 'target_id', 'details']).where('action', '=', 'mail.retried').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(audit).toEqual({ actor_member_id: site.admin.member.id, target_type: 'outbound_email', target_id: String(id), details: { kind: 'auth.verify', toDomain: 'finance.gov.au', before: { status: 'failed', attempts: 32 }, after: { status: 'pending', attempts: 0 } } });
    expect(await countRows(site.t.db, 'audit_events')).toBe(before + 1);

    const again = await site.admin.browser.post(`/admin/mail/${id}/retry`, { _csrf: site.csrf });
    expect(again.statusCode).toBe(303);
    expect((await site.admin.browser.get('/admin/mail')).body).toContain(escape(M.emailAlreadyQueued('finance.gov.au')));
    expect(await countRows(site.t.db, 'audit_events')).toBe(before + 1);
  });

  it('lands once when pressed twice at the same moment', async () => {
    const id = await queued('failed');
    const before = await countRows(site.t.db, 'audit_events');
    const responses = await Promise.all([1, 2, 3].map(() => site.admin.browser.post(`/admin/mail/${id}/retry`, { _csrf: site.csrf })));
    expect(responses.map((response) => response.statusCode)).toEqual([303, 303, 303]);
    expect(await countRows(site.t.db, 'audit_events')).toBe(before + 1);
  });

  it('leaves a pending email alone, and answers an email that is not there with 404', async () => {
    const id = await queued('retrying');
    const before = await countRows(site.t.db, 'audit_events');
    expect((await site.admin.browser.post(`/admin/mail/${id}/retry`, { _csrf: site.csrf })).statusCode).toBe(303);
    expect(await emailRow(id)).toMatchObject({ status: 'pending', attempts: 3 });
    for (const missing of ['99999999999', '99999999999999999999', 'abc', '-1']) {
      const response = await site.admin.browser.post(`/admin/mail/${missing}/retry`, { _csrf: site.csrf });
      expect(response.statusCode, missing).toBe(404);
    }
    expect(await countRows(site.t.db, 'audit_events')).toBe(before);
  });

  it('refuses a post without a CSRF token, with an extra field, or from a member or moderator, changing nothing', async () => {
    const id = await queued('failed');
    expect((await site.admin.browser.post(`/admin/mail/${id}/retry`, {})).statusCode).toBe(403);
    expect((await site.admin.browser.post(`/admin/mail/${id}/retry`, { _csrf: site.csrf, status: 'sent' })).statusCode).toBe(400);
    for (const role of ['member', 'moderator'] as const) {
      const { browser } = await memberWithBrowser(site.t.app, site.t.db, { role });
      const { _csrf } = await browser.openForm('/settings');
      expect((await browser.post(`/admin/mail/${id}/retry`, { _csrf: _csrf! })).statusCode).toBe(403);
      expect((await browser.get('/admin/mail')).statusCode).toBe(403);
    }
    expect(await emailRow(id)).toMatchObject({ status: 'failed', attempts: 32 });
  });
});
