import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { AUDIT_ACTION_NAMES, DEACTIVATION_REASON_NAMES } from '../../../src/features/admin/messages.js';
import { MODERATION_MESSAGES as MM } from '../../../src/features/moderation/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { useAdministratorSite } from '../../support/admin.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { createMember } from '../../support/members.js';
import { escapeLikeHandlebars } from '../../support/resources.js';

const site = useAdministratorSite();

/** An audit row as a change writes one, by `actorId`, with a reason to find it by. */
async function logged(actorId: number, action: string, target: { type: string; id: number | string } | null, reason: string, subjectId: number | null = null) {
  await site.t.db
    .insertInto('audit_events')
    .values({ actor_member_id: actorId, action, target_type: target?.type ?? null, target_id: target ? String(target.id) : null, subject_member_id: subjectId, details: JSON.stringify({ reason }) })
    .execute();
}

function reasonsOn(page: string): string[] {
  return [...page.matchAll(/<td data-label="Reason">([^<]*)<\/td>/g)].map((match) => match[1]!);
}

/** Every action the code writes as a literal ('thing.verb'), found in the source. */
async function actionsWritten(): Promise<string[]> {
  const files = (await readdir('src', { recursive: true })).filter((file) => file.endsWith('.ts'));
  const found = new Set<string>();
  for (const file of files) for (const match of (await readFile(join('src', file), 'utf8')).matchAll(/\baction: '([a-z_]+\.[a-z_]+)'/g)) found.add(match[1]!);
  return [...found].sort();
}

describe('the audit log’s names', () => {
  it('name every action the code records, so no row shows as a bare code', async () => {
    const written = await actionsWritten();
    // The scan must find the actions it is about, or it proves nothing.
    expect(written).toEqual(expect.arrayContaining(['signin.succeeded', 'setting.changed', 'member.deactivated']));
    expect(written.filter((action) => AUDIT_ACTION_NAMES[action] === undefined)).toEqual([]);
  });
});

describe('GET /admin/audit', () => {
  it('lists every kind of event newest first, named, with administration filters for action and kind of thing acted on', async () => {
    const actor = site.admin.member.id;
    const subject = await createMember(site.t.db);
    await logged(actor, 'member.warned', { type: 'member', id: subject.id }, 'audit-a warned', subject.id);
    await logged(actor, 'domain_rule.added', { type: 'domain_rule', id: 41 }, 'audit-a rule');
    await logged(actor, 'mail.retried', { type: 'outbound_email', id: 42 }, 'audit-a mail');
    await logged(actor, 'members.exported', null, 'audit-a export');

    const page = await site.admin.browser.get(`/admin/audit?actor=${actor}`);
    expect(page.statusCode).toBe(200);
    expect(reasonsOn(page.body).filter((reason) => reason.startsWith('audit-a'))).toEqual(['audit-a export', 'audit-a mail', 'audit-a rule', 'audit-a warned']);
    for (const action of ['members.exported', 'mail.retried', 'domain_rule.added', 'member.warned']) expect(page.body).toContain(`<td data-label="Action">${AUDIT_ACTION_NAMES[action]}</td>`);
    expect(page.body).toContain('<form method="get" action="/admin/audit" class="filters">');
    expect(page.body).toContain('<option value="outbound_email">Email</option>');

    const byType = await site.admin.browser.get(`/admin/audit?actor=${actor}&target_type=outbound_email`);
    expect(reasonsOn(byType.body).filter((reason) => reason.startsWith('audit-a'))).toEqual(['audit-a mail']);
    const byAction = await site.admin.browser.get(`/admin/audit?action=domain_rule.added&actor=${actor}`);
    expect(reasonsOn(byAction.body).filter((reason) => reason.startsWith('audit-a'))).toEqual(['audit-a rule']);
    const bySubject = await site.admin.browser.get(`/admin/audit?member=${subject.id}`);
    expect(reasonsOn(bySubject.body)).toEqual(['audit-a warned']);
  });

  it('names a deactivation’s reason in words, with the coordinator’s note beside it', async () => {
    const subject = await createMember(site.t.db);
    const deactivated = (details: Record<string, unknown>) => ({ actor_member_id: site.admin.member.id, action: 'member.deactivated', target_type: 'member', target_id: String(subject.id), subject_member_id: subject.id, details: JSON.stringify(details) });
    await site.t.db.insertInto('audit_events').values([deactivated({ reason: 'bounced' }), deactivated({ reason: 'left_agency', note: 'Moved to Treasury' })]).execute();
    const page = await site.admin.browser.get(`/admin/audit?member=${subject.id}`);
    expect(page.statusCode).toBe(200);
    expect(reasonsOn(page.body)).toEqual([escapeLikeHandlebars(`${DEACTIVATION_REASON_NAMES.left_agency}: Moved to Treasury`), DEACTIVATION_REASON_NAMES.bounced]);
  });

  it('filters by dates and pages by (time, id) through the shared log, keeping its filters', async () => {
    const subject = await createMember(site.t.db);
    await sql`insert into audit_events (occurred_at, actor_member_id, action, target_type, target_id, subject_member_id, details)
      select timestamptz '2025-03-10 01:00:00+00', ${site.admin.member.id}, 'role.granted', 'member', ${String(subject.id)}, ${subject.id}, jsonb_build_object('reason', 'Paged ' || n)
      from generate_series(1, 55) as n`.execute(site.t.db);

    const first = await site.admin.browser.get(`/admin/audit?member=${subject.id}&from=2025-03-01&to=2025-03-31`);
    expect(reasonsOn(first.body)).toHaveLength(50);
    const older = /href="(\/admin\/audit\?[^"]+)">Older actions/.exec(first.body)![1]!.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
    expect(older).toContain(`member=${subject.id}`);
    expect(older).toContain('from=2025-03-01');
    const second = await site.admin.browser.get(older);
    const all = [...reasonsOn(first.body), ...reasonsOn(second.body)];
    expect(new Set(all).size).toBe(55);
    expect(second.body).toContain('<a href="/admin/audit">Back to the newest</a>');
    expect(reasonsOn((await site.admin.browser.get(`/admin/audit?member=${subject.id}&from=2025-04-01`)).body)).toEqual([]);
  });

  it('answers bad filters with 400 and the message beside the field', async () => {
    const cases: [string, string, string][] = [
      ['actor=abc', 'actor', MM.badActor],
      ['actor=99999999999999999999', 'actor', MM.badActor],
      ['member=-1', 'member', MM.badSubject],
      ['member=%00', 'member', MM.badSubject],
      ['action=%3Cscript%3E', 'action', MM.badAction],
      [`action=${'a'.repeat(100)}`, 'action', MM.badAction],
      ['target_type=Domain%20Rule', 'target_type', MM.badTargetType],
      ['target_type=a&target_type=b', 'target_type', MM.badTargetType],
      ['from=2025-02-30', 'from', MM.badDate],
      ['from=2025-03-02&to=2025-03-01', '_form', MM.datesReversed],
      ['before=garbage', '_form', MM.badCursor],
      ['admin=1', '_form', PAGE_MESSAGES.unexpectedFilter],
    ];
    for (const [query, field, message] of cases) {
      const response = await site.admin.browser.get(`/admin/audit?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.body, query).toContain(escapeLikeHandlebars(MM.logFilterProblem(message)));
      if (field !== '_form') expect(response.body, query).toContain(`id="error-${field}"`);
    }
  });

  it('is refused to members and moderators (403)', async () => {
    for (const role of ['member', 'moderator'] as const) {
      const { browser } = await memberWithBrowser(site.t.app, site.t.db, { role });
      expect((await browser.get('/admin/audit')).statusCode).toBe(403);
    }
  });
});
