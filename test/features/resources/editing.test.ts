import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERATION_MESSAGES } from '../../../src/features/moderation/messages.js';
import { RESOURCE_MESSAGES as M } from '../../../src/features/resources/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser, threadPageOf } from '../../support/discussions.js';
import { createAgency, type TestMember } from '../../support/members.js';
import { createResource, editFields, refusedWritingNothing, resourcePageOf, type ResourceOptions, type TestResource } from '../../support/resources.js';

let t: TestApp;
let sharer: { member: TestMember; browser: Browser };
let other: { member: TestMember; browser: Browser };
let moderator: { member: TestMember; browser: Browser };
beforeAll(async () => {
  t = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
  sharer = await memberWithBrowser(t.app, t.db);
  other = await memberWithBrowser(t.app, t.db);
  moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
});
afterAll(async () => t.close());

const shared = (options: Partial<ResourceOptions> = {}) => createResource(t.db, { sharer: { id: sharer.member.id, agencyId: sharer.member.agencyId }, tags: ['records'], ...options });

const refused = <R extends { statusCode: number; body: string }>(send: () => Promise<R>, status: number, message?: string) => refusedWritingNothing(t.db, send, status, message);

describe('GET and POST /resources/:id/edit', () => {
  it('saves a new version, keeping the old one whole, and retitles the thread', async () => {
    const resource = await shared({ title: 'Records for posts' });
    const agency = await createAgency(t.db, { name: 'Office of New Things' });
    const fields = await editFields(sharer.browser, resource.id, { title: 'Records for every post', tags: 'records, archiving', initiative_types: ['staff-capability'], agency: String(agency.id), body: 'Now with **more**.' });
    const response = await sharer.browser.post(`/resources/${resource.id}/edit`, fields);
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
    expect(response.headers.location).toBe(`/resources/${resource.id}`);
    const row = await t.db.selectFrom('resources').select(['version', 'title', 'agency_id', 'body_html']).where('id', '=', resource.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ version: 2, title: 'Records for every post', agency_id: agency.id });
    expect(row.body_html).toContain('<strong>more</strong>');
    const revision = await t.db.selectFrom('resource_revisions').select(['version', 'snapshot', 'replaced_by']).where('resource_id', '=', resource.id).executeTakeFirstOrThrow();
    expect(revision).toMatchObject({ version: 1, replaced_by: sharer.member.id });
    expect(revision.snapshot).toMatchObject({
      kind: 'guide',
      title: 'Records for posts',
      body: 'Keep a copy of **every** post.',
      tags: ['records'],
      initiativeTypes: [{ slug: 'service-delivery', name: 'Service delivery' }],
      agency: { id: sharer.member.agencyId },
      sections: null,
      externalUrl: null,
    });
    const tags = await t.db.selectFrom('resource_tags').select('tag').where('resource_id', '=', resource.id).orderBy('tag').execute();
    expect(tags.map((tag) => tag.tag)).toEqual(['archiving', 'records']);
    expect(await threadPageOf(sharer.browser, resource.threadId)).toContain('<h1><bdi>Records for every post</bdi></h1>');
    expect(await t.db.selectFrom('thread_title_revisions').select('title').where('thread_id', '=', resource.threadId).execute()).toEqual([{ title: 'Records for posts' }]);

    const history = await sharer.browser.get(`/resources/${resource.id}/history`);
    expect(history.statusCode).toBe(200);
    expect([...history.body.matchAll(/<h2 id="version-\d+" class="revision__heading">([^<]+)<\/h2>/g)].map((match) => match[1])).toEqual(['Version 2 (current)', 'Version 1']);
    expect(history.body).toContain('<dd>Office of New Things</dd>');
    expect(history.body).toContain('<p>Keep a copy of <strong>every</strong> post.</p>');
  });

  it('changes nothing when nothing was changed', async () => {
    const resource = await shared();
    const fields = await editFields(sharer.browser, resource.id);
    await refused(() => sharer.browser.post(`/resources/${resource.id}/edit`, fields), 303);
    expect(await resourcePageOf(sharer.browser, resource.id)).toContain(M.nothingChanged);
  });

  it('lets a moderator edit a member’s resource, on the sharer’s record with before and after, the sharer told', async () => {
    const resource = await shared({ title: 'Records before a moderator' });
    const fields = await editFields(moderator.browser, resource.id, { title: 'Records after a moderator', summary: 'Tidied by a moderator.' });
    expect((await moderator.browser.post(`/resources/${resource.id}/edit`, fields)).statusCode).toBe(303);
    const audit = await t.db.selectFrom('audit_events').select(['actor_member_id', 'action', 'subject_member_id', 'details']).where('target_type', '=', 'resource').where('target_id', '=', String(resource.id)).execute();
    expect(audit).toEqual([
      {
        actor_member_id: moderator.member.id,
        action: 'resource.edited',
        subject_member_id: sharer.member.id,
        details: { before: { version: 1, title: 'Records before a moderator' }, after: { version: 2, title: 'Records after a moderator' }, flagsResolved: 0 },
      },
    ]);
    expect(await t.db.selectFrom('notifications').select('kind').where('member_id', '=', sharer.member.id).where('thread_id', '=', resource.threadId).execute()).toEqual([{ kind: 'moderation' }]);
    expect((await sharer.browser.get('/settings/moderation')).body).toContain('Resource edited by a moderator');
  });

  it('answers a stale form with 409, the resource as it is now and the editor’s text kept, and writes nothing', async () => {
    const resource = await shared();
    const first = await editFields(sharer.browser, resource.id, { summary: 'Saved in the first tab.' });
    const second = await editFields(sharer.browser, resource.id, { summary: 'Typed in the second tab.' });
    expect((await sharer.browser.post(`/resources/${resource.id}/edit`, first)).statusCode).toBe(303);
    const response = await refused(() => sharer.browser.post(`/resources/${resource.id}/edit`, second), 409, M.editConflict);
    expect(response.body).toContain('<dt>Summary</dt><dd>Saved in the first tab.</dd>');
    expect(response.body).toContain('>Typed in the second tab.</textarea>');
    // Saving again from the form it was given replaces the current version.
    expect(response.body).toContain('name="version" value="2"');
  });

  it('refuses another member (403), and a visitor, writing nothing', async () => {
    const resource = await shared();
    expect((await other.browser.get(`/resources/${resource.id}/edit`)).statusCode).toBe(403);
    const fields = await editFields(sharer.browser, resource.id, { title: 'Taken over' });
    const otherFields = { ...fields, _csrf: (await other.browser.openForm('/resources/new'))._csrf! };
    await refused(() => other.browser.post(`/resources/${resource.id}/edit`, otherFields), 403, M.notYours);
    await refused(() => new Browser(t.app).post(`/resources/${resource.id}/edit`, fields), 403);
  });

  it('answers 404 for a removed resource to its sharer, and tells a moderator it was removed', async () => {
    const resource = await shared({ removed: true });
    expect((await sharer.browser.get(`/resources/${resource.id}/edit`)).statusCode).toBe(404);
    const response = await moderator.browser.get(`/resources/${resource.id}/edit`);
    expect(response.statusCode).toBe(404);
    expect(response.body).toContain(M.wasRemoved);
  });

  it.each([
    ['no version', { version: '' }, M.badVersion],
    ['a version that is not a number', { version: "1' OR '1'='1" }, M.badVersion],
    ['an empty title', { title: '' }, M.titleRequired],
    ['a summary with a NUL', { summary: 'a\0b' }, 'Summary must not contain NUL characters'],
    ['a javascript: link', { external_url: 'javascript:alert(1)' }, M.badLink],
    ['an initiative type that does not exist', { initiative_types: ['time-travel'] }, M.unknownInitiativeType],
    ['an agency that does not exist', { agency: '987654321' }, M.unknownAgency],
    ['a sharer_id field', { sharer_id: String(1) }, 'The form contained a field Commons does not expect'],
  ])('refuses %s (422), writing nothing', async (_case, changes, message) => {
    const resource = await shared();
    const fields = await editFields(sharer.browser, resource.id, changes);
    await refused(() => sharer.browser.post(`/resources/${resource.id}/edit`, fields), 422, message);
  });
});

describe('GET /resources/:id/history', () => {
  it('is 404 for a removed resource to members, and for a page past the last', async () => {
    const resource = await shared({ removed: true });
    expect((await other.browser.get(`/resources/${resource.id}/history`)).statusCode).toBe(404);
    expect((await moderator.browser.get(`/resources/${resource.id}/history`)).statusCode).toBe(200);
    const live = await shared();
    expect((await other.browser.get(`/resources/${live.id}/history?page=2`)).statusCode).toBe(404);
    expect((await other.browser.get(`/resources/${live.id}/history?page=-1`)).statusCode).toBe(400);
  });
});

describe('removing a resource', () => {
  it('asks first, then removes it: 404 for members, out of the library, still there for staff', async () => {
    const resource: TestResource = await shared({ title: 'About to be removed' });
    const confirm = await sharer.browser.get(`/resources/${resource.id}/remove`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Remove the resource</button>');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(confirm.body)![1]!;
    const response = await sharer.browser.post(`/resources/${resource.id}/remove`, { _csrf: csrf });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/resources');
    expect((await sharer.browser.get('/resources')).body).toContain(M.removed);
    expect((await other.browser.get(`/resources/${resource.id}`)).statusCode).toBe(404);
    // Its discussion goes with it: the thread carries the resource's title.
    expect((await other.browser.get(`/t/${resource.threadId}`)).statusCode).toBe(404);
    expect((await other.browser.get('/resources')).body).not.toContain('About to be removed');
    expect(await resourcePageOf(moderator.browser, resource.id)).toContain('<strong>Removed.</strong>');
    // Pressed again (Back, then the button): nothing more happens.
    await refused(() => sharer.browser.post(`/resources/${resource.id}/remove`, { _csrf: csrf }), 404);
  });

  it('lets a moderator remove a member’s resource as the queue does: on the sharer’s record, flags closed, flagger and sharer told; again says it already was', async () => {
    const resource = await shared({ title: 'Records a moderator removes' });
    const flagCsrf = (await other.browser.openForm(`/resources/${resource.id}/flag`))._csrf!;
    expect((await other.browser.post(`/resources/${resource.id}/flag`, { _csrf: flagCsrf, reason: 'spam', note: '' })).statusCode).toBe(303);
    const csrf = (await moderator.browser.openForm(`/resources/${resource.id}/remove`))._csrf!;
    expect((await moderator.browser.post(`/resources/${resource.id}/remove`, { _csrf: csrf })).statusCode).toBe(303);
    const audit = await t.db.selectFrom('audit_events').select(['action', 'subject_member_id', 'details']).where('target_id', '=', String(resource.id)).where('target_type', '=', 'resource').execute();
    expect(audit).toEqual([{ action: 'resource.removed', subject_member_id: sharer.member.id, details: { title: 'Records a moderator removes', before: { removed: false }, after: { removed: true }, flagsResolved: 1 } }]);
    const threadAudit = await t.db.selectFrom('audit_events').select(['action', 'actor_member_id', 'details']).where('target_type', '=', 'thread').where('target_id', '=', String(resource.threadId)).execute();
    expect(threadAudit).toEqual([{ action: 'thread.hidden', actor_member_id: moderator.member.id, details: { reason: 'hidden with its resource', before: { hidden: false }, after: { hidden: true } } }]);
    expect(await t.db.selectFrom('flags').select('outcome').where('resource_id', '=', resource.id).execute()).toEqual([{ outcome: 'deleted' }]);
    const told = await t.db.selectFrom('notifications').select(['member_id', 'kind']).where('thread_id', '=', resource.threadId).where('kind', 'in', ['flag_outcome', 'moderation']).orderBy('kind').execute();
    expect(told).toEqual([
      { member_id: other.member.id, kind: 'flag_outcome' },
      { member_id: sharer.member.id, kind: 'moderation' },
    ]);
    expect((await sharer.browser.get('/settings/moderation')).body).toContain('Resource removed');
    const again = await refused(() => moderator.browser.post(`/resources/${resource.id}/remove`, { _csrf: csrf }), 303);
    expect(again.headers.location).toBe('/resources');
  });

  it('refuses a moderator an administrator’s or another moderator’s resource (403, the reason), editing or removing, writing nothing', async () => {
    for (const role of ['administrator', 'moderator'] as const) {
      const owner = await memberWithBrowser(t.app, t.db, { role });
      const resource = await createResource(t.db, { sharer: { id: owner.member.id, agencyId: owner.member.agencyId } });
      expect(await resourcePageOf(moderator.browser, resource.id)).not.toContain(`href="/resources/${resource.id}/edit"`);
      expect(await resourcePageOf(owner.browser, resource.id)).toContain(`href="/resources/${resource.id}/edit"`);
      expect((await moderator.browser.get(`/resources/${resource.id}/edit`)).statusCode).toBe(403);
      expect((await moderator.browser.get(`/resources/${resource.id}/remove`)).statusCode).toBe(403);
      const csrf = (await moderator.browser.openForm('/resources/new'))._csrf!;
      await refused(() => moderator.browser.post(`/resources/${resource.id}/remove`, { _csrf: csrf }), 403, MODERATION_MESSAGES.staffContentOnlyByAdministrators);
      await refused(() => moderator.browser.post(`/resources/${resource.id}/edit`, { _csrf: csrf, version: '1', kind: 'guide', title: 'Taken over', summary: 'A summary.', body: 'A body.' }), 403, MODERATION_MESSAGES.staffContentOnlyByAdministrators);
      expect((await t.db.selectFrom('resources').select(['removed_at', 'version']).where('id', '=', resource.id).executeTakeFirstOrThrow())).toEqual({ removed_at: null, version: 1 });
    }
  });

  it('refuses another member (403), a visitor (403) and an unexpected field (422), writing nothing', async () => {
    const resource = await shared();
    expect((await other.browser.get(`/resources/${resource.id}/remove`)).statusCode).toBe(403);
    const otherCsrf = (await other.browser.openForm('/resources/new'))._csrf!;
    await refused(() => other.browser.post(`/resources/${resource.id}/remove`, { _csrf: otherCsrf }), 403, M.notYours);
    await refused(() => new Browser(t.app).post(`/resources/${resource.id}/remove`, {}), 403);
    const csrf = (await sharer.browser.openForm(`/resources/${resource.id}/remove`))._csrf!;
    await refused(() => sharer.browser.post(`/resources/${resource.id}/remove`, { _csrf: csrf, removed_by: '1' }), 422, 'The form contained a field Commons does not expect');
  });
});

describe('POST /resources/:id/feature', () => {
  it('features a resource at the top of the unfiltered library for a moderator, logged once however often pressed, and stops', async () => {
    const resource = await shared({ title: 'A featured guide' });
    const csrf = (await moderator.browser.openForm('/resources'))._csrf!;
    for (let i = 0; i < 2; i += 1) expect((await moderator.browser.post(`/resources/${resource.id}/feature`, { _csrf: csrf, featured: 'yes' })).statusCode).toBe(303);
    const library = await other.browser.get('/resources');
    const featured = /<section aria-labelledby="featured-heading">[\s\S]*?<\/section>/.exec(library.body)?.[0] ?? '';
    expect(featured).toContain('A featured guide');
    expect((await other.browser.get('/resources?type=guide')).body).not.toContain('featured-heading');
    expect((await other.browser.get('/resources?sort=helpful')).body).toContain('featured-heading');
    expect(await t.db.selectFrom('audit_events').select('action').where('target_id', '=', String(resource.id)).where('target_type', '=', 'resource').execute()).toEqual([{ action: 'resource.featured' }]);
    expect((await moderator.browser.post(`/resources/${resource.id}/feature`, { _csrf: csrf, featured: 'no' })).statusCode).toBe(303);
    expect((await other.browser.get('/resources')).body).not.toContain('featured-heading');
  });

  it('refuses a member (403), a bad value (422) and a removed resource (422 for staff, 404 for members), writing nothing', async () => {
    const resource = await shared();
    const csrf = (await sharer.browser.openForm('/resources'))._csrf!;
    await refused(() => sharer.browser.post(`/resources/${resource.id}/feature`, { _csrf: csrf, featured: 'yes' }), 403, M.staffOnly);
    const modCsrf = (await moderator.browser.openForm('/resources'))._csrf!;
    await refused(() => moderator.browser.post(`/resources/${resource.id}/feature`, { _csrf: modCsrf, featured: 'maybe' }), 422, M.badFeatured);
    const removed = await shared({ removed: true });
    await refused(() => moderator.browser.post(`/resources/${removed.id}/feature`, { _csrf: modCsrf, featured: 'yes' }), 422, M.cannotFeatureRemoved);
    await refused(() => sharer.browser.post(`/resources/${removed.id}/feature`, { _csrf: csrf, featured: 'yes' }), 404);
  });
});
