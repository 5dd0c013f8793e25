import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ADMIN_MESSAGES as M } from '../../../src/features/admin/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { useAdministratorSite } from '../../support/admin.js';
import { Browser } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { addReplies, createCategory, createThreads } from '../../support/forum-rows.js';
import { createAgency, createMember } from '../../support/members.js';
import { createResource, escapeLikeHandlebars } from '../../support/resources.js';

const site = useAdministratorSite();
const SITE_TIME_ZONE = 'Australia/Sydney';

/** A CSV file's rows as cells (the helper quotes every cell; none of these hold a line break). */
function csvRows(body: string): string[][] {
  return body
    .trimEnd()
    .split('\r\n')
    .map((line) => [...line.matchAll(/"((?:[^"]|"")*)"/g)].map((match) => match[1]!.replace(/""/g, '"')));
}

async function csv(chart: string): Promise<string[][]> {
  const response = await site.admin.browser.get(`/admin/usage/${chart}.csv`);
  expect(response.statusCode).toBe(200);
  return csvRows(response.body);
}

/** A CSV's rows keyed by their first cell, the second cell a number. */
async function countsByLabel(chart: string): Promise<Map<string, number>> {
  return new Map((await csv(chart)).slice(1).map((row) => [row[0]!, Number(row[1])]));
}

type WeekRow = { newMembers: number; posts: number; activeMembers: number; resources: number };

async function weeks(): Promise<Map<string, WeekRow>> {
  const rows = (await csv('weekly')).slice(1);
  return new Map(rows.map(([week, newMembers, posts, activeMembers, resources]) => [week!, { newMembers: Number(newMembers), posts: Number(posts), activeMembers: Number(activeMembers), resources: Number(resources) }]));
}

/** The Monday `weeksAgo` weeks before this one in the site's time zone: its date, and the instant 00:30 that Monday there. */
async function mondayHalfPastMidnight(weeksAgo: number): Promise<{ week: string; previousWeek: string; at: Date }> {
  const { rows } = await sql<{ week: string; previous_week: string; at: Date }>`
    select to_char(monday, 'YYYY-MM-DD') as week, to_char(monday - interval '1 week', 'YYYY-MM-DD') as previous_week, (monday + interval '30 minutes') at time zone ${SITE_TIME_ZONE} as at
    from (select date_trunc('week', now() at time zone ${SITE_TIME_ZONE}) - ${`${weeksAgo} weeks`}::interval as monday) w
  `.execute(site.t.db);
  return { week: rows[0]!.week, previousWeek: rows[0]!.previous_week, at: rows[0]!.at };
}

const HOUR = 60 * 60 * 1000;

describe('GET /admin/usage', () => {
  it('draws each chart as a titled, described image beside a captioned table, with a CSV link, headings in order', async () => {
    const page = await site.admin.browser.get('/admin/usage');
    expect(page.statusCode).toBe(200);
    const svgs = [...page.body.matchAll(/<svg [^>]*role="img" aria-labelledby="([^" ]+) ([^"]+)"/g)];
    expect(svgs).toHaveLength(7);
    for (const [, titleId, descId] of svgs) {
      expect(page.body).toContain(`<title id="${titleId}">`);
      expect(page.body).toContain(`<desc id="${descId}">`);
    }
    expect([...page.body.matchAll(/<table[^>]*>\s*<caption>[^<]+<\/caption>/g)]).toHaveLength(4);
    expect(page.body).not.toMatch(/<th>/);
    const headings = [...page.body.matchAll(/<h([1-6])/g)].map((match) => Number(match[1]));
    headings.forEach((level, index) => expect(level - (headings[index - 1] ?? 0)).toBeLessThanOrEqual(1));
    for (const chart of ['agencies', 'agency-types', 'weekly', 'resources']) expect(page.body).toContain(`href="/admin/usage/${chart}.csv"`);
    // The charts are drawn on the server: the page's main part carries no script.
    expect(page.body.slice(page.body.indexOf('<main'), page.body.indexOf('</main>'))).not.toMatch(/<script/);
  });

  it('is linked from the administration page', async () => {
    expect((await site.admin.browser.get('/admin')).body).toContain('<a href="/admin/usage">Usage</a>');
  });

  it('counts active members by agency and by type, leaving deactivated members out', async () => {
    const agency = await createAgency(site.t.db);
    await site.t.db.updateTable('agencies').set({ agency_type: 'regulator' }).where('id', '=', agency.id).execute();
    const typesBefore = await countsByLabel('agency-types');
    await createMember(site.t.db, { agency });
    await createMember(site.t.db, { agency });
    await createMember(site.t.db, { agency, deactivated: true });

    expect((await countsByLabel('agencies')).get(agency.name)).toBe(2);
    const typesAfter = await countsByLabel('agency-types');
    expect(typesAfter.get('Regulator')).toBe(typesBefore.get('Regulator')! + 2);
    expect(typesAfter.get('Department')).toBe(typesBefore.get('Department'));
    expect([...typesAfter.keys()]).toEqual(['Department', 'Regulator', 'Service delivery', 'Council', 'Statutory body', 'Other', 'Not set']);
    const page = await site.admin.browser.get('/admin/usage');
    expect(page.body).toContain(`<tr><th scope="row">${escapeLikeHandlebars(agency.name)}</th><td>2</td></tr>`);
  });

  it('draws the largest agencies as their own bars and the rest as one, while the table lists every agency', async () => {
    for (let index = 0; index < 16; index += 1) await createMember(site.t.db, { agency: await createAgency(site.t.db) });
    const agencies = (await csv('agencies')).slice(1);
    const rest = agencies.slice(15);
    const page = await site.admin.browser.get('/admin/usage');
    const chart = page.body.slice(page.body.indexOf('<svg'), page.body.indexOf('</svg>'));
    expect(chart.match(/<rect class="chart__bar"/g)).toHaveLength(16);
    expect(chart).toContain(`<title>${rest.length} other agencies: ${rest.reduce((sum, row) => sum + Number(row[1]), 0)}</title>`);
    for (const [name] of agencies) expect(page.body).toContain(`<th scope="row">${escapeLikeHandlebars(name!)}</th>`);
  });

  it('buckets a year of weeks in the site time zone, counting only posts members see, sign-ins, shares and joins', async () => {
    // 00:30 on a Monday in Sydney is Sunday afternoon in UTC: an hour earlier is the Sydney week
    // before, though the same UTC week.
    const { week, previousWeek, at } = await mondayHalfPastMidnight(10);
    const sundayNight = new Date(at.getTime() - HOUR);
    const before = await weeks();
    expect(before.size).toBe(52);
    expect([...before.keys()].at(-1)).toBe((await mondayHalfPastMidnight(0)).week);

    const poster = await createMember(site.t.db);
    const earlyPoster = await createMember(site.t.db);
    const sharer = await createMember(site.t.db);
    const signedIn = await createMember(site.t.db);
    await site.t.db.updateTable('members').set({ created_at: at }).where('id', '=', poster.id).execute();
    await site.t.db.updateTable('members').set({ created_at: sundayNight }).where('id', '=', earlyPoster.id).execute();

    const category = await createCategory(site.t.db);
    const [threadId] = await createThreads(site.t.db, category.id, poster.id, 1, at);
    const [hidden, held, deleted] = await addReplies(site.t.db, threadId!, poster.id, 3);
    const [early] = await addReplies(site.t.db, threadId!, earlyPoster.id, 1);
    await site.t.db.updateTable('posts').set({ created_at: at }).where('id', 'in', [hidden!, held!, deleted!]).execute();
    await site.t.db.updateTable('posts').set({ created_at: sundayNight }).where('id', '=', early!).execute();
    await site.t.db.updateTable('posts').set({ hidden_at: at }).where('id', '=', hidden!).execute();
    await site.t.db.updateTable('posts').set({ held_at: at, held_reason: 'first_posts' }).where('id', '=', held!).execute();
    await site.t.db.updateTable('posts').set({ deleted_at: at }).where('id', '=', deleted!).execute();
    // A post in a hidden thread is one members cannot see either.
    const [hiddenThread] = await createThreads(site.t.db, category.id, signedIn.id, 1, at);
    await site.t.db.updateTable('threads').set({ hidden_at: at }).where('id', '=', hiddenThread!).execute();

    await createResource(site.t.db, { sharer, createdAt: at });
    await createResource(site.t.db, { sharer: signedIn, createdAt: at, removed: true });
    await site.t.db.insertInto('audit_events').values([
      { actor_member_id: signedIn.id, action: 'signin.succeeded', target_type: 'member', target_id: String(signedIn.id), occurred_at: at },
      { actor_member_id: poster.id, action: 'signin.succeeded', target_type: 'member', target_id: String(poster.id), occurred_at: at },
      { actor_member_id: sharer.id, action: 'signin.failed', target_type: 'member', target_id: String(sharer.id), occurred_at: sundayNight },
    ]).execute();

    const after = await weeks();
    const change = (key: string) => {
      const was = before.get(key)!;
      const now = after.get(key)!;
      return { newMembers: now.newMembers - was.newMembers, posts: now.posts - was.posts, activeMembers: now.activeMembers - was.activeMembers, resources: now.resources - was.resources };
    };
    // The poster (posted and signed in: once), the sharer and the member who signed in.
    expect(change(week)).toEqual({ newMembers: 1, posts: 1, activeMembers: 3, resources: 1 });
    expect(change(previousWeek)).toEqual({ newMembers: 1, posts: 1, activeMembers: 1, resources: 0 });
    const page = await site.admin.browser.get('/admin/usage');
    expect(page.body).toMatch(new RegExp(`<tr data-week="${week}"><th scope="row">[^<]+</th><td data-label="New members">${after.get(week)!.newMembers}</td><td data-label="Posts">${after.get(week)!.posts}</td>`));
  });

  it('lists the most downloaded resources in the library, most first, leaving out removed and never downloaded ones', async () => {
    const sharer = await createMember(site.t.db);
    const most = await createResource(site.t.db, { sharer, downloadCount: 7, helpfulCount: 1 });
    const tied = await createResource(site.t.db, { sharer, downloadCount: 3, helpfulCount: 5 });
    const less = await createResource(site.t.db, { sharer, downloadCount: 3, helpfulCount: 0 });
    const removed = await createResource(site.t.db, { sharer, downloadCount: 100, removed: true });
    const never = await createResource(site.t.db, { sharer, downloadCount: 0 });

    const rows = await csv('resources');
    expect(rows[0]).toEqual(['Resource', 'Address', 'Downloads', 'Marked helpful']);
    const titles = rows.slice(1).map((row) => row[0]);
    expect(titles.indexOf(most.title)).toBeLessThan(titles.indexOf(tied.title));
    expect(titles.indexOf(tied.title)).toBeLessThan(titles.indexOf(less.title));
    expect(titles).not.toContain(removed.title);
    expect(titles).not.toContain(never.title);
    expect(rows.find((row) => row[0] === most.title)).toEqual([most.title, `/resources/${most.id}`, '7', '1']);
    expect(rows.length).toBeLessThanOrEqual(21);
  });

  it('shows an agency named as markup as inert text in the chart and the table', async () => {
    const agency = await createAgency(site.t.db, { name: `<script>alert(1)</script> ${randomBytes(3).toString('hex')}` });
    await createMember(site.t.db, { agency });
    const page = await site.admin.browser.get('/admin/usage');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('<script>alert(1)</script>');
    expect(page.body).toContain(`<title>&lt;script&gt;alert(1)&lt;/script&gt; ${agency.name.slice(-6)}: 1</title>`);
    expect(page.body).toContain(`<th scope="row">${escapeLikeHandlebars(agency.name)}</th>`);
  });
});

describe('GET /admin/usage/<chart>.csv', () => {
  it('sends each chart as an attachment with a header row', async () => {
    const expected = { agencies: ['Agency', 'Active members'], 'agency-types': ['Type of agency', 'Active members'], weekly: ['Week starting', 'New members', 'Posts', 'Active members', 'Resources shared'], resources: ['Resource', 'Address', 'Downloads', 'Marked helpful'] };
    for (const [chart, header] of Object.entries(expected)) {
      const response = await site.admin.browser.get(`/admin/usage/${chart}.csv`);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(response.headers['content-disposition']).toBe(`attachment; filename="usage-${chart}.csv"`);
      expect(csvRows(response.body)[0]).toEqual(header);
    }
    expect(csvRows((await site.admin.browser.get('/admin/usage/weekly.csv')).body)).toHaveLength(53);
  });

  it('neutralises a cell a spreadsheet would run as a formula', async () => {
    const name = `=cmd|' /C calc'!A0 ${randomBytes(3).toString('hex')}`;
    const agency = await createAgency(site.t.db, { name });
    await createMember(site.t.db, { agency });
    await createResource(site.t.db, { sharer: await createMember(site.t.db, { agency }), title: '+SUM(A1:A9)', downloadCount: 1 });
    const agencies = await site.admin.browser.get('/admin/usage/agencies.csv');
    expect(agencies.body).toContain(`"'${name}","2"\r\n`);
    expect(agencies.body).not.toMatch(/(^|\r\n)"=/);
    expect((await site.admin.browser.get('/admin/usage/resources.csv')).body).toContain(`"'+SUM(A1:A9)"`);
  });
});

describe('/admin/usage refuses', () => {
  it.each([
    ['a filter the page does not have', '?week=1'],
    ['a repeated filter', '?a=1&a=2'],
    ['a NUL', '?%00=%00'],
    ['markup', '?%3Cscript%3E=1'],
    ['SQL', "?q='%20or%201=1--"],
  ])('%s in the address with a 400 saying so, on the page and the CSV', async (_name, query) => {
    for (const path of ['/admin/usage', '/admin/usage/weekly.csv']) {
      const response = await site.admin.browser.get(`${path}${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain(escapeLikeHandlebars(M.usageFilterProblem(PAGE_MESSAGES.unexpectedFilter)));
      expect(response.headers['content-disposition']).toBeUndefined();
    }
  });

  it('an address the router cannot decode with its own 400, never a 500', async () => {
    for (const query of ['?a[b]=1', '?%', '?%E0%A4%A']) expect((await site.admin.browser.get(`/admin/usage${query}`)).statusCode).toBe(400);
  });

  it('a chart that does not exist with a 404', async () => {
    expect((await site.admin.browser.get('/admin/usage/members.csv')).statusCode).toBe(404);
    expect((await site.admin.browser.get('/admin/usage/..%2Fmembers.csv')).statusCode).toBe(404);
  });

  it('members and moderators with a 403, and visitors with the sign-in page', async () => {
    for (const role of ['member', 'moderator'] as const) {
      const { browser } = await memberWithBrowser(site.t.app, site.t.db, { role });
      expect((await browser.get('/admin/usage')).statusCode).toBe(403);
      expect((await browser.get('/admin/usage/agencies.csv')).statusCode).toBe(403);
    }
    const visitor = await new Browser(site.t.app).get('/admin/usage/agencies.csv');
    expect(visitor.statusCode).toBe(303);
    expect(visitor.headers.location).toBe(`/login?next=${encodeURIComponent('/admin/usage/agencies.csv')}`);
  });
});
