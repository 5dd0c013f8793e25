import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCUSSION_MESSAGES } from '../../src/features/discussions/messages.js';
import { buildTestApp, encodeForm, hiddenFields, type Browser, type TestApp } from '../support/app.js';
import { memberWithBrowser, postIdFrom, postReply, startThread } from '../support/discussions.js';
import { createTestDatabase } from '../support/database.js';
import type { TestMember } from '../support/members.js';
import { pageText } from '../support/post-uploads.js';
import { httpPost, listening, type HttpAnswer } from './support/http.js';

/*
 * Two moderators open the edit form of one post at the same version and save different text at
 * the same moment, over two real connections: the version check in editPost's UPDATE lets one
 * through (303) and answers the other 409, with the winner's text shown as the post's current
 * text and the loser's own still in the form, at the new version, so saving again replaces it.
 * Repeated for ROUNDS rounds, each a fresh race.
 */

const ROUNDS = 10;

let t: TestApp;
let port: number;
let moderators: { member: TestMember; browser: Browser }[];
let postId: number;



const editPath = () => `/mod/posts/${postId}/edit`;

/** What an edit page shows: the post's current text (after a conflict), the text in the form and the version it saves over. */
function editPage(html: string) {
  return {
    current: /<pre class="kept-text">([\s\S]*?)<\/pre>/.exec(html)?.[1],
    inForm: pageText(/<textarea [^>]*name="body"[^>]*>([\s\S]*?)<\/textarea>/.exec(html)![1]!),
    version: Number(hiddenFields(html).version),
  };
}

const postNow = () => t.db.selectFrom('posts').select(['version', 'body_source']).where('id', '=', postId).executeTakeFirstOrThrow();
const count = async (table: 'post_revisions' | 'audit_events' | 'notifications') => Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

describe.each(['server', 'embedded'] as const)('two moderators saving one post at once, on the %s database', (mode) => {
  beforeAll(async () => {
    t = await buildTestApp({ database: await createTestDatabase(mode), env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
    port = await listening(t.app);
    const author = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(author.browser, 'questions', { title: 'Contact details for the records team' });
    postId = postIdFrom((await postReply(author.browser, threadId, { body: 'Call me on my mobile any time.' })).headers.location);
    moderators = [await memberWithBrowser(t.app, t.db, { role: 'moderator' }), await memberWithBrowser(t.app, t.db, { role: 'moderator' })];
  });
  afterAll(async () => {
    await t?.close();
    await t?.database.close();
  });

  it(`${ROUNDS} rounds: each time one saves (303), the other gets 409 with the winner's text shown and their own kept, and saves it on the second try`, async () => {
    const start = { ...(await postNow()), revisions: await count('post_revisions'), audits: await count('audit_events') };
    const outcomes = { firstWon: 0, secondWon: 0 };
    for (let round = 1; round <= ROUNDS; round += 1) {
      const forms = await Promise.all(moderators.map(({ browser }) => browser.openForm(editPath())));
      const version = (await postNow()).version;
      expect(forms.map((form) => Number(form.version))).toEqual([version, version]);
      const texts = moderators.map((_, n) => `Round ${round}: contact the records team by email (moderator ${n + 1}).`);
      const answers: HttpAnswer[] = await Promise.all(moderators.map(({ browser }, n) => httpPost(port, editPath(), browser.cookieHeader, 'application/x-www-form-urlencoded', encodeForm({ ...forms[n]!, body: texts[n]! }))));

      const statuses = answers.map((answer) => answer.statusCode);
      expect([...statuses].sort()).toEqual([303, 409]);
      const winner = statuses.indexOf(303);
      const loser = 1 - winner;
      outcomes[winner === 0 ? 'firstWon' : 'secondWon'] += 1;
      expect(answers[winner]!.headers.location).toBe(`/p/${postId}`);
      expect(await postNow()).toEqual({ version: version + 1, body_source: texts[winner] });

      const conflict = answers[loser]!.body;
      expect(pageText(conflict)).toContain(DISCUSSION_MESSAGES.editConflict);
      expect(editPage(conflict)).toEqual({ current: texts[winner], inForm: texts[loser], version: version + 1 });

      // Saving again from the conflict page replaces the winner's text, knowingly.
      const again = await moderators[loser]!.browser.post(editPath(), { ...hiddenFields(conflict), body: texts[loser]! });
      expect(again.statusCode, again.body.slice(0, 500)).toBe(303);
      expect(await postNow()).toEqual({ version: version + 2, body_source: texts[loser] });
    }
    // Two saves a round, each a revision and an audit row: the refused ones wrote neither.
    expect(await postNow()).toMatchObject({ version: start.version + 2 * ROUNDS });
    expect(await count('post_revisions')).toBe(start.revisions + 2 * ROUNDS);
    expect(await count('audit_events')).toBe(start.audits + 2 * ROUNDS);
    console.info(`concurrent-edits (${mode}): ${ROUNDS} races, ${ROUNDS} saved and ${ROUNDS} answered 409; first moderator won ${outcomes.firstWon}, second ${outcomes.secondWon}`);
  });
});
