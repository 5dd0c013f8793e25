import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import type { FieldErrors } from '../../lib/forms.js';
import { claimPostingBudget, renderBody, type Poster } from '../discussions/posting.js';
import { findCategoryBySlug } from '../discussions/queries/categories.js';
import { insertPostNotifications } from '../discussions/queries/notifications.js';
import { insertPost } from '../discussions/queries/posts.js';
import { insertThread } from '../discussions/queries/threads.js';
import { slugify } from '../discussions/slug.js';
import { insertFiles } from './files/queries.js';
import type { ReceivedFile } from './files/received-file.js';
import { withStoredFiles } from './files/service.js';
import { markdownText, renderContent } from './content.js';
import { RESOURCE_MESSAGES as M } from './messages.js';
import { checkChoices } from './queries/choices.js';
import { bumpLibraryVersion } from './queries/library.js';
import { findResourceIdByFormToken, insertResource } from './queries/resources.js';
import { insertInitiativeTypes, insertTags } from './queries/tags.js';
import type { ResourceInput } from './schemas.js';

/** Where every resource's discussion thread is started (the category 0008 made). */
export const LIBRARY_CATEGORY = 'resource-library';

export type ShareResult =
  | { kind: 'shared'; resourceId: number }
  | { kind: 'duplicate'; resourceId: number }
  /** An agency or initiative type the form named does not exist (any more). */
  | { kind: 'invalid'; errors: FieldErrors }
  /** The form's token was spent on something else (another form, another member): reload it. */
  | { kind: 'stale-form' }
  | { kind: 'no-category' }
  | { kind: 'rate-limited'; retryAfterSeconds: number };

// Thrown inside the transaction to undo what it wrote, carrying the answer; never leaves this
// module. `undefined`: another request with the same form won the race.
class RollBack extends Error {
  constructor(readonly result: ShareResult | undefined) {
    super('rolled back');
  }
}

/** The agency and initiative types a form names, checked against the tables. */
export async function choiceErrors(deps: Pick<Deps, 'db'>, input: Pick<ResourceInput, 'agencyId' | 'initiativeTypes'>): Promise<FieldErrors | undefined> {
  const found = await checkChoices(deps.db, input.agencyId, input.initiativeTypes);
  const errors: FieldErrors = {};
  if (found.initiativeTypesFound !== input.initiativeTypes.length) errors.initiative_types = M.unknownInitiativeType;
  if (!found.agencyExists) errors.agency = M.unknownAgency;
  return Object.keys(errors).length > 0 ? errors : undefined;
}

/**
 * Shares a resource: the resource, its files, its discussion thread in the library's category
 * with a first post by the sharer that links to it, its tags and initiative types, and the
 * notices to the category's watchers, all in one transaction (the files' contents stored just
 * before it, and forgotten again if it writes nothing). A resubmitted form (double click, Back and
 * submit, parallel posts) finds the resource the first one made, and costs nothing; a new one
 * spends the posting budget as a new thread does.
 */
export async function shareResource(deps: Deps, sharer: Poster, input: ResourceInput & { formToken: string; files?: readonly ReceivedFile[] }): Promise<ShareResult> {
  const existing = await findResourceIdByFormToken(deps.db, input.formToken, sharer.id);
  if (existing !== undefined) return { kind: 'duplicate', resourceId: existing };
  const category = await findCategoryBySlug(deps.db, LIBRARY_CATEGORY, sharer);
  if (!category) return { kind: 'no-category' };
  const errors = await choiceErrors(deps, input);
  if (errors) return { kind: 'invalid', errors };
  const content = renderContent(input.body, input.sections);
  const { files = [] } = input;

  try {
    return await withStoredFiles(deps, files, () =>
      inTransaction(deps.db, async (trx): Promise<ShareResult> => {
        // The thread, the resource and the first post share the form's token, each unique in its table.
        const threadId = await insertThread(trx, { categoryId: category.id, authorId: sharer.id, title: input.title, slug: slugify(input.title), formToken: input.formToken });
        if (threadId === undefined) throw new RollBack(undefined);
        const resourceId = await insertResource(trx, { kind: input.kind, title: input.title, summary: input.summary, content, externalUrl: input.externalUrl, agencyId: input.agencyId, sharerId: sharer.id, threadId, formToken: input.formToken });
        if (resourceId === undefined) throw new RollBack({ kind: 'stale-form' });
        await insertFiles(trx, files, { resourceId }, sharer.id);
        const firstPost = renderBody(M.firstPost(markdownText(input.title), resourceId));
        const postId = await insertPost(trx, { threadId, authorId: sharer.id, position: 1, replyToPostId: null, depth: 0, ...firstPost, formToken: input.formToken }, { id: category.id, newThread: true, counted: true });
        if (postId === undefined) throw new RollBack({ kind: 'stale-form' });
        // Counted only once the resource is known to be new: a resubmitted form costs nothing.
        const budget = await claimPostingBudget(deps, sharer, trx);
        if (!budget.ok) throw new RollBack({ kind: 'rate-limited', retryAfterSeconds: budget.retryAfterSeconds });
        await insertTags(trx, resourceId, input.tags);
        // An initiative type deleted since the check above: the form is answered as if it had been then.
        if ((await insertInitiativeTypes(trx, resourceId, input.initiativeTypes)) !== input.initiativeTypes.length) throw new RollBack({ kind: 'invalid', errors: { initiative_types: M.unknownInitiativeType } });
        await insertPostNotifications(trx, { postId, threadId, categoryId: category.id, actorId: sharer.id, repliedToMemberId: null, mentionedHandles: [], newThread: true });
        await bumpLibraryVersion(trx);
        return { kind: 'shared', resourceId };
      }),
    );
  } catch (error) {
    if (!(error instanceof RollBack)) throw error;
    // Lost a race with the same form: the winner's transaction is committed by the time the
    // unique index let this one go. Looked up once this transaction's connection is back in the
    // pool: twenty of these each waiting for a second connection would drain it.
    return error.result ?? duplicateOf(deps, input.formToken, sharer.id);
  }
}

/** The resource this member's form already made; a token spent by anyone else is a stale form. */
async function duplicateOf(deps: Pick<Deps, 'db'>, formToken: string, sharerId: number): Promise<ShareResult> {
  const resourceId = await findResourceIdByFormToken(deps.db, formToken, sharerId);
  return resourceId === undefined ? { kind: 'stale-form' } : { kind: 'duplicate', resourceId };
}
