import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberWithBrowser, postIdFrom, startThread } from '../../support/discussions.js';
import { pdfBytes } from '../../support/file-fixtures.js';
import { fileIn, sendReply } from '../../support/post-uploads.js';
import { buildUploadTestApp, type UploadTestApp } from '../../support/uploads.js';

let t: UploadTestApp;
beforeAll(async () => {
  t = await buildUploadTestApp({ env: { FIRST_POSTS_HELD: '1', RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
});
afterAll(async () => t.close());

describe('a held post’s files', () => {
  it('download for its author and staff only, until the post is approved', async () => {
    const moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const reader = await memberWithBrowser(t.app, t.db);
    const author = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(moderator.browser, 'questions', { title: 'Reports worth sharing' });
    const response = await sendReply(t, author.browser, threadId, { body: 'Our evaluation report.' }, [fileIn(1, 'evaluation.pdf', pdfBytes('Findings. '.repeat(40)))]);
    expect(response.statusCode, response.body).toBe(303);
    const postId = postIdFrom(response.headers.location);
    const file = await t.db.selectFrom('files').select(['id', 'name']).where('post_id', '=', postId).executeTakeFirstOrThrow();
    const url = `/files/${file.id}/${file.name}`;
    expect((await reader.browser.get(url)).statusCode).toBe(404);
    expect((await author.browser.get(url)).statusCode).toBe(200);
    expect((await moderator.browser.get(url)).statusCode).toBe(200);

    const hidden = await moderator.browser.openForm('/mod');
    expect((await moderator.browser.post(`/mod/approvals/posts/${postId}/approve`, { _csrf: hidden._csrf! })).statusCode).toBe(303);
    expect((await reader.browser.get(url)).statusCode).toBe(200);
  });
});
