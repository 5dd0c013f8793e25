import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_MESSAGES as M } from '../../../src/features/resources/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { csrfOf, memberWithBrowser, postIdFrom, postReply, threadPageOf } from '../../support/discussions.js';
import { createAgency, type TestMember } from '../../support/members.js';
import { createResource, refusedWritingNothing, resourcePageOf, type TestResource } from '../../support/resources.js';

let t: TestApp;
let sharer: { member: TestMember; browser: Browser };
let reader: { member: TestMember; browser: Browser };
beforeAll(async () => {
  t = await buildTestApp({ env: { RATE_LIMIT_REACTIONS_PER_HOUR: '6' } });
  const agency = await createAgency(t.db, { name: 'Shire of Example', jurisdiction: 'local' });
  await t.db.updateTable('agencies').set({ agency_type: 'council' }).where('id', '=', agency.id).execute();
  sharer = await memberWithBrowser(t.app, t.db, { agency });
  reader = await memberWithBrowser(t.app, t.db);
});
afterAll(async () => t.close());

async function addFile(resourceId: number, fields: { name: string; contentType: string; byteSize: number; versionOf?: number; replaced?: boolean; uploadedAt?: Date }): Promise<number> {
  const row = await t.db
    .insertInto('files')
    .values({
      storage_key: 'a'.repeat(64),
      byte_size: fields.byteSize,
      content_type: fields.contentType,
      name: fields.name,
      resource_id: resourceId,
      version_of: fields.versionOf ?? null,
      replaced_at: fields.replaced ? sql`now()` : null,
      uploaded_by: sharer.member.id,
      uploaded_at: fields.uploadedAt ?? new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

describe('GET /resources/:id', () => {
  let caseStudy: TestResource;
  beforeAll(async () => {
    caseStudy = await createResource(t.db, { sharer: { id: sharer.member.id, agencyId: sharer.member.agencyId }, kind: 'case_study', title: 'Call-back queues for the rates line', tags: ['phones', 'queues'], initiativeTypes: ['service-delivery', 'digital-transformation'], externalUrl: 'https://example.gov.au/rates?x=1&y=2' });
  });

  it('goes to the address with its slug, keeping the query, and that address shows the resource', async () => {
    const redirect = await reader.browser.get(`/resources/${caseStudy.id}?from=home`);
    expect(redirect.statusCode).toBe(303);
    expect(redirect.headers.location).toBe(`/resources/${caseStudy.id}/call-back-queues-for-the-rates-line?from=home`);
    const wrongSlug = await reader.browser.get(`/resources/${caseStudy.id}/some-old-title`);
    expect(wrongSlug.headers.location).toBe(`/resources/${caseStudy.id}/call-back-queues-for-the-rates-line`);
  });

  it('shows the type, title, summary, agency and its type, initiative types, tags, sharer, link and the four sections', async () => {
    const page = await resourcePageOf(reader.browser, caseStudy.id);
    expect(page).toContain('<h1><bdi>Call-back queues for the rates line</bdi></h1>');
    expect(page).toContain('<span class="tag">Case study</span>');
    expect(page).toContain('How one agency keeps records of its social media posts.');
    expect(page).toContain('Shire of Example</a> · <a href="/resources?agency_type=council">Council</a> · <a href="/resources?jurisdiction=local">Local</a>');
    expect(page).toContain('<a href="/resources?initiative=service-delivery">Service delivery</a></li><li><a href="/resources?initiative=digital-transformation">Digital transformation</a>');
    expect(page).toContain('<a href="/resources?tag=phones">phones</a>');
    expect(page).toContain(`<a href="/u/${sharer.member.handle}"><bdi>${sharer.member.displayName}</bdi></a>`);
    expect(page).toContain('href="https://example.gov.au/rates?x&#x3D;1&amp;y&#x3D;2" rel="noopener noreferrer nofollow"');
    const headings = [...page.matchAll(/<h2 id="section-[a-z]+">([^<]+)<\/h2>/g)].map((match) => match[1]);
    expect(headings).toEqual(['Context', 'What was done', 'Outcome', 'Lessons learned']);
    expect(page).toContain('Callers waited <strong>40 minutes</strong> on average.');
    // Not the sharer, not staff: no edit, remove or feature.
    expect(page).not.toContain(`/resources/${caseStudy.id}/edit`);
    expect(page).not.toContain('Feature in the library');
  });

  it('lists the current version of each file, linked to its download address with its type and size, and the earlier versions under it', async () => {
    const resource = await createResource(t.db, { sharer: { id: sharer.member.id, agencyId: sharer.member.agencyId }, title: 'A template with files' });
    const first = await addFile(resource.id, { name: 'budget v1.xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', byteSize: 20_480, replaced: true, uploadedAt: new Date(Date.now() - 60_000) });
    const second = await addFile(resource.id, { name: 'budget v2.xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', byteSize: 2_621_440, versionOf: first });
    const pdf = await addFile(resource.id, { name: 'guide ‮fdp.exe', contentType: 'application/pdf', byteSize: 812 });
    const page = await resourcePageOf(reader.browser, resource.id);
    expect(page).toContain(`<a href="/files/${second}/budget-v2.xlsx"><bdi>budget v2.xlsx</bdi></a> <span class="meta">Excel workbook, 2.5 MB</span>`);
    expect(page).toContain(`<a href="/files/${first}/budget-v1.xlsx"><bdi>budget v1.xlsx</bdi></a> <span class="meta">Excel workbook, 20 KB, uploaded`);
    expect(page).toContain(`<a href="/files/${pdf}/guide-fdp.exe"><bdi>guide ‮fdp.exe</bdi></a> <span class="meta">PDF, 812 bytes</span>`);
    expect(page.indexOf('budget v2.xlsx')).toBeLessThan(page.indexOf('budget v1.xlsx'));
  });

  it('shows the discussion’s replies with a reply form that posts to the thread', async () => {
    const replyResponse = await postReply(reader.browser, caseStudy.threadId, { body: 'We tried this too, with **good** results.' });
    expect(replyResponse.statusCode).toBe(303);
    const page = await resourcePageOf(reader.browser, caseStudy.id);
    expect(page).toContain(`id="post-${postIdFrom(replyResponse.headers.location)}"`);
    expect(page).toContain('We tried this too, with <strong>good</strong> results.');
    // The thread's opening post (the link back here) is not repeated.
    expect(page).not.toContain('About <a href="/resources/');
    expect(page).toContain(`<form method="post" action="/t/${caseStudy.threadId}/reply" id="reply" novalidate>`);
    expect(page).toContain(`/t/${caseStudy.threadId}/call-back-queues-for-the-rates-line?reply_to=`);
    expect(await threadPageOf(reader.browser, caseStudy.threadId)).toContain(`This thread discusses the resource <a href="/resources/${caseStudy.id}">`);
  });

  it('answers 404 for an id that names nothing, or is not an id', async () => {
    for (const path of ['/resources/999999999', '/resources/0', '/resources/abc', "/resources/1'--", '/resources/99999999999999999999', '/resources/1%00', '/resources/new/x']) {
      expect((await reader.browser.get(path)).statusCode, path).toBe(404);
    }
  });

  it('is 404 for members once removed, and shown to staff marked as removed', async () => {
    const removed = await createResource(t.db, { sharer: { id: sharer.member.id, agencyId: sharer.member.agencyId }, title: 'A removed resource', removed: true });
    expect((await reader.browser.get(`/resources/${removed.id}`)).statusCode).toBe(404);
    expect((await sharer.browser.get(`/resources/${removed.id}/a-removed-resource`)).statusCode).toBe(404);
    const moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const page = await resourcePageOf(moderator.browser, removed.id);
    expect(page).toContain('<strong>Removed.</strong> This resource was removed from the library');
    expect(page).not.toContain('Feature in the library');
    // The thread's banner no longer links to a resource members cannot open.
    expect(await threadPageOf(reader.browser, removed.threadId)).not.toContain('<p class="lead">This thread discusses the resource');
  });
});

describe('POST /resources/:id/helpful', () => {
  let resource: TestResource;
  beforeAll(async () => {
    resource = await createResource(t.db, { sharer: { id: sharer.member.id, agencyId: sharer.member.agencyId }, title: 'A helpful guide' });
  });
  const helpfulCount = async () => (await t.db.selectFrom('resources').select('helpful_count').where('id', '=', resource.id).executeTakeFirstOrThrow()).helpful_count;

  it('gives the reaction once however often it is sent, shows it pressed, and takes it back', async () => {
    const member = await memberWithBrowser(t.app, t.db);
    const csrf = await csrfOf(member.browser);
    const responses = await Promise.all(Array.from({ length: 3 }, () => member.browser.post(`/resources/${resource.id}/helpful`, { _csrf: csrf, helpful: 'yes' })));
    expect(responses.map((r) => r.statusCode)).toEqual([303, 303, 303]);
    expect(responses[0]!.headers.location).toBe(`/resources/${resource.id}/a-helpful-guide#helpful`);
    expect(await helpfulCount()).toBe(1);
    const page = await resourcePageOf(member.browser, resource.id);
    expect(page).toContain('name="helpful" value="no" class="post__button" aria-pressed="true"');
    expect(page).toContain('1 member found this helpful');
    expect((await member.browser.post(`/resources/${resource.id}/helpful`, { _csrf: csrf, helpful: 'no' })).statusCode).toBe(303);
    expect(await helpfulCount()).toBe(0);
  });

  it('refuses the sharer (403), a bad value (422), a removed resource (404) and a visitor (403), writing nothing', async () => {
    const csrf = await csrfOf(sharer.browser);
    const cases: [Browser, string, Record<string, string>, number, string | undefined][] = [
      [sharer.browser, `/resources/${resource.id}/helpful`, { _csrf: csrf, helpful: 'yes' }, 403, M.helpfulOwn],
      [sharer.browser, `/resources/${resource.id}/helpful`, { _csrf: csrf, helpful: "yes' OR 1=1" }, 422, M.badHelpful],
      [sharer.browser, `/resources/${resource.id}/helpful`, { _csrf: csrf, helpful: 'yes', member_id: '1' }, 422, 'The form contained a field Commons does not expect'],
      [sharer.browser, '/resources/999999/helpful', { _csrf: csrf, helpful: 'yes' }, 404, undefined],
      [new Browser(t.app), `/resources/${resource.id}/helpful`, { helpful: 'yes' }, 403, undefined],
    ];
    for (const [browser, path, fields, status, message] of cases) await refusedWritingNothing(t.db, () => browser.post(path, fields), status, message);
    const removed = await createResource(t.db, { sharer: { id: sharer.member.id, agencyId: sharer.member.agencyId }, removed: true });
    expect((await reader.browser.post(`/resources/${removed.id}/helpful`, { _csrf: await csrfOf(reader.browser), helpful: 'yes' })).statusCode).toBe(404);
  });

  it('stops a member past the hourly reactions limit (429), counted with posts’ reactions', async () => {
    const member = await memberWithBrowser(t.app, t.db);
    const csrf = await csrfOf(member.browser);
    for (let i = 0; i < 6; i += 1) expect((await member.browser.post(`/resources/${resource.id}/helpful`, { _csrf: csrf, helpful: i % 2 === 0 ? 'yes' : 'no' })).statusCode).toBe(303);
    const response = await refusedWritingNothing(t.db, () => member.browser.post(`/resources/${resource.id}/helpful`, { _csrf: csrf, helpful: 'yes' }), 429, M.reactionsLimited);
    expect(response.headers['retry-after']).toBeDefined();
  });
});
