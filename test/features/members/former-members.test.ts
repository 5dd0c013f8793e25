import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORMER_MEMBER } from '../../../src/features/members/names.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { articleOf, csrfOf, memberWithBrowser, threadPageOf } from '../../support/discussions.js';
import { createRepliedThread } from '../../support/forum-rows.js';
import type { TestMember } from '../../support/members.js';
import { createResource, resourcePageOf } from '../../support/resources.js';
import { categoryCounts } from '../../support/thread-moderation.js';

// Shown as "Former member", a deactivated member's content keeps nothing that points back at
// them: no profile link, job title or agency beside it, and their profile is gone for members
// (staff still open it, marked deactivated).

type Person = { member: TestMember; browser: Browser };

let t: TestApp;
let administrator: Person;
let moderator: Person;
let reader: Person;
beforeAll(async () => {
  t = await buildTestApp();
  administrator = await memberWithBrowser(t.app, t.db, { role: 'administrator' });
  moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
  reader = await memberWithBrowser(t.app, t.db);
});
afterAll(async () => t.close());

const JOB_TITLE = 'Records Manager (Level 6)';

/** A member with a job title who started a thread, replied in it and shared a resource; then deactivated by an administrator. */
async function formerMember() {
  const leaver = await memberWithBrowser(t.app, t.db);
  await t.db.updateTable('members').set({ job_title: JOB_TITLE }).where('id', '=', leaver.member.id).execute();
  const agency = await t.db.selectFrom('agencies').select('name').where('id', '=', leaver.member.agencyId).executeTakeFirstOrThrow();
  const { category, threadId, replyId } = await createRepliedThread(t.db, leaver.member.id, leaver.member.id);
  const resource = await createResource(t.db, { sharer: leaver.member });

  // Before: the post names them with their profile link, job title and agency.
  expect(articleOf(await threadPageOf(reader.browser, threadId), replyId)).toContain(`<a href="/u/${leaver.member.handle}"><bdi>${leaver.member.displayName}</bdi></a>, ${JOB_TITLE}, ${agency.name}</p>`);
  const before = await categoryCounts(t.db, category.id);
  const deactivated = await administrator.browser.post(`/admin/members/${leaver.member.id}/deactivate`, { _csrf: await csrfOf(administrator.browser) });
  expect(deactivated.statusCode).toBe(303);
  expect(await categoryCounts(t.db, category.id)).toEqual(before);
  return { leaver, agencyName: agency.name, category, threadId, replyId, resource };
}

describe('content of a member shown as “Former member”', () => {
  it('shows neither a profile link, a job title nor an agency beside their posts, threads and resources, to members and staff alike', async () => {
    const { leaver, agencyName, category, threadId, replyId, resource } = await formerMember();
    for (const viewer of [reader, moderator]) {
      const page = await threadPageOf(viewer.browser, threadId);
      const reply = articleOf(page, replyId);
      expect(reply).toContain(`id="post-${replyId}-author"><bdi>${FORMER_MEMBER}</bdi></p>`);
      for (const text of [`/u/${leaver.member.handle}`, JOB_TITLE, leaver.member.displayName]) expect(page).not.toContain(text);

      const list = (await viewer.browser.get(`/c/${category.slug}`)).body;
      expect(list).toMatch(new RegExp(`by ${FORMER_MEMBER}\\s*</p>`));
      expect(list).not.toContain(`/u/${leaver.member.handle}`);
      expect(list).not.toContain(`${FORMER_MEMBER}, ${agencyName}`);

      const resourcePage = await resourcePageOf(viewer.browser, resource.id);
      expect(resourcePage).toContain(`Shared by <bdi>${FORMER_MEMBER}</bdi>`);
      expect(resourcePage).not.toContain(`/u/${leaver.member.handle}`);

      const home = (await viewer.browser.get('/')).body;
      expect(home).not.toContain(`/u/${leaver.member.handle}`);
    }
  });

  it('brings the link, job title and agency back when the member is reactivated', async () => {
    const { leaver, agencyName, threadId, replyId } = await formerMember();
    expect((await administrator.browser.post(`/admin/members/${leaver.member.id}/reactivate`, { _csrf: await csrfOf(administrator.browser) })).statusCode).toBe(303);
    expect(articleOf(await threadPageOf(reader.browser, threadId), replyId)).toContain(`<a href="/u/${leaver.member.handle}"><bdi>${leaver.member.displayName}</bdi></a>, ${JOB_TITLE}, ${agencyName}</p>`);
  });
});

describe('GET /u/:handle of a deactivated member', () => {
  it('is 404 for members, whatever the handle’s case, and shown to staff marked deactivated', async () => {
    const { leaver } = await formerMember();
    for (const handle of [leaver.member.handle, leaver.member.handle.toUpperCase()]) {
      const refused = await reader.browser.get(`/u/${handle}`);
      expect(refused.statusCode).toBe(404);
      expect(refused.body).not.toContain(leaver.member.displayName);
    }
    for (const staff of [moderator, administrator]) {
      const page = await staff.browser.get(`/u/${leaver.member.handle}`);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<strong>Deactivated.</strong>');
      expect(page.body).toContain(leaver.member.displayName);
    }
    // An active member's profile carries no such mark.
    expect((await moderator.browser.get(`/u/${reader.member.handle}`)).body).not.toContain('<strong>Deactivated.</strong>');
  });
});
