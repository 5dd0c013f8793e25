import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { editForm, firstPostOf } from '../../support/edits.js';
import { createCategory, createThreads } from '../../support/forum-rows.js';
import type { TestMember } from '../../support/members.js';
import { moderationForm, threadAction } from '../../support/thread-moderation.js';

// A moderator's rename is kept among the thread's titles marked as a moderator's: the revisions
// page names them only where MODERATOR_NAMES_SHOWN says moderators are named.

type Person = { member: TestMember; browser: Browser };

async function renamedTwice(t: TestApp, moderator: Person, author: Person) {
  const category = await createCategory(t.db);
  const [threadId] = await createThreads(t.db, category.id, author.member.id, 1);
  const firstPostId = await firstPostOf(t.db, threadId!);
  const form = await editForm(author.browser, firstPostId);
  const { body_source } = await t.db.selectFrom('posts').select('body_source').where('id', '=', firstPostId).executeTakeFirstOrThrow();
  expect((await author.browser.post(`/p/${firstPostId}/edit`, { ...form, title: 'Renamed by its author', body: body_source })).statusCode).toBe(303);
  expect((await threadAction(moderator.browser, threadId!, 'rename', { ...(await moderationForm(moderator.browser, threadId!)), title: 'Renamed by a moderator' })).statusCode).toBe(303);
  const revisions = await t.db.selectFrom('thread_title_revisions').select(['title', 'replaced_by', 'by_moderator']).where('thread_id', '=', threadId!).orderBy('id').execute();
  expect(revisions).toEqual([
    { title: 'Made for a test, number 1', replaced_by: author.member.id, by_moderator: false },
    { title: 'Renamed by its author', replaced_by: moderator.member.id, by_moderator: true },
  ]);
  return firstPostId;
}

function titlesSection(page: string): string {
  return page.slice(page.indexOf('id="titles-heading"'));
}

describe('GET /p/:id/revisions after a moderator’s rename', () => {
  describe('with MODERATOR_NAMES_SHOWN=false', () => {
    let t: TestApp;
    let moderator: Person;
    let author: Person;
    let member: Person;
    beforeAll(async () => {
      t = await buildTestApp({ env: { MODERATOR_NAMES_SHOWN: 'false' } });
      moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator'});
      author = await memberWithBrowser(t.app, t.db);
      member = await memberWithBrowser(t.app, t.db);
    });
    afterAll(async () => t.close());

    it('says “a moderator” to members and staff alike, and names the author for their own rename', async () => {
      const firstPostId = await renamedTwice(t, moderator, author);
      for (const viewer of [member, author, moderator]) {
        const page = await viewer.browser.get(`/p/${firstPostId}/revisions`);
        expect(page.statusCode).toBe(200);
        const titles = titlesSection(page.body);
        expect(titles).toContain('“<bdi>Renamed by its author</bdi>”, replaced by a moderator');
        expect(titles).toContain(`“<bdi>Made for a test, number 1</bdi>”, replaced by ${author.member.displayName}`);
        expect(titles).not.toContain(moderator.member.displayName);
        if (viewer !== moderator) expect(page.body).not.toContain(moderator.member.displayName);
      }
    });

    it('marks a retitle by a moderator’s edit of the first post as theirs too, puts the titles on their audit row, and moves the thread’s version on', async () => {
      const category = await createCategory(t.db);
      const [threadId] = await createThreads(t.db, category.id, author.member.id, 1);
      const firstPostId = await firstPostOf(t.db, threadId!);
      const thread = () => t.db.selectFrom('threads').select(['title', 'version']).where('id', '=', threadId!).executeTakeFirstOrThrow();
      const before = await thread();
      const form = await moderator.browser.openForm(`/mod/posts/${firstPostId}/edit`);
      const response = await moderator.browser.post(`/mod/posts/${firstPostId}/edit`, { ...form, body: 'Rewritten by a moderator.', title: 'A title chosen by a moderator' });
      expect(response.statusCode, response.body.slice(0, 300)).toBe(303);
      expect(await thread()).toEqual({ title: 'A title chosen by a moderator', version: before.version + 1 });
      expect(await t.db.selectFrom('thread_title_revisions').select(['title', 'replaced_by', 'by_moderator']).where('thread_id', '=', threadId!).execute()).toEqual([
        { title: 'Made for a test, number 1', replaced_by: moderator.member.id, by_moderator: true },
      ]);
      const audit = await t.db.selectFrom('audit_events').select('details').where('action', '=', 'post.edited').where('target_id', '=', String(firstPostId)).executeTakeFirstOrThrow();
      expect(audit.details).toEqual({ before: { version: Number(form.version), title: 'Made for a test, number 1' }, after: { version: Number(form.version) + 1, title: 'A title chosen by a moderator' }, flagsResolved: 0 });
      const page = await member.browser.get(`/p/${firstPostId}/revisions`);
      expect(titlesSection(page.body)).toContain('“<bdi>Made for a test, number 1</bdi>”, replaced by a moderator');
      expect(page.body).not.toContain(moderator.member.displayName);
    });
  });

  describe('with MODERATOR_NAMES_SHOWN=true', () => {
    let t: TestApp;
    let moderator: Person;
    let author: Person;
    beforeAll(async () => {
      t = await buildTestApp({ env: { MODERATOR_NAMES_SHOWN: 'true' } });
      moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator'});
      author = await memberWithBrowser(t.app, t.db);
    });
    afterAll(async () => t.close());

    it('names the moderator', async () => {
      const firstPostId = await renamedTwice(t, moderator, author);
      const titles = titlesSection((await author.browser.get(`/p/${firstPostId}/revisions`)).body);
      expect(titles).toContain(`“<bdi>Renamed by its author</bdi>”, replaced by ${moderator.member.displayName}`);
    });
  });
});
