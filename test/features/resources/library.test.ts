import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.js';
import { RESOURCE_MESSAGES as M } from '../../../src/features/resources/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { createTestDatabase } from '../../support/database.js';
import { memberWithBrowser, postReply } from '../../support/discussions.js';
import { createAgency, type TestMember } from '../../support/members.js';
import { createResource, type ResourceOptions } from '../../support/resources.js';
import { TestClock } from '../../support/clock.js';
import { StatementRecorder } from '../../support/statements.js';

const recorder = new StatementRecorder();
const clock = new TestClock();
let database: Database;
let t: TestApp;
let reader: Browser;
let moderator: Browser;
const agencies: Record<'alpha' | 'beta' | 'gamma', number> = { alpha: 0, beta: 0, gamma: 0 };

const DAY = 86_400_000;
beforeAll(async () => {
  database = await createTestDatabase();
  t = await buildTestApp({ database: { ...database, db: database.db.withPlugin(recorder.plugin) }, now: clock.now });
  const setting = [
    ['alpha', 'Department of Alpha', 'commonwealth', 'department'],
    ['beta', 'Shire of Beta', 'local', 'council'],
    ['gamma', 'Regulator of Gamma', 'state', 'regulator'],
  ] as const;
  const sharers: Record<string, TestMember> = {};
  for (const [key, name, jurisdiction, type] of setting) {
    const agency = await createAgency(t.db, { name, jurisdiction });
    await t.db.updateTable('agencies').set({ agency_type: type }).where('id', '=', agency.id).execute();
    agencies[key] = agency.id;
    sharers[key] = (await memberWithBrowser(t.app, t.db, { agency })).member;
  }
  const share = (key: keyof typeof agencies, daysAgo: number, options: Omit<ResourceOptions, 'sharer'>) =>
    createResource(t.db, { sharer: { id: sharers[key]!.id, agencyId: agencies[key] }, createdAt: new Date(Date.now() - daysAgo * DAY), ...options });
  await share('alpha', 5, { title: 'Alpha records guide', kind: 'guide', tags: ['records', 'social-media'], initiativeTypes: ['service-delivery'], downloadCount: 10, helpfulCount: 1 });
  await share('beta', 4, { title: 'Beta queue case study', kind: 'case_study', tags: ['records'], initiativeTypes: ['service-delivery', 'digital-transformation'], downloadCount: 3, helpfulCount: 5 });
  await share('gamma', 3, { title: 'Gamma budget template', kind: 'template', tags: ['budget'], initiativeTypes: ['corporate-and-back-office'], downloadCount: 7 });
  await share('beta', 2, { title: 'Beta engagement guide', kind: 'guide', tags: ['social-media'], initiativeTypes: ['engagement-and-communication'], helpfulCount: 2 });
  await share('alpha', 1, { title: 'Alpha removed guide', kind: 'guide', tags: ['records'], initiativeTypes: ['service-delivery'], removed: true });
  reader = (await memberWithBrowser(t.app, t.db)).browser;
  moderator = (await memberWithBrowser(t.app, t.db, { role: 'moderator' })).browser;
}, 60_000);
afterAll(async () => {
  await t.close();
  await database.close();
});

/** The titles listed under "All resources" / "Matching resources", in order. */
function listed(html: string): string[] {
  const results = /<h2 id="results-heading">[\s\S]*<\/section>/.exec(html)?.[0] ?? '';
  return [...results.matchAll(/<p class="resource-list__title">.*?<bdi>([^<]+)<\/bdi>/g)].map((match) => match[1]!);
}

/** A facet's links as "label (count)", in order. */
function facet(html: string, legend: string): string[] {
  const list = new RegExp(`<h3 class="facets__heading">${legend}</h3>\\s*<ul class="facets__list">([\\s\\S]*?)</ul>`).exec(html)?.[1] ?? '';
  return [...list.matchAll(/<a href="[^"]*"[^>]*>([^<]+)<\/a> <span class="facets__count">\((\d+)\)<\/span>/g)].map((match) => `${match[1]} (${match[2]})`);
}

async function library(query: string, browser = reader): Promise<string> {
  const response = await browser.get(`/resources${query}`);
  expect(response.statusCode, response.body.slice(0, 500)).toBe(200);
  return response.body;
}

describe('GET /resources', () => {
  it('lists what members may see, newest first, with counts for every facet', async () => {
    const page = await library('');
    expect(listed(page)).toEqual(['Beta engagement guide', 'Gamma budget template', 'Beta queue case study', 'Alpha records guide']);
    expect(page).toContain('All resources (4)');
    expect(facet(page, 'Type')).toEqual(['Case study (1)', 'Guide (2)', 'Template (1)']);
    expect(facet(page, 'Initiative type')).toEqual(['Service delivery (2)', 'Corporate and back-office (1)', 'Engagement and communication (1)', 'Digital transformation (1)']);
    expect(facet(page, 'Tag')).toEqual(['records (2)', 'social-media (2)', 'budget (1)']);
    expect(facet(page, 'Agency')).toEqual(['Shire of Beta (2)', 'Department of Alpha (1)', 'Regulator of Gamma (1)']);
    expect(facet(page, 'Type of agency')).toEqual(['Department (1)', 'Regulator (1)', 'Council (2)']);
    expect(facet(page, 'Jurisdiction')).toEqual(['Commonwealth (1)', 'State (1)', 'Local (2)']);
  });

  it('shows staff the removed ones too, marked, in the list and the counts', async () => {
    const page = await library('', moderator);
    expect(listed(page)[0]).toBe('Alpha removed guide');
    expect(page).toContain('<span class="tag tag--removed">Removed</span>');
    expect(facet(page, 'Type')).toContain('Guide (3)');
  });

  it('combines filters, and counts each facet over the other filters', async () => {
    const guides = await library('?type=guide');
    expect(listed(guides)).toEqual(['Beta engagement guide', 'Alpha records guide']);
    expect(guides).toContain('Matching resources (2)');
    // The type facet ignores the type filter; the others count guides only.
    expect(facet(guides, 'Type')).toEqual(['Case study (1)', 'Guide (2)', 'Template (1)']);
    expect(facet(guides, 'Tag')).toEqual(['social-media (2)', 'records (1)']);
    expect(guides).toContain('<a href="/resources?type&#x3D;guide&amp;tag&#x3D;records">records</a>');
    expect(guides).toContain('Type: <strong>Guide</strong> <a href="/resources">Remove');

    const councilGuides = await library('?type=guide&agency_type=council');
    expect(listed(councilGuides)).toEqual(['Beta engagement guide']);
    expect(facet(councilGuides, 'Type')).toEqual(['Case study (1)', 'Guide (1)']);
    expect(facet(councilGuides, 'Type of agency')).toEqual(['Department (1)', 'Council (1)']);

    expect(listed(await library('?initiative=service-delivery&jurisdiction=commonwealth'))).toEqual(['Alpha records guide']);
    expect(listed(await library(`?agency=${agencies.beta}&tag=records`))).toEqual(['Beta queue case study']);
    expect(listed(await library('?tag=Social Media'))).toEqual(['Beta engagement guide', 'Alpha records guide']);
    expect(listed(await library('?tag=records', moderator))).toEqual(['Alpha removed guide', 'Beta queue case study', 'Alpha records guide']);
  });

  it('keeps a chosen value that nothing matches in the form, and says nothing matches', async () => {
    const page = await library('?type=policy&agency_type=council');
    expect(listed(page)).toEqual([]);
    expect(page).toContain(M.noResources);
    expect(page).toContain('<option value="policy" selected>Policy (0)</option>');
  });

  it('treats the GET form’s empty fields as no filter, and ignores parameters it does not know', async () => {
    const page = await library('?type=&initiative=&agency=&agency_type=&jurisdiction=&tag=&sort=newest&utm_source=email');
    expect(listed(page)).toHaveLength(4);
    expect(page).toContain('All resources (4)');
  });

  it('sorts by most downloaded and most helpful', async () => {
    expect(listed(await library('?sort=downloads'))).toEqual(['Alpha records guide', 'Gamma budget template', 'Beta queue case study', 'Beta engagement guide']);
    expect(listed(await library('?sort=helpful'))).toEqual(['Beta queue case study', 'Beta engagement guide', 'Alpha records guide', 'Gamma budget template']);
    expect(await library('?sort=helpful&type=guide')).toContain('<a href="/resources?type&#x3D;guide&amp;sort&#x3D;downloads">Most downloaded</a>');
  });

  it.each([
    ['page=-1', M.badPage],
    ['page=0', M.badPage],
    ['page=1.5', M.badPage],
    ['page=1&page=2', M.badPage],
    ['sort=oldest', M.badSort],
    ['sort=newest&sort=helpful', M.oneValueEach],
    ["sort=newest'; DROP TABLE resources;--", M.badSort],
    ['type=video', M.badType],
    ['type=guide&type=template', M.oneValueEach],
    ['initiative=time-travel', M.noSuchInitiativeType],
    ["initiative=x'%20OR%201=1--", M.noSuchInitiativeType],
    ['agency=999999999', M.noSuchAgency],
    ['agency=1%20OR%201=1', M.badAgency],
    ['agency_type=ministry', M.badAgencyType],
    ['jurisdiction=mars', M.badJurisdiction],
    ['tag=%E6%97%A5%E6%9C%AC', M.badTag],
    [`tag=${'t'.repeat(41)}`, M.badTag],
    // SECURITY.md row 4: a NUL is refused, not quietly dropped.
    ['tag=a%00b', M.badTag],
  ])('answers ?%s with 400 and says what was wrong', async (query, message) => {
    const response = await reader.get(`/resources?${query}`);
    expect(response.statusCode, response.body.slice(0, 300)).toBe(400);
    expect(response.body).toContain(message.replace(/'/g, '&#x27;'));
  });

  it('answers a tag nobody uses, SQL metacharacters and all, with an empty list', async () => {
    const page = await library(`?tag=${encodeURIComponent("' OR 1=1 --")}`);
    expect(listed(page)).toEqual([]);
    expect(page).toContain('Tag: <strong>or-1-1</strong>');
    expect(page).toContain(M.noResources);
  });

  it('sends a visitor to sign in', async () => {
    const response = await new Browser(t.app).get('/resources?type=guide');
    expect(response.headers.location).toBe('/login?next=%2Fresources%3Ftype%3Dguide');
  });

  it('runs three statements for a view not kept, however many filters (the session, the counts with the page’s ids, the page), and two for a kept one (the session, the version)', async () => {
    // Moving the clock on also makes the site settings' copy stale: their read (at most one every
    // five seconds, src/site-settings.ts) is the instance's, not the page's.
    const pageStatements = async (query: string) => (await recorder.during(() => library(query))).filter((text) => !/"setting_overrides"/.test(text));
    for (const query of ['', '?type=guide&initiative=service-delivery&agency_type=department', `?tag=records&agency=${agencies.alpha}&jurisdiction=commonwealth&sort=helpful`]) {
      clock.advance(31_000);
      expect(await pageStatements(query), query).toHaveLength(3);
      expect(await pageStatements(query), query).toHaveLength(2);
    }
  });
});

describe('pages of the library', () => {
  it('shows 24 a page, keeps the filters in the page links, and answers 404 past the last page', async () => {
    const sharer = await memberWithBrowser(t.app, t.db);
    for (let i = 1; i <= 30; i += 1) {
      await createResource(t.db, { sharer: { id: sharer.member.id, agencyId: sharer.member.agencyId }, title: `Paged resource ${String(i).padStart(2, '0')}`, tags: ['paging'], createdAt: new Date(Date.now() - (100 + i) * 60_000) });
    }
    const first = await library('?tag=paging');
    expect(listed(first)).toHaveLength(24);
    expect(listed(first)[0]).toBe('Paged resource 01');
    expect(first).toContain('href="/resources?tag&#x3D;paging&amp;page&#x3D;2"');
    const second = await library('?tag=paging&page=2');
    expect(listed(second)).toEqual(['Paged resource 25', 'Paged resource 26', 'Paged resource 27', 'Paged resource 28', 'Paged resource 29', 'Paged resource 30']);
    expect((await reader.get('/resources?tag=paging&page=3')).statusCode).toBe(404);
    expect((await reader.get('/resources?tag=paging&page=999999999999999')).statusCode).toBe(404);
  });
});

describe('views kept between requests', () => {
  it('keeps a view while the library’s version holds, and counts again once a change moves it', async () => {
    await library('?type=template');
    const kept = await recorder.during(() => library('?type=template'));
    expect(kept.filter((text) => /resource_library_version/.test(text))).toHaveLength(1);
    expect(kept.filter((text) => /matching/.test(text))).toHaveLength(0);
    const sharer = await memberWithBrowser(t.app, t.db);
    await createResource(t.db, { sharer: { id: sharer.member.id, agencyId: sharer.member.agencyId }, kind: 'template', title: 'A newer template' });
    const page = await library('?type=template');
    expect(listed(page)).toEqual(['A newer template', 'Gamma budget template']);
    expect(facet(page, 'Type')).toContain('Template (2)');
  });

  it('shows a kept view to another member with their own name, token and notice, none of the first one’s', async () => {
    const first = await memberWithBrowser(t.app, t.db);
    const second = await memberWithBrowser(t.app, t.db);
    const tokenOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    const firstPage = await library('?tag=budget', first.browser);
    const secondPage = await library('?tag=budget', second.browser);
    expect(await recorder.during(() => library('?tag=budget', second.browser))).toHaveLength(2);
    expect(listed(secondPage)).toEqual(['Gamma budget template']);
    expect(secondPage).toContain(second.member.displayName);
    expect(secondPage).not.toContain(first.member.displayName);
    expect(tokenOf(secondPage)).toBeDefined();
    expect(tokenOf(secondPage)).not.toBe(tokenOf(firstPage));
  });

  it('keeps a view apart for each time zone', async () => {
    const sydney = await memberWithBrowser(t.app, t.db);
    const perth = await memberWithBrowser(t.app, t.db);
    await t.db.updateTable('members').set({ time_zone: 'Australia/Perth' }).where('id', '=', perth.member.id).execute();
    const timeOf = (html: string) => /<time datetime="[^"]+"[^>]*>([^<]+)<\/time>/.exec(html)?.[1];
    const inSydney = timeOf(await library('?tag=budget', sydney.browser));
    const inPerth = timeOf(await library('?tag=budget', perth.browser));
    expect(inSydney).toBeDefined();
    expect(inPerth).toBeDefined();
    expect(inPerth).not.toBe(inSydney);
  });

  it('reorders by helpfulness, which leaves the version alone, within half a minute', async () => {
    expect(listed(await library('?sort=helpful&tag=records'))).toEqual(['Beta queue case study', 'Alpha records guide']);
    await t.db.updateTable('resources').set({ helpful_count: 100 }).where('title', '=', 'Alpha records guide').execute();
    expect(listed(await library('?sort=helpful&tag=records'))).toEqual(['Beta queue case study', 'Alpha records guide']);
    clock.advance(31_000);
    expect(listed(await library('?sort=helpful&tag=records'))).toEqual(['Alpha records guide', 'Beta queue case study']);
  });
});

describe('a resource page', () => {
  it('runs the same statements whatever its files and replies', async () => {
    const member = await memberWithBrowser(t.app, t.db);
    const sharer = { id: member.member.id, agencyId: member.member.agencyId };
    const bare = await createResource(t.db, { sharer, title: 'A bare resource' });
    const busy = await createResource(t.db, { sharer, title: 'A busy resource', tags: ['a', 'b', 'c'], initiativeTypes: ['service-delivery', 'staff-capability', 'data-and-reporting'] });
    await t.db
      .insertInto('files')
      .values(Array.from({ length: 4 }, (_, i) => ({ storage_key: 'b'.repeat(64), byte_size: 100 + i, content_type: 'application/pdf', name: `file-${i}.pdf`, resource_id: busy.id, uploaded_by: member.member.id })))
      .execute();
    for (let i = 0; i < 2; i += 1) {
      const replier = await memberWithBrowser(t.app, t.db);
      expect((await postReply(replier.browser, busy.threadId, { body: `Reply ${i}` })).statusCode).toBe(303);
      expect((await postReply(replier.browser, bare.threadId, { body: `Reply ${i}` })).statusCode).toBe(303);
    }
    const statementsOf = async (id: number, slug: string) => {
      await reader.get(`/resources/${id}/${slug}`);
      return recorder.during(async () => expect((await reader.get(`/resources/${id}/${slug}`)).statusCode).toBe(200));
    };
    const bareStatements = await statementsOf(bare.id, 'a-bare-resource');
    expect(await statementsOf(busy.id, 'a-busy-resource')).toEqual(bareStatements);
    // The session, the resource with its files, its thread, the thread's first page of posts
    // (whose files are read only when some post has any).
    expect(bareStatements).toHaveLength(4);
  });
});
