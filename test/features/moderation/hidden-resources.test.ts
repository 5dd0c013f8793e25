import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_MESSAGES as R } from '../../../src/features/resources/messages.js';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { createResource, escapeLikeHandlebars, postResourceForm, refusedWritingNothing, resourcePageOf, type TestResource } from '../../support/resources.js';
import { someone, type Someone } from './support.js';

// A resource hidden for review (by flags or a moderator) is there for staff alone, and waits,
// unchanged, for their decision: as a hidden post does.

let t: TestApp;
let moderator: Someone;
let sharer: Someone;
let member: Someone;
beforeAll(async () => {
  t = await buildTestApp();
  moderator = await someone(t.app, t.db, 'moderator');
  sharer = await someone(t.app, t.db);
  member = await someone(t.app, t.db);
});
afterAll(async () => t.close());

async function hiddenResource(): Promise<TestResource> {
  const resource = await createResource(t.db, { sharer: sharer.member, body: 'HIDDEN-RESOURCE-BODY the text under review.' });
  const response = await moderator.browser.post(`/mod/resources/${resource.id}/hide`, { _csrf: moderator.csrf, reason: 'Discloses information that is not public.' });
  expect(response.statusCode, response.body.slice(0, 300)).toBe(303);
  return resource;
}

const resourceRow = (id: number) => t.db.selectFrom('resources').select(['version', 'title', 'body_source', 'removed_at', 'hidden_at', 'helpful_count']).where('id', '=', id).executeTakeFirstOrThrow();

describe('a hidden resource', () => {
  it('shows its history to staff only: members, its sharer among them, get 404 and none of its text', async () => {
    const resource = await hiddenResource();
    for (const { browser } of [member, sharer]) {
      const history = await browser.get(`/resources/${resource.id}/history`);
      expect(history.statusCode).toBe(404);
      expect(history.body).not.toContain('HIDDEN-RESOURCE-BODY');
    }
    const staffView = await moderator.browser.get(`/resources/${resource.id}/history`);
    expect(staffView.statusCode).toBe(200);
    expect(staffView.body).toContain('HIDDEN-RESOURCE-BODY');
  });

  it('cannot be edited or removed by its sharer while hidden (403, saying why, nothing written); another member gets 404', async () => {
    const resource = await hiddenResource();
    const before = await resourceRow(resource.id);
    for (const page of ['edit', 'remove']) {
      const response = await sharer.browser.get(`/resources/${resource.id}/${page}`);
      expect(response.statusCode, page).toBe(403);
      expect(response.body).toContain(escapeLikeHandlebars(R.isHidden));
      expect((await member.browser.get(`/resources/${resource.id}/${page}`)).statusCode, page).toBe(404);
    }
    await refusedWritingNothing(t.db, () => postResourceForm(t.app, sharer.browser, `/resources/${resource.id}/edit`, { _csrf: sharer.csrf, version: String(before.version), kind: 'guide', title: 'Changed while under review', summary: 'Changed.', body: 'Changed.' }, []), 403, escapeLikeHandlebars(R.isHidden));
    await refusedWritingNothing(t.db, () => sharer.browser.post(`/resources/${resource.id}/remove`, { _csrf: sharer.csrf }), 403, escapeLikeHandlebars(R.isHidden));
    await refusedWritingNothing(t.db, () => member.browser.post(`/resources/${resource.id}/remove`, { _csrf: member.csrf }), 404);
    expect(await resourceRow(resource.id)).toEqual(before);
    // Staff still can: they decide what happens to it.
    expect((await moderator.browser.get(`/resources/${resource.id}/edit`)).statusCode).toBe(200);
  });

  it('cannot be marked helpful, even by staff who can see it (404, nothing written)', async () => {
    const resource = await hiddenResource();
    const page = await resourcePageOf(moderator.browser, resource.id);
    expect(page).toContain('HIDDEN-RESOURCE-BODY');
    expect(page).not.toContain(`action="/resources/${resource.id}/helpful"`);
    await refusedWritingNothing(t.db, () => moderator.browser.post(`/resources/${resource.id}/helpful`, { _csrf: moderator.csrf, helpful: 'yes' }), 404, escapeLikeHandlebars(R.helpfulGone));
    expect((await resourceRow(resource.id)).helpful_count).toBe(0);
  });
});
