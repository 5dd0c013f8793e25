import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { Forbidden, NotFound } from '../../lib/errors.js';
import type { FieldErrors } from '../../lib/forms.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { isStaff, type Viewer } from '../discussions/access.js';
import { claimPostingBudget, type Poster } from '../discussions/posting.js';
import { retitleThread } from '../discussions/queries/edits.js';
import { slugify } from '../discussions/slug.js';
import { recordModerationAction, removeResourceAsModerator } from '../moderation/actions.js';
import { resolveFlagsOnRemovedContent } from '../moderation/flags.js';
import { findResourcePlace } from '../moderation/queries/members.js';
import { checkMayModerateContentOf, mayModerateContentOf } from '../moderation/staff.js';
import { renderContent } from './content.js';
import { hideDiscussionWithResource } from './discussion.js';
import { changeResourceFiles, fileChangeErrors, hasFileChanges, receivedFilesOf, type FileChanges } from './file-changes.js';
import { withStoredFiles } from './files/service.js';
import { RESOURCE_MESSAGES as M } from './messages.js';
import { bumpLibraryVersion } from './queries/library.js';
import { markResourceRemoved, setResourceFeatured } from './queries/resources.js';
import { replaceInitiativeTypes, replaceTags } from './queries/tags.js';
import { findResourceState, insertResourceRevision, lockResourceAtVersion, updateResource, type ResourceState } from './queries/versions.js';
import type { ResourceInput } from './schemas.js';
import { choiceErrors } from './sharing.js';

/** Who may edit or remove a resource: the member who shared it, and staff who may moderate what its sharer wrote. */
export function mayChangeResource(viewer: Viewer, resource: Pick<ResourceState, 'sharerId' | 'sharerRole'>): boolean {
  return resource.sharerId === viewer.id || (isStaff(viewer.role) && mayModerateContentOf(viewer, { id: resource.sharerId, role: resource.sharerRole }));
}

/**
 * A resource the viewer may change, as it is now, removed or not: a removed one is not there for
 * a member at all (404), nor is someone else's hidden one, and someone else's is 403.
 */
export async function resourceInReach(deps: Pick<Deps, 'db'>, viewer: Viewer, id: number): Promise<ResourceState> {
  const resource = await findResourceState(deps.db, id);
  if (!resource || (resource.removed && !isStaff(viewer.role))) throw new NotFound();
  if (resource.hidden && resource.sharerId !== viewer.id && !isStaff(viewer.role)) throw new NotFound();
  if (isStaff(viewer.role)) checkMayModerateContentOf(viewer, { id: resource.sharerId, role: resource.sharerRole });
  if (!mayChangeResource(viewer, resource)) throw new Forbidden(M.notYours);
  // A hidden resource waits for a moderator: changing it then would change what they are judging.
  if (resource.hidden && !isStaff(viewer.role)) throw new Forbidden(M.isHidden);
  return resource;
}

/** A resource the viewer may edit: one still in the library (staff are told a removed one was). */
export async function resourceToChange(deps: Pick<Deps, 'db'>, viewer: Viewer, id: number): Promise<ResourceState> {
  const resource = await resourceInReach(deps, viewer, id);
  if (resource.removed) throw new NotFound(M.wasRemoved);
  return resource;
}

export type EditResult =
  | { kind: 'edited' }
  | { kind: 'unchanged' }
  /** Someone saved first: the resource as it is now, to show beside the editor's changes. */
  | { kind: 'conflict'; current: ResourceState }
  | { kind: 'gone' }
  | { kind: 'invalid'; errors: FieldErrors }
  | { kind: 'rate-limited'; retryAfterSeconds: number };

// Thrown inside the transaction to undo what it wrote; never leaves this module.
class Stale extends Error {
  constructor() {
    super('resource changed since the form was opened');
  }
}
class Refused extends Error {
  constructor(readonly errors: FieldErrors) {
    super('refused');
  }
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((item) => b.includes(item));

function isUnchanged(resource: ResourceState, input: ResourceInput, files: FileChanges): boolean {
  const sections = (value: ResourceInput['sections']) => JSON.stringify(value && [value.context, value.approach, value.outcome, value.lessons]);
  return (
    !hasFileChanges(files) &&
    resource.kind === input.kind &&
    resource.title === input.title &&
    resource.summary === input.summary &&
    resource.body === input.body &&
    sections(resource.sections) === sections(input.sections) &&
    resource.externalUrl === input.externalUrl &&
    resource.agency?.id === input.agencyId &&
    sameSet(resource.tags, input.tags) &&
    sameSet(
      resource.initiativeTypes.map((type) => type.slug),
      input.initiativeTypes,
    )
  );
}

/** What a revision keeps of the version it replaced: everything the resource said, the files it had, and when. */
export function snapshotOf(resource: ResourceState) {
  const { kind, title, summary, body, sections, externalUrl, agency, tags, initiativeTypes, files, writtenAt } = resource;
  return { kind, title, summary, body, sections, externalUrl, agency, tags, initiativeTypes, files, writtenAt: writtenAt.toISOString() };
}
export type ResourceSnapshot = ReturnType<typeof snapshotOf>;

/**
 * A new version of a resource, from a form opened at `version`: the version it replaces kept
 * whole in resource_revisions, the Markdown rendered again, tags and initiative types replaced,
 * files added, given new versions or taken off (their contents stored just before), and its
 * thread retitled with the title (the old one kept), in one transaction. Two forms opened
 * at one version: the first saves, the second gets the current resource back. An edit spends the
 * posting budget, as a post's edit does.
 */
export async function editResource(deps: Deps, editor: Poster, resource: ResourceState, input: ResourceInput & { version: number; files: FileChanges }): Promise<EditResult> {
  if (isUnchanged(resource, input, input.files)) return { kind: 'unchanged' };
  // Judged against the files the form showed; a form opened on an older version is answered as a conflict below.
  const fileErrors = input.version === resource.version ? fileChangeErrors(input.files, resource.files) : undefined;
  if (fileErrors) return { kind: 'invalid', errors: fileErrors };
  const errors = await choiceErrors(deps, input);
  if (errors) return { kind: 'invalid', errors };
  const budget = await claimPostingBudget(deps, editor, deps.db);
  if (!budget.ok) return { kind: 'rate-limited', retryAfterSeconds: budget.retryAfterSeconds };
  const content = renderContent(input.body, input.sections);

  try {
    await withStoredFiles(deps, receivedFilesOf(input.files), () =>
      inTransaction(deps.db, async (trx) => {
        const previous = await lockResourceAtVersion(trx, resource.id, input.version);
        if (!previous) throw new Stale();
        await insertResourceRevision(trx, { resourceId: resource.id, version: previous.version, snapshot: snapshotOf(previous), replacedBy: editor.id });
        await updateResource(trx, resource.id, { kind: input.kind, title: input.title, summary: input.summary, content, externalUrl: input.externalUrl, agencyId: input.agencyId });
        // The files were current when the form was checked; only a change since can make them not.
        if (!(await changeResourceFiles(trx, resource.id, input.files, editor.id))) throw new Stale();
        await replaceTags(trx, resource.id, input.tags);
        if ((await replaceInitiativeTypes(trx, resource.id, input.initiativeTypes)) !== input.initiativeTypes.length) throw new Refused({ initiative_types: M.unknownInitiativeType });
        if (input.title !== previous.title) await retitleThread(trx, resource.threadId, { title: input.title, slug: slugify(input.title), replacedBy: editor.id });
        // A moderator changing what a member shared is a moderation action, with the queue's record.
        if (editor.id !== resource.sharerId) {
          const place = await findResourcePlace(trx, resource.id);
          if (!place) throw new Stale();
          await recordModerationAction(trx, editor, { kind: 'resource', id: resource.id }, {
            verb: 'edited',
            outcome: 'edited',
            subjectMemberId: resource.sharerId,
            threadId: place.threadId,
            postId: place.postId,
            tellsAuthor: true,
            details: { before: { version: previous.version, title: previous.title }, after: { version: previous.version + 1, title: input.title } },
          });
        }
        await bumpLibraryVersion(trx);
      }),
    );
  } catch (error) {
    if (error instanceof Refused) return { kind: 'invalid', errors: error.errors };
    if (!(error instanceof Stale)) throw error;
    const current = await findResourceState(deps.db, resource.id);
    return !current || current.removed ? { kind: 'gone' } : { kind: 'conflict', current };
  }
  return { kind: 'edited' };
}

/**
 * Removes a resource from the library (members no longer see it; staff do, marked), its
 * discussion with it. Staff removing someone else's is the queue's removal; the sharer's own
 * closes any flags on it. Again is a no-op.
 */
export async function removeResource(deps: Pick<Deps, 'db'>, remover: Viewer, resource: ResourceState): Promise<'removed' | 'already-removed'> {
  if (remover.id !== resource.sharerId) return removeResourceAsModerator(deps, remover, resource.id, '');
  return inTransaction(deps.db, async (trx) => {
    const removed = await markResourceRemoved(trx, resource.id, remover.id);
    if (!removed) return 'already-removed';
    await hideDiscussionWithResource(trx, removed.threadId, { actorMemberId: remover.id });
    await resolveFlagsOnRemovedContent(trx, { kind: 'resource', id: resource.id }, null);
    await bumpLibraryVersion(trx);
    return 'removed';
  });
}

/** Features a resource at the top of the library, or stops: staff only, audited, once however often pressed. */
export async function featureResource(deps: Pick<Deps, 'db'>, moderator: Viewer, resource: ResourceState, featured: boolean): Promise<'done' | 'removed'> {
  if (!isStaff(moderator.role)) throw new Forbidden(M.staffOnly);
  if (resource.removed) return 'removed';
  await inTransaction(deps.db, async (trx) => {
    if (await setResourceFeatured(trx, resource.id, featured ? moderator.id : null)) {
      await insertAuditEvent(trx, { actorMemberId: moderator.id, action: featured ? 'resource.featured' : 'resource.unfeatured', targetType: 'resource', targetId: resource.id });
      await bumpLibraryVersion(trx);
    }
  });
  return 'done';
}
