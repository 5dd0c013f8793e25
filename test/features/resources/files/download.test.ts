import { createHash } from 'node:crypto';
import contentDisposition from 'content-disposition';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUrl } from '../../../../src/features/resources/files/filename.js';
import { listAttachedFiles } from '../../../../src/features/resources/files/queries.js';
import { Browser, TEST_HOST } from '../../../support/app.js';
import { HOUR, TestClock } from '../../../support/clock.js';
import { csrfOf, memberWithBrowser } from '../../../support/discussions.js';
import { CSV_TEXT, jpegBytes, pdfBytes } from '../../../support/file-fixtures.js';
import { signedInBrowser, type TestMember } from '../../../support/members.js';
import { buildUploadTestApp, type UploadTestApp, createPostRow, createResourceRow, csrfPart, MultipartBody, postMultipart, UPLOAD_PROBE, type FormPart, type PostRowOptions } from '../../../support/uploads.js';

let t: UploadTestApp;
const clock = new TestClock();
let sharer: { member: TestMember; browser: Browser };
let reader: { member: TestMember; browser: Browser };
let moderator: { member: TestMember; browser: Browser };

beforeAll(async () => {
  t = await buildUploadTestApp({ now: clock.now });
  sharer = await memberWithBrowser(t.app, t.db);
  reader = await memberWithBrowser(t.app, t.db);
  moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
});
afterAll(async () => t.close());

/** Attaches one file through the probe; its id and download address. */
async function attach(owner: { resourceId: number } | { postId: number }, filename: string, data: Buffer, extra: FormPart[] = [], disposition?: string): Promise<{ id: number; url: string }> {
  const ownerPart = 'resourceId' in owner ? { name: 'resource_id', value: String(owner.resourceId) } : { name: 'post_id', value: String(owner.postId) };
  const body = new MultipartBody([csrfPart(await csrfOf(sharer.browser)), ownerPart, ...extra, { name: 'files', filename, data, ...(disposition ? { disposition } : {}) }]);
  const response = await postMultipart(t.app, sharer.browser, UPLOAD_PROBE, body);
  expect(response.statusCode, response.body).toBe(200);
  const id = response.json().ids[0] as number;
  const row = await t.db.selectFrom('files').select('name').where('id', '=', id).executeTakeFirstOrThrow();
  return { id, url: fileUrl({ id, name: row.name }) };
}

const attachToPost = async (options: PostRowOptions = {}) => attach({ postId: await createPostRow(t.db, sharer.member.id, options) }, 'minutes.pdf', pdfBytes('Minutes'));

describe('GET /files/:id/:filename', () => {
  it('sends the file as an attachment under its hostile name, with nothing a browser could sniff or run', async () => {
    const name = 'Q3 "final"; filename=evil.html — Māori.pdf';
    const bytes = pdfBytes('Quarterly report');
    // As a client that escapes nothing would send it (a browser sends `"` as %22).
    const sent = `form-data; name="files"; filename*=UTF-8''${encodeURIComponent(name)}`;
    const { url } = await attach({ resourceId: await createResourceRow(t.db, sharer.member.id) }, name, bytes, [], sent);
    expect(url).toMatch(/^\/files\/\d+\/Q3-final-filename-evil.html-Maori\.pdf$/);
    const response = await reader.browser.get(url);
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(bytes)).toBe(true);
    expect(response.headers).toMatchObject({
      'content-type': 'application/pdf',
      'content-length': String(bytes.length),
      'content-disposition': contentDisposition(name, { type: 'attachment' }),
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cache-control': 'private, no-cache',
    });
    // One parameter for old browsers, quoted and escaped; the exact name in RFC 5987 form.
    const disposition = response.headers['content-disposition'] as string;
    expect(disposition).toBe(`attachment; filename="Q3 \\"final\\"; filename=evil.html ? M?ori.pdf"; filename*=UTF-8''${encodeURIComponent(name).replace(/'/g, '%27')}`);
  });

  it('shows images inline, and text as UTF-8', async () => {
    const resourceId = await createResourceRow(t.db, sharer.member.id);
    const image = await attach({ resourceId }, 'launch.jpg', jpegBytes({ width: 16, height: 16 }));
    const imageResponse = await reader.browser.get(image.url);
    expect(imageResponse.headers['content-type']).toBe('image/jpeg');
    expect(imageResponse.headers['content-disposition']).toBe('inline; filename="launch.jpg"');
    const csv = await attach({ resourceId }, 'costs.csv', Buffer.from(CSV_TEXT));
    const csvResponse = await reader.browser.get(csv.url);
    expect(csvResponse.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csvResponse.headers['content-disposition']).toBe('attachment; filename="costs.csv"');
    expect(csvResponse.body).toBe(CSV_TEXT);
  });

  it('redirects a wrong or missing name in the address to the right one', async () => {
    const { id, url } = await attach({ resourceId: await createResourceRow(t.db, sharer.member.id) }, 'Plan.pdf', pdfBytes('Plan'));
    for (const wrong of [`/files/${id}/other.pdf`, `/files/${id}/plan.pdf`, `/files/${id}/%00`]) {
      const response = await reader.browser.get(wrong);
      expect(response.statusCode, wrong).toBe(303);
      expect(response.headers.location).toBe(url);
    }
  });

  it('answers 404 for ids that name nothing', async () => {
    for (const path of ['/files/999999/x.pdf', '/files/0/x.pdf', '/files/abc/x.pdf', '/files/1.5/x.pdf', '/files/99999999999999999999/x.pdf', '/files/-1/x.pdf']) {
      expect((await reader.browser.get(path)).statusCode, path).toBe(404);
    }
  });

  it('sends a signed-out visitor to sign in', async () => {
    const { url } = await attachToPost();
    const response = await new Browser(t.app).get(url);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/login?next=${encodeURIComponent(url)}`);
  });

  it('answers HEAD with the headers alone, and a revalidation with 304, counting neither', async () => {
    const { id, url } = await attachToPost();
    const head = await t.app.inject({ method: 'HEAD', url, headers: { host: TEST_HOST, cookie: reader.browser.cookieHeader } });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String(pdfBytes('Minutes').length));
    expect(await downloadCount(id)).toBe(0);
    expect((await reader.browser.get(url)).statusCode).toBe(200);
    const etag = head.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const revalidated = await reader.browser.get(url, { 'if-none-match': etag });
    expect(revalidated.statusCode).toBe(304);
    expect(revalidated.body).toBe('');
    expect(await downloadCount(id)).toBe(1);
  });
});

async function downloadCount(fileId: number): Promise<number> {
  return (await t.db.selectFrom('files').select('download_count').where('id', '=', fileId).executeTakeFirstOrThrow()).download_count;
}

describe('who may download, checked on every request', () => {
  it('a removed resource’s files: not members (404), still moderators', async () => {
    const resourceId = await createResourceRow(t.db, sharer.member.id);
    const { url } = await attach({ resourceId }, 'guide.pdf', pdfBytes('Guide'));
    expect((await reader.browser.get(url)).statusCode).toBe(200);
    await t.db.updateTable('resources').set({ removed_at: sql`now()`, removed_by: moderator.member.id }).where('id', '=', resourceId).execute();
    expect((await reader.browser.get(url)).statusCode).toBe(404);
    expect((await sharer.browser.get(url)).statusCode).toBe(404);
    expect((await moderator.browser.get(url)).statusCode).toBe(200);
    expect(t.logs.some((line) => line.msg === 'refused a file the member may not see')).toBe(true);
  });

  it('a hidden resource’s files (by flags or a moderator): not members (404), still moderators', async () => {
    const resourceId = await createResourceRow(t.db, sharer.member.id);
    const { url } = await attach({ resourceId }, 'flagged.pdf', pdfBytes('Flagged'));
    expect((await reader.browser.get(url)).statusCode).toBe(200);
    await t.db.updateTable('resources').set({ hidden_at: sql`now()` }).where('id', '=', resourceId).execute();
    expect((await reader.browser.get(url)).statusCode).toBe(404);
    expect((await sharer.browser.get(url)).statusCode).toBe(404);
    expect((await moderator.browser.get(url)).statusCode).toBe(200);
  });

  it('a resource’s files where the library’s category is closed to members: not members (404), still moderators', async () => {
    const { url } = await attach({ resourceId: await createResourceRow(t.db, sharer.member.id) }, 'closed.pdf', pdfBytes('Closed'));
    expect((await reader.browser.get(url)).statusCode).toBe(200);
    const closeLibrary = (visibleTo: 'members' | 'moderators') => t.db.updateTable('categories').set({ visible_to: visibleTo }).where('slug', '=', 'resource-library').execute();
    await closeLibrary('moderators');
    try {
      expect((await reader.browser.get(url)).statusCode).toBe(404);
      expect((await moderator.browser.get(url)).statusCode).toBe(200);
    } finally {
      await closeLibrary('members');
    }
  });

  it('a hidden or deleted post’s, or one in a hidden thread: not members (404), still moderators', async () => {
    for (const options of [{ hidden: true }, { deleted: true }, { threadHidden: true }]) {
      const { url } = await attachToPost(options);
      expect((await reader.browser.get(url)).statusCode, JSON.stringify(options)).toBe(404);
      expect((await moderator.browser.get(url)).statusCode, JSON.stringify(options)).toBe(200);
    }
  });

  it('a post’s in a category the member cannot see (404), even with a cached copy', async () => {
    const { url } = await attachToPost({ visibleTo: 'moderators' });
    const allowed = await moderator.browser.get(url);
    expect(allowed.statusCode).toBe(200);
    expect((await reader.browser.get(url)).statusCode).toBe(404);
    expect((await reader.browser.get(url, { 'if-none-match': allowed.headers.etag as string })).statusCode).toBe(404);
  });

  it('stops at once when a post is hidden', async () => {
    const postId = await createPostRow(t.db, sharer.member.id);
    const { url } = await attach({ postId }, 'notes.pdf', pdfBytes('Notes'));
    expect((await reader.browser.get(url)).statusCode).toBe(200);
    await t.db.updateTable('posts').set({ hidden_at: sql`now()` }).where('id', '=', postId).execute();
    expect((await reader.browser.get(url)).statusCode).toBe(404);
  });
});

describe('versions', () => {
  it('keeps an earlier version downloadable after it is replaced', async () => {
    const resourceId = await createResourceRow(t.db, sharer.member.id);
    const first = await attach({ resourceId }, 'policy.pdf', pdfBytes('Version one'));
    const second = await attach({ resourceId }, 'policy v2.pdf', pdfBytes('Version two'), [{ name: 'replace', value: String(first.id) }]);
    const third = await attach({ resourceId }, 'policy v3.pdf', pdfBytes('Version three'), [{ name: 'replace', value: String(second.id) }]);
    const rows = await t.db.selectFrom('files').select(['id', 'version_of', 'replaced_at', 'position']).where('resource_id', '=', resourceId).orderBy('id').execute();
    expect(rows.map((row) => [row.id, row.version_of, row.replaced_at !== null, row.position])).toEqual([
      [first.id, null, true, 1],
      [second.id, first.id, true, 1],
      [third.id, first.id, false, 1],
    ]);
    expect((await reader.browser.get(first.url)).body).toContain('Version one');
    expect((await reader.browser.get(third.url)).body).toContain('Version three');
    // As a resource page lists them: in their place, the current version first.
    const listed = await listAttachedFiles(t.db, { resourceId });
    expect(listed.map((file) => [file.name, file.versionOf, file.replacedAt === null])).toEqual([
      ['policy v3.pdf', first.id, true],
      ['policy v2.pdf', first.id, false],
      ['policy.pdf', null, false],
    ]);
  });

  it('lists the files of a page of posts in one query', async () => {
    const posts = [await createPostRow(t.db, sharer.member.id), await createPostRow(t.db, sharer.member.id)];
    await attach({ postId: posts[0]! }, 'first.pdf', pdfBytes('First'));
    await attach({ postId: posts[1]! }, 'second.jpg', jpegBytes(), [{ name: 'title', value: 'A photo' }]);
    const listed = await listAttachedFiles(t.db, { postIds: posts });
    expect(listed.map((file) => [file.postId, file.name, file.contentType, file.width])).toEqual([
      [posts[0], 'first.pdf', 'application/pdf', null],
      [posts[1], 'second.jpg', 'image/jpeg', 8],
    ]);
    expect(await listAttachedFiles(t.db, { postIds: [] })).toEqual([]);
  });

  it('refuses to replace another owner’s file, or one already replaced, and keeps nothing', async () => {
    const mine = await createResourceRow(t.db, sharer.member.id);
    const theirs = await attach({ resourceId: await createResourceRow(t.db, reader.member.id) }, 'theirs.pdf', pdfBytes('Theirs'));
    const body = new MultipartBody([csrfPart(await csrfOf(sharer.browser)), { name: 'resource_id', value: String(mine) }, { name: 'replace', value: String(theirs.id) }, { name: 'files', filename: 'mine.pdf', data: pdfBytes('Taking over') }]);
    const response = await postMultipart(t.app, sharer.browser, UPLOAD_PROBE, body);
    expect(response.json().ids).toEqual([null]);
    expect(await t.db.selectFrom('files').select('id').where('resource_id', '=', mine).execute()).toEqual([]);
    const stored = await t.db.selectFrom('file_blobs').select('id').where('sha256', '=', createHash('sha256').update(pdfBytes('Taking over')).digest()).execute();
    expect(stored).toEqual([]);
  });
});

// Last: moving the clock a day on ends every session of the file.
describe('download counts', () => {
  it('counts a member once a day, on the file and its resource', async () => {
    const resourceId = await createResourceRow(t.db, sharer.member.id);
    const { id, url } = await attach({ resourceId }, 'toolkit.pdf', pdfBytes('Toolkit'));
    const resourceCount = async () => (await t.db.selectFrom('resources').select('download_count').where('id', '=', resourceId).executeTakeFirstOrThrow()).download_count;
    for (let i = 0; i < 3; i += 1) expect((await reader.browser.get(url)).statusCode).toBe(200);
    expect(await downloadCount(id)).toBe(1);
    expect(await resourceCount()).toBe(1);
    expect((await sharer.browser.get(url)).statusCode).toBe(200);
    expect([await downloadCount(id), await resourceCount()]).toEqual([2, 2]);
    clock.advance(25 * HOUR);
    // A day on, the member's session has lapsed: they sign in again.
    const nextDay = await signedInBrowser(t.app, reader.member, reader.member.password);
    expect((await nextDay.get(url)).statusCode).toBe(200);
    expect((await nextDay.get(url)).statusCode).toBe(200);
    expect([await downloadCount(id), await resourceCount()]).toEqual([3, 3]);
    const days = await t.db.selectFrom('file_downloads').select(['member_id', 'day']).where('file_id', '=', id).execute();
    expect(days).toHaveLength(3);
  });
});
