import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_MESSAGES as M } from '../../../src/features/resources/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';
import type { TestMember } from '../../support/members.js';
import { guideFields, refusedWritingNothing, resourceIdFrom, resourcePageOf, shareThroughForm } from '../../support/resources.js';

let t: TestApp;
let member: { member: TestMember; browser: Browser };
beforeAll(async () => {
  // One member shares everything here: their first-day limit must not get in the way.
  t = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
  member = await memberWithBrowser(t.app, t.db);
});
afterAll(async () => t.close());

const refused = <R extends { statusCode: number; body: string }>(send: () => Promise<R>, status: number, message?: string) => refusedWritingNothing(t.db, send, status, message);

const good = (fields: Record<string, string | string[]> = {}) => guideFields(member.member.agencyId, fields);
// A case study's fields over the good guide's (plain values: it.each reads them before the member exists).
const caseStudy = (fields: Record<string, string | string[]> = {}) => ({ kind: 'case_study', context: 'Calls waited.', approach: 'A call-back queue.', outcome: 'Shorter waits.', lessons: 'Say where callers are in the queue.', ...fields });

describe('POST /resources/new refuses bad input, re-fills the form and writes nothing', () => {
  it.each([
    ['no type', { kind: '' }, M.kindRequired],
    ['a type that is not one', { kind: 'video' }, M.kindRequired],
    ['two types', { kind: ['guide', 'template'] }, M.kindRequired],
    ['no title', { title: '' }, M.titleRequired],
    ['a title of only zero-width characters', { title: '\u200B\u200D\uFEFF' }, M.titleRequired],
    ['a title of four characters', { title: 'Tips' }, M.titleTooShort],
    ['a title of 151 characters', { title: 'x'.repeat(151) }, 'Title must be at most 150 characters (it is 151)'],
    ['a title with a NUL', { title: 'Archiving\0 posts' }, 'Title must not contain NUL characters'],
    ['a title on two lines', { title: 'Archiving\nposts' }, 'Title must be on one line'],
    ['no summary', { summary: '   ' }, M.summaryRequired],
    ['a summary of 601 characters', { summary: 's'.repeat(601) }, 'Summary must be at most 600 characters (it is 601)'],
    ['a summary with a NUL', { summary: 'A guide\0' }, 'Summary must not contain NUL characters'],
    ['a description of 32,001 characters', { body: 'b'.repeat(32_001) }, 'Description must be at most 32,000 characters (it is 32,001)'],
    ['a description with a NUL', { body: 'Capture\0 it' }, 'Description must not contain NUL characters'],
    ['no initiative type', { initiative_types: [] }, M.initiativeTypesRequired],
    ['an initiative type that is not a slug', { initiative_types: ["x'); drop table resources;--"] }, M.badInitiativeType],
    ['21 initiative types', { initiative_types: Array.from({ length: 21 }, (_, i) => `type-${i}`) }, M.badInitiativeType],
    ['an initiative type that does not exist', { initiative_types: ['service-delivery', 'time-travel'] }, M.unknownInitiativeType],
    ['no agency', { agency: '' }, M.agencyRequired],
    ['an agency that is not a number', { agency: '1 OR 1=1' }, M.agencyRequired],
    ['two agencies', { agency: ['1', '2'] }, M.agencyRequired],
    ['an agency that does not exist', { agency: '999999999' }, M.unknownAgency],
    ['a javascript: link', { external_url: 'javascript:alert(1)' }, M.badLink],
    ['a JaVaScRiPt: link', { external_url: 'JaVaScRiPt:alert(document.cookie)' }, M.badLink],
    ['a javascript: link behind spaces', { external_url: '  javascript:alert(1)' }, M.badLink],
    ['a data: link', { external_url: 'data:text/html,<script>alert(1)</script>' }, M.badLink],
    ['a scheme-relative link', { external_url: '//evil.example/x' }, M.badLink],
    ['a link with a user name in it', { external_url: 'https://www.gov.au@evil.example/' }, M.badLink],
    ['an ftp link', { external_url: 'ftp://files.gov.au/x' }, M.badLink],
    ['a link with a space in its host', { external_url: 'https://exa mple.gov.au/' }, M.badLink],
    ['a link of 2,001 characters', { external_url: `https://example.gov.au/${'p'.repeat(1978)}` }, 'Link must be at most 2,000 characters (it is 2,001)'],
    ['a link resource without its link', { kind: 'link', external_url: '' }, M.linkNeeded],
    ['11 tags', { tags: 'a,b,c,d,e,f,g,h,i,j,k' }, M.tooManyTags(10)],
    ['a tag of 41 characters', { tags: `records, ${'t'.repeat(41)}` }, M.tagTooLong('t'.repeat(41), 40)],
    ['a tag with no letters a–z', { tags: 'records, 日本' }, M.tagWithoutLetters('日本')],
    ['a case study without its outcome', { ...caseStudy({ outcome: '' }) }, M.sectionRequired('Outcome')],
    ['a case study without any section', { kind: 'case_study' }, M.sectionRequired('Context')],
    ['a guide with a lessons section', { lessons: 'Start early.' }, M.sectionOnlyForCaseStudies('Lessons learned')],
    ['a section of 16,001 characters', { ...caseStudy({ context: 'c'.repeat(16_001) }) }, 'Context must be at most 16,000 characters (it is 16,001)'],
    ['a sharer_id field', { sharer_id: '1' }, 'The form contained a field Commons does not expect'],
    ['a featured_at field', { featured_at: '2026-01-01' }, 'The form contained a field Commons does not expect'],
  ])('%s (422)', async (_case, fields, message) => {
    const response = await refused(() => shareThroughForm(member.browser, good(fields as Record<string, string | string[]>)), 422, message);
    // The form comes back with what was typed, and the initiative types still ticked.
    expect(response.body).toContain('<h1>Share a resource</h1>');
    if (!('title' in fields)) expect(response.body).toContain('value="Archiving social media posts"');
    if (!('initiative_types' in fields)) expect(response.body).toMatch(/value="service-delivery" checked/);
  });

  it('refuses a __proto__ field (400)', async () => {
    await refused(() => shareThroughForm(member.browser, good({ '__proto__[x]': 'y' })), 400);
  });

  it('refuses a title that is not valid UTF-8 (400)', async () => {
    const hidden = await member.browser.openForm('/resources/new');
    const { title: _title, ...rest } = good();
    const body = `${new URLSearchParams({ ...hidden, ...(rest as Record<string, string>), initiative_types: 'service-delivery' }).toString()}&title=Archiv%FF%FEing`;
    await refused(() => member.browser.postRaw('/resources/new', body), 400, 'not valid text');
  });

  it('refuses a form without its token, and one from another site', async () => {
    const hidden = await member.browser.openForm('/resources/new');
    await refused(() => member.browser.post('/resources/new', { _csrf: hidden._csrf!, ...good() }), 422, 'This form is missing its token');
    await refused(() => member.browser.post('/resources/new', { ...hidden, ...good() }, { origin: 'https://evil.example' }), 403);
    await refused(() => member.browser.post('/resources/new', { form_token: hidden.form_token!, ...good() }), 403);
  });

  it('refuses a visitor, who is sent to sign in for the form', async () => {
    const visitor = new Browser(t.app);
    expect((await visitor.get('/resources/new')).headers.location).toBe('/login?next=%2Fresources%2Fnew');
    const response = await refused(() => visitor.post('/resources/new', { ...good(), form_token: crypto.randomUUID() }), 403);
    expect(response.body).not.toContain('Archiving social media posts');
  });
});

describe('hostile text is kept as text and shown inert', () => {
  it('escapes script tags in the title, summary and tags, and strips them from the Markdown', async () => {
    const script = '<script>alert(1)</script>';
    const response = await shareThroughForm(
      member.browser,
      good(caseStudy({ title: `${script} Guide`, summary: `${script} summary`, body: `${script}\n\n<img src=x onerror=alert(1)>`, context: `[click](javascript:alert(1)) ${script}`, tags: `${script}, ok` })),
    );
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
    const id = resourceIdFrom(response.headers.location);
    const page = await resourcePageOf(member.browser, id);
    expect(page).not.toContain('<script>alert');
    expect(page).not.toMatch(/href="javascript:/i);
    expect(page).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Guide');
    const tags = await t.db.selectFrom('resource_tags').select('tag').where('resource_id', '=', id).orderBy('tag').execute();
    expect(tags.map((row) => row.tag)).toEqual(['ok', 'script-alert-1-script']);
  });

  it('stores SQL metacharacters in every text field exactly as typed', async () => {
    const sqlText = "Robert'); DROP TABLE resources;-- and 1=1 OR ''='";
    const response = await shareThroughForm(member.browser, good(caseStudy({ title: sqlText, summary: sqlText, body: sqlText, context: sqlText, approach: sqlText, outcome: sqlText, lessons: sqlText, tags: sqlText, external_url: `https://example.gov.au/?q=${encodeURIComponent(sqlText)}` })));
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
    const id = resourceIdFrom(response.headers.location);
    const stored = await t.db.selectFrom('resources').select(['title', 'summary', 'body_source', 'context_source', 'lessons_source']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored).toEqual({ title: sqlText, summary: sqlText, body_source: sqlText, context_source: sqlText, lessons_source: sqlText });
    const tags = await t.db.selectFrom('resource_tags').select('tag').where('resource_id', '=', id).execute();
    expect(tags).toEqual([{ tag: 'robert-drop-table-resources-and-1-1-or' }]);
    expect(await resourcePageOf(member.browser, id)).toContain('Robert&#x27;); DROP TABLE resources;-- and 1&#x3D;1');
  });
});
