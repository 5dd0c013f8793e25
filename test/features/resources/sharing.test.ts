import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_MESSAGES as M } from '../../../src/features/resources/messages.js';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { csrfOf, memberWithBrowser, threadPageOf } from '../../support/discussions.js';
import { createAgency } from '../../support/members.js';
import { guideFields, refusedWritingNothing, resourceIdFrom, resourcePageOf, shareThroughForm } from '../../support/resources.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '3' } });
});
afterAll(async () => t.close());

const caseStudySections = { context: 'Callers waited **40 minutes**.', approach: 'We added a call-back queue.', outcome: 'Waits fell to 6 minutes.', lessons: 'Tell callers where they are in the queue.' };

describe('GET /resources/new', () => {
  it('offers the seven types, the initiative types and the agencies, with the member’s own agency chosen', async () => {
    const agency = await createAgency(t.db, { name: 'Department of Testing', jurisdiction: 'commonwealth' });
    const { browser } = await memberWithBrowser(t.app, t.db, { agency });
    const page = await browser.get('/resources/new');
    expect(page.statusCode).toBe(200);
    for (const kind of ['Case study', 'Guide', 'Template', 'Policy', 'Presentation', 'Link', 'Other']) expect(page.body).toContain(`> ${kind}</label>`);
    expect(page.body).toContain('<input type="checkbox" name="initiative_types" value="digital-transformation"> Digital transformation</label>');
    expect(page.body).toContain(`<option value="${agency.id}" selected>Department of Testing (your agency)</option>`);
    expect(page.body).toContain('<optgroup label="Commonwealth">');
    for (const label of ['Context', 'What was done', 'Outcome', 'Lessons learned']) expect(page.body).toContain(`>${label}</label>`);
  });
});

describe('POST /resources/new', () => {
  it('shares a guide with its discussion thread, tags and initiative types, in the member’s agency', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const response = await shareThroughForm(browser, guideFields(member.agencyId, { tags: 'Records, Social   Media, records, Évaluation', external_url: 'HTTPS://www.example.gov.au/guide' }));
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
    const id = resourceIdFrom(response.headers.location);
    expect(response.headers.location).toBe(`/resources/${id}/archiving-social-media-posts`);

    const resource = await t.db.selectFrom('resources').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(resource).toMatchObject({ kind: 'guide', title: 'Archiving social media posts', sharer_id: member.id, agency_id: member.agencyId, version: 1, external_url: 'https://www.example.gov.au/guide', context_source: null });
    expect(resource.body_html).toContain('<strong>as published</strong>');
    const tags = await t.db.selectFrom('resource_tags').select('tag').where('resource_id', '=', id).orderBy('tag').execute();
    expect(tags.map((row) => row.tag)).toEqual(['evaluation', 'records', 'social-media']);
    const types = await t.db.selectFrom('resource_initiative_types as rit').innerJoin('initiative_types as it', 'it.id', 'rit.initiative_type_id').select('it.slug').where('rit.resource_id', '=', id).orderBy('it.slug').execute();
    expect(types.map((row) => row.slug)).toEqual(['data-and-reporting', 'service-delivery']);

    // Its thread: in the library's category, by the sharer, a first post that links to it, watched by them.
    const thread = await t.db.selectFrom('threads as th').innerJoin('categories as c', 'c.id', 'th.category_id').select(['th.id', 'th.title', 'th.author_id', 'th.post_count', 'c.slug']).where('th.id', '=', resource.thread_id).executeTakeFirstOrThrow();
    expect(thread).toMatchObject({ title: 'Archiving social media posts', author_id: member.id, post_count: 1, slug: 'resource-library' });
    const firstPost = await t.db.selectFrom('posts').select(['author_id', 'body_html']).where('thread_id', '=', thread.id).executeTakeFirstOrThrow();
    expect(firstPost.author_id).toBe(member.id);
    expect(firstPost.body_html).toContain(`<a href="/resources/${id}" rel="nofollow ugc noopener noreferrer">Archiving social media posts</a>`);
    expect(await t.db.selectFrom('thread_watches').select('level').where('thread_id', '=', thread.id).where('member_id', '=', member.id).executeTakeFirst()).toEqual({ level: 'watching' });

    const page = await browser.get(response.headers.location as string);
    expect(page.body).toContain(M.shared);
    expect(page.body).toContain('<a class="resource__link" href="https://www.example.gov.au/guide" rel="noopener noreferrer nofollow">');
    // The thread says what it discusses, and links back.
    expect(await threadPageOf(browser, thread.id)).toContain(`This thread discusses the resource <a href="/resources/${id}"><bdi>Archiving social media posts</bdi></a>`);
  });

  it('shares a case study with its four sections rendered as posts are, and no description', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const response = await shareThroughForm(browser, guideFields(member.agencyId, { kind: 'case_study', title: 'Call-back queues', body: '', ...caseStudySections }));
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
    const id = resourceIdFrom(response.headers.location);
    const page = await resourcePageOf(browser, id);
    const headings = [...page.matchAll(/<h2 id="section-[a-z]+">([^<]+)<\/h2>/g)].map((match) => match[1]);
    expect(headings).toEqual(['Context', 'What was done', 'Outcome', 'Lessons learned']);
    expect(page).toContain('Callers waited <strong>40 minutes</strong>.');
    expect(page).not.toContain('id="description-heading"');
  });

  it('shares a resource on behalf of another agency', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const other = await createAgency(t.db, { name: 'Bureau of Other Things', jurisdiction: 'state' });
    const response = await shareThroughForm(browser, guideFields(member.agencyId, { agency: String(other.id), title: 'Shared for a colleague' }));
    const id = resourceIdFrom(response.headers.location);
    expect((await t.db.selectFrom('resources').select('agency_id').where('id', '=', id).executeTakeFirstOrThrow()).agency_id).toBe(other.id);
    expect(await resourcePageOf(browser, id)).toContain(`<a href="/resources?agency=${other.id}">Bureau of Other Things</a>`);
  });

  it('tells the watchers of the library’s category of the new resource’s thread', async () => {
    const watcher = await memberWithBrowser(t.app, t.db);
    expect((await watcher.browser.post('/c/resource-library/watch', { _csrf: await csrfOf(watcher.browser), level: 'watching' })).statusCode).toBe(303);
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const id = resourceIdFrom((await shareThroughForm(browser, guideFields(member.agencyId, { title: 'A resource to hear about' }))).headers.location);
    const thread = await t.db.selectFrom('resources').select('thread_id').where('id', '=', id).executeTakeFirstOrThrow();
    const notices = await t.db.selectFrom('notifications').select(['member_id', 'kind']).where('thread_id', '=', thread.thread_id).execute();
    expect(notices).toEqual([{ member_id: watcher.member.id, kind: 'watched_thread' }]);
  });

  it('makes one resource, thread and post from 20 parallel submissions of one form', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const hidden = await browser.openForm('/resources/new');
    const fields = { ...hidden, ...guideFields(member.agencyId, { title: 'Submitted twenty times' }) };
    const responses = await Promise.all(Array.from({ length: 20 }, () => browser.post('/resources/new', fields)));
    expect(new Set(responses.map((r) => r.statusCode))).toEqual(new Set([303]));
    const ids = new Set(responses.map((r) => resourceIdFrom(r.headers.location)));
    expect(ids.size).toBe(1);
    expect(await t.db.selectFrom('resources').select('id').where('title', '=', 'Submitted twenty times').execute()).toHaveLength(1);
    expect(await t.db.selectFrom('threads').select('id').where('title', '=', 'Submitted twenty times').execute()).toHaveLength(1);
    // Back and submit again, later: the same resource.
    const again = await browser.post('/resources/new', fields);
    expect(again.statusCode).toBe(303);
    expect(again.headers.location).toBe(`/resources/${[...ids][0]}`);
  });

  it('refuses a form whose token another member already spent, and writes nothing', async () => {
    const first = await memberWithBrowser(t.app, t.db);
    const hidden = await first.browser.openForm('/resources/new');
    expect((await first.browser.post('/resources/new', { ...hidden, ...guideFields(first.member.agencyId) })).statusCode).toBe(303);
    const second = await memberWithBrowser(t.app, t.db);
    const own = await second.browser.openForm('/resources/new');
    const response = await refusedWritingNothing(t.db, () => second.browser.post('/resources/new', { ...own, form_token: hidden.form_token!, ...guideFields(second.member.agencyId) }), 422, 'This form has expired');
    expect(response.body).not.toContain(hidden.form_token!);
  });

  it('stops a new member past their hourly posting limit (429), keeping what they wrote, and writes nothing', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    for (let i = 1; i <= 3; i += 1) expect((await shareThroughForm(browser, guideFields(member.agencyId, { title: `Resource number ${i}` }))).statusCode).toBe(303);
    const response = await refusedWritingNothing(t.db, () => shareThroughForm(browser, guideFields(member.agencyId, { title: 'One too many resources' })), 429, 'You have posted as much as Commons allows in an hour');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(response.body).toContain('value="One too many resources"');
  });

  it('counts edits against the same hourly limit (429), keeping what was typed, and writes nothing', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const id = resourceIdFrom((await shareThroughForm(browser, guideFields(member.agencyId, { title: 'Edited until the limit' }))).headers.location);
    const edit = async (summary: string) => {
      const hidden = await browser.openForm(`/resources/${id}/edit`);
      return browser.post(`/resources/${id}/edit`, { ...hidden, ...guideFields(member.agencyId, { title: 'Edited until the limit', summary }) });
    };
    expect((await edit('A first change.')).statusCode).toBe(303);
    expect((await edit('A second change.')).statusCode).toBe(303);
    const response = await refusedWritingNothing(t.db, () => edit('A change too many.'), 429, 'You have posted as much as Commons allows in an hour');
    expect(response.body).toContain('A change too many.');
  });
});
