import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUrl } from '../../../src/features/resources/files/filename.js';
import { FILE_MESSAGES } from '../../../src/features/resources/files/messages.js';
import { RESOURCE_MESSAGES as M } from '../../../src/features/resources/messages.js';
import type { Browser } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { HOSTILE, pdfBytes } from '../../support/file-fixtures.js';
import type { TestMember } from '../../support/members.js';
import { editFields, escapeLikeHandlebars, filePart, guideFields, postResourceForm, refusedUploadWritingNothing, resourceIdFrom, resourcePageOf, shareWithFiles } from '../../support/resources.js';
import { buildUploadTestApp, type FormPart, type UploadTestApp } from '../../support/uploads.js';

let t: UploadTestApp;
let sharer: { member: TestMember; browser: Browser };
let other: { member: TestMember; browser: Browser };
let moderator: { member: TestMember; browser: Browser };
beforeAll(async () => {
  t = await buildUploadTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
  sharer = await memberWithBrowser(t.app, t.db);
  other = await memberWithBrowser(t.app, t.db);
  moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
});
afterAll(async () => t.close());

const refused = <R extends { statusCode: number; body: string }>(send: () => Promise<R>, status: number, message?: string) => refusedUploadWritingNothing(t, send, status, message);

/** A resource shared through the form with one PDF (`text` makes it distinct); its id and the file's. */
async function sharedWithFile(text: string): Promise<{ id: number; fileId: number }> {
  const response = await shareWithFiles(t.app, sharer.browser, guideFields(sharer.member.agencyId, { title: `Payroll guide ${text}` }), [filePart(`${text}.pdf`, pdfBytes(text))]);
  expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
  const id = resourceIdFrom(response.headers.location);
  const file = await t.db.selectFrom('files').select('id').where('resource_id', '=', id).executeTakeFirstOrThrow();
  return { id, fileId: file.id };
}

/** Saves the edit form as it opens, with `changes` to its fields and these files. */
async function saveEdit(browser: Browser, id: number, files: FormPart[], changes: Record<string, string | string[]> = {}) {
  return postResourceForm(t.app, browser, `/resources/${id}/edit`, await editFields(browser, id, changes), files);
}

const currentFiles = (id: number) =>
  t.db.selectFrom('files').select(['id', 'name', 'version_of']).where('resource_id', '=', id).where('replaced_at', 'is', null).orderBy('position').execute();
const snapshotFiles = async (id: number, version: number) =>
  ((await t.db.selectFrom('resource_revisions').select('snapshot').where('resource_id', '=', id).where('version', '=', version).executeTakeFirstOrThrow()).snapshot as { files: unknown }).files;

describe('GET /resources/:id/edit', () => {
  it('is a multipart form, its token first, offering a new version of each file, its removal, and more files', async () => {
    const { id, fileId } = await sharedWithFile('form');
    const page = (await sharer.browser.get(`/resources/${id}/edit`)).body;
    expect(page).toMatch(new RegExp(`<form method="post" action="/resources/${id}/edit" enctype="multipart/form-data" novalidate>\\s*<input type="hidden" name="_csrf"`));
    expect(page).toContain(`<label for="field-replace_${fileId}">New version of <bdi>form.pdf</bdi></label>`);
    expect(page).toContain(`<input id="field-replace_${fileId}" name="replace_${fileId}" type="file" accept=".pdf,`);
    expect(page).toContain(`<input type="checkbox" id="field-remove-${fileId}" name="remove_files" value="${fileId}">`);
    expect(page).toContain('<label for="field-files">Add files</label>');
  });
});

describe('POST /resources/:id/edit with files: each change is a new version', () => {
  it('adds files, keeping the version before in a revision that names its files', async () => {
    const { id, fileId } = await sharedWithFile('adding');
    const response = await saveEdit(sharer.browser, id, [filePart('annex.pdf', pdfBytes('annex'))]);
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
    expect((await currentFiles(id)).map((file) => file.name)).toEqual(['adding.pdf', 'annex.pdf']);
    expect((await t.db.selectFrom('resources').select('version').where('id', '=', id).executeTakeFirstOrThrow()).version).toBe(2);
    expect(await snapshotFiles(id, 1)).toEqual([{ id: fileId, name: 'adding.pdf' }]);
    expect(await resourcePageOf(sharer.browser, id)).toContain('<bdi>annex.pdf</bdi>');
  });

  it('replaces a file with a new version, the earlier one still listed and downloadable', async () => {
    const { id, fileId } = await sharedWithFile('replacing');
    const response = await saveEdit(sharer.browser, id, [filePart('replacing v2.pdf', pdfBytes('v2'), `replace_${fileId}`)]);
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
    const [current] = await currentFiles(id);
    expect(current).toMatchObject({ name: 'replacing v2.pdf', version_of: fileId });
    const page = await resourcePageOf(sharer.browser, id);
    expect(page).toContain(`<a href="${fileUrl(current!)}"><bdi>replacing v2.pdf</bdi></a>`);
    expect(page).toMatch(new RegExp(`Earlier versions:.*<a href="${fileUrl({ id: fileId, name: 'replacing.pdf' })}">`, 's'));
    expect((await other.browser.get(fileUrl({ id: fileId, name: 'replacing.pdf' }))).statusCode).toBe(200);
    expect(await snapshotFiles(id, 1)).toEqual([{ id: fileId, name: 'replacing.pdf' }]);
  });

  it('takes a file off: no longer listed, still named by the revision before', async () => {
    const { id, fileId } = await sharedWithFile('removing');
    const response = await saveEdit(sharer.browser, id, [], { remove_files: String(fileId) });
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
    expect(await currentFiles(id)).toEqual([]);
    expect(await resourcePageOf(sharer.browser, id)).not.toContain('removing.pdf');
    expect(await snapshotFiles(id, 1)).toEqual([{ id: fileId, name: 'removing.pdf' }]);
  });

  it('is “nothing changed” with no file and no field changed', async () => {
    const { id } = await sharedWithFile('unchanged');
    const response = await refused(() => saveEdit(sharer.browser, id, []), 303);
    expect(response.headers.location).toBe(`/resources/${id}`);
  });
});

describe('POST /resources/:id/edit refuses bad files and choices, writing nothing', () => {
  it('a refused file, shown with a field’s message and the form filled in (422), and a file too large (413)', async () => {
    const { id } = await sharedWithFile('refusing');
    const response = await refused(() => saveEdit(sharer.browser, id, [filePart('logo.svg', HOSTILE.svg)], { title: '' }), 422, M.titleRequired);
    expect(response.body).toContain(escapeLikeHandlebars(FILE_MESSAGES.refused('logo.svg', { reason: 'svg' })));
    expect(response.body).toContain(M.chooseFilesAgain);
    expect(response.body).toContain('Capture each post **as published**.');
    await refused(() => saveEdit(sharer.browser, id, [filePart('big.pdf', { head: Buffer.from('%PDF-1.7\n'), size: 25 * 1024 * 1024 + 1 })]), 413, escapeLikeHandlebars(FILE_MESSAGES.tooLarge('big.pdf', 25 * 1024 * 1024)));
  });

  it('a bad new version, its message beside that file', async () => {
    const { id, fileId } = await sharedWithFile('bad-version');
    const response = await refused(() => saveEdit(sharer.browser, id, [filePart('v2.pdf', HOSTILE.html, `replace_${fileId}`)]), 422, escapeLikeHandlebars(FILE_MESSAGES.refused('v2.pdf', { reason: 'html' })));
    expect(response.body).toMatch(new RegExp(`<p class="field__error" id="error-replace_${fileId}">`));
  });

  it('a file both replaced and removed, and a file of another resource (422)', async () => {
    const { id, fileId } = await sharedWithFile('both');
    await refused(() => saveEdit(sharer.browser, id, [filePart('v2.pdf', pdfBytes('both v2'), `replace_${fileId}`)], { remove_files: String(fileId) }), 422, M.replaceOrRemove('both.pdf'));
    const elsewhere = await sharedWithFile('elsewhere');
    await refused(() => saveEdit(sharer.browser, id, [], { remove_files: String(elsewhere.fileId) }), 422, escapeLikeHandlebars(M.fileNoLongerThere));
    await refused(() => saveEdit(sharer.browser, id, [filePart('v2.pdf', pdfBytes('elsewhere v2'), `replace_${elsewhere.fileId}`)]), 422, escapeLikeHandlebars(M.fileNoLongerThere));
    await refused(() => saveEdit(sharer.browser, id, [], { remove_files: 'x; drop table files' }), 422, M.badFileChoice);
  });

  it('a form opened before someone else saved (409): its files neither attached nor kept', async () => {
    const { id } = await sharedWithFile('conflict');
    const stale = await editFields(sharer.browser, id);
    expect((await saveEdit(moderator.browser, id, [], { summary: 'A moderator’s better summary.' })).statusCode).toBe(303);
    const response = await refused(() => postResourceForm(t.app, sharer.browser, `/resources/${id}/edit`, stale, [filePart('late.pdf', pdfBytes('late'))]), 409, escapeLikeHandlebars(M.editConflict));
    expect(response.body).toContain(M.chooseFilesAgain);
  });

  it('someone else’s resource (403)', async () => {
    const { id } = await sharedWithFile('not-yours');
    const fields = await editFields(sharer.browser, id);
    const othersToken = (await other.browser.openForm('/resources/new'))._csrf!;
    await refused(() => postResourceForm(t.app, other.browser, `/resources/${id}/edit`, { ...fields, _csrf: othersToken }, [filePart('mine.pdf', pdfBytes('mine'))]), 403, escapeLikeHandlebars(M.notYours));
  });
});

describe('a removed resource’s files', () => {
  it('are not downloadable by members once it is removed through its form (404), and are by moderators', async () => {
    const { id, fileId } = await sharedWithFile('to-remove');
    const url = fileUrl({ id: fileId, name: 'to-remove.pdf' });
    expect((await other.browser.get(url)).statusCode).toBe(200);
    const hidden = await sharer.browser.openForm(`/resources/${id}/remove`);
    expect((await sharer.browser.post(`/resources/${id}/remove`, hidden)).statusCode).toBe(303);
    expect((await other.browser.get(url)).statusCode).toBe(404);
    expect((await sharer.browser.get(url)).statusCode).toBe(404);
    expect((await moderator.browser.get(url)).statusCode).toBe(200);
  });
});
