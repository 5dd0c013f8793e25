import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { BadRequest } from '../../lib/errors.js';
import type { FieldErrors } from '../../lib/forms.js';
import { PAGE_MESSAGES } from '../../lib/messages.js';
import { insertFiles, replaceFile } from './files/queries.js';
import type { ReceivedFile } from './files/received-file.js';
import { RESOURCE_MESSAGES as M } from './messages.js';
import type { CurrentFile } from './queries/attachments.js';
import { retireResourceFiles } from './queries/attachments.js';

/** What a form does to a resource's files: files added, current ones given a new version, current ones taken off. */
export interface FileChanges {
  added: ReceivedFile[];
  replaced: { fileId: number; file: ReceivedFile }[];
  removed: number[];
}

/** The input new files come in, on both forms. */
export const NEW_FILES_FIELD = 'files';
/** The edit form's input for a new version of one current file. */
export const replaceField = (fileId: number) => `replace_${fileId}`;
const REPLACE_FIELD = /^replace_([1-9][0-9]{0,15})$/;

export const hasFileChanges = (changes: FileChanges) => changes.added.length + changes.replaced.length + changes.removed.length > 0;

/** Every file the changes bring, to store before their transaction. */
export const receivedFilesOf = (changes: FileChanges) => [...changes.added, ...changes.replaced.map((replacement) => replacement.file)];

/**
 * The received files sorted by the input they came in. A file in an input no form of ours has
 * (or a new version on the sharing form, which has no files yet) is a forged form: 400.
 */
export function sortReceivedFiles(files: readonly ReceivedFile[], removed: number[] = [], { replacing = true } = {}): FileChanges {
  const changes: FileChanges = { added: [], replaced: [], removed };
  for (const file of files) {
    const replaces = REPLACE_FIELD.exec(file.field);
    if (file.field === NEW_FILES_FIELD) changes.added.push(file);
    else if (replaces && replacing && !changes.replaced.some((replacement) => replacement.fileId === Number(replaces[1]))) changes.replaced.push({ fileId: Number(replaces[1]), file });
    else throw new BadRequest(PAGE_MESSAGES.unexpectedField);
  }
  return changes;
}

/** Messages for changes that cannot be made to these current files; undefined when all can. */
export function fileChangeErrors(changes: FileChanges, current: readonly CurrentFile[]): FieldErrors | undefined {
  const errors: FieldErrors = {};
  const named = (id: number) => current.find((file) => file.id === id);
  if ([...changes.removed, ...changes.replaced.map((replacement) => replacement.fileId)].some((id) => !named(id))) errors._form = M.fileNoLongerThere;
  for (const { fileId } of changes.replaced) {
    const file = named(fileId);
    if (file && changes.removed.includes(fileId)) errors[replaceField(fileId)] = M.replaceOrRemove(file.name);
  }
  return Object.keys(errors).length > 0 ? errors : undefined;
}

/**
 * Makes the changes, inside the transaction that holds the resource at its version (the files'
 * contents already stored: see withStoredFiles). False when a file to replace or remove was not
 * current after all, for the caller to roll back.
 */
export async function changeResourceFiles(trx: Transaction<DB>, resourceId: number, changes: FileChanges, memberId: number): Promise<boolean> {
  const owner = { resourceId };
  if ((await retireResourceFiles(trx, resourceId, changes.removed)) !== changes.removed.length) return false;
  for (const { fileId, file } of changes.replaced) {
    if ((await replaceFile(trx, fileId, file, owner, memberId)) === undefined) return false;
  }
  await insertFiles(trx, changes.added, owner, memberId);
  return true;
}
