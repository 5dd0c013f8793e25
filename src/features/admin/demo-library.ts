import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { findSetting, upsertSetting } from '../auth/queries.js';
import { featureResource, resourceInReach } from '../resources/editing.js';
import type { ReceivedFile } from '../resources/files/received-file.js';
import { acceptFile, TemporaryFiles } from '../resources/files/upload.js';
import { setResourceHelpful } from '../resources/reactions.js';
import { shareResource } from '../resources/sharing.js';
import type { Actor } from './actor.js';
import { addAgency, classifyAgency } from './agencies.js';
import { demoFileBytes } from './demo-files.js';
import { demoFormToken, demoTime, findDemoPosters, withPostingLimitsLifted } from './demo-forum.js';
import { DEMO_AGENCY_TYPES, DEMO_RESOURCES, type DemoResource } from './demo-resources-content.js';

/**
 * The demo library for `npm run seed` (development only): DEMO_RESOURCES shared by the demo
 * members through the resource library's services, with their files passed through the same
 * checks as a member's upload and attached in the same transaction; then featured, marked helpful and moved back in time.
 * Added once (a site setting records it); each resource's form token is fixed, so a run that
 * stopped half-way finishes the job without sharing anything twice.
 */

const SEEDED = 'demo.library_seeded';
// Generous: the demo files are a few kilobytes.
const DEMO_FILE_LIMIT = 1024 * 1024;

export type DemoLibraryResult = { kind: 'added'; resources: number; files: number } | { kind: 'already-there' } | { kind: 'missing'; missing: string[] };

export async function seedDemoLibrary(deps: Deps, actor: Actor): Promise<DemoLibraryResult> {
  if ((await findSetting(deps.db, SEEDED)) !== undefined) return { kind: 'already-there' };
  const posters = await findDemoPosters(deps.db);
  const missing = DEMO_RESOURCES.flatMap((resource) => [resource.sharer, ...(resource.helpful ?? [])]).filter((handle) => !posters.has(handle));
  if (missing.length > 0) return { kind: 'missing', missing: [...new Set(missing)].map((handle) => `member @${handle}`) };
  const agencies = await classifyDemoAgencies(deps, actor);
  const moderator = [...posters.values()].find((poster) => poster.role !== 'member')!;

  // A dozen shares by six members in a second would trip the posting limits: lifted here, on
  // counters of the seed's own, as the demo forum does.
  const sharing = withPostingLimitsLifted(deps);
  const result = { kind: 'added' as const, resources: 0, files: 0 };
  const shared: Array<{ id: number; demo: DemoResource }> = [];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'commons-seed-'));
  try {
    for (const demo of DEMO_RESOURCES) {
      const sharer = posters.get(demo.sharer)!;
      const agencyId = demo.agency === undefined ? await sharersAgency(deps.db, sharer.id) : agencies.get(demo.agency);
      if (agencyId === undefined) throw new Error(`demo resource ${demo.key}: no agency for ${demo.agency ?? `@${demo.sharer}`}`);
      const temporary = new TemporaryFiles(dir);
      try {
        const files = await demoFiles(demo, temporary);
        const outcome = await shareResource(sharing, sharer, {
          kind: demo.kind,
          title: demo.title,
          summary: demo.summary,
          body: demo.body,
          sections: demo.sections ?? null,
          tags: demo.tags,
          initiativeTypes: demo.initiativeTypes,
          agencyId,
          externalUrl: demo.externalUrl ?? null,
          formToken: demoFormToken(`resource:${demo.key}`, 1),
          files,
        });
        if (outcome.kind !== 'shared' && outcome.kind !== 'duplicate') throw new Error(`demo resource ${demo.key} was refused: ${outcome.kind}`);
        if (outcome.kind === 'shared') {
          result.resources += 1;
          result.files += files.length;
        }
        shared.push({ id: outcome.resourceId, demo });
      } finally {
        await temporary.removeAll();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  for (const { id, demo } of shared) {
    const resource = await resourceInReach(deps, moderator, id);
    if (demo.featured) await featureResource(deps, moderator, resource, true);
    for (const handle of demo.helpful ?? []) await setResourceHelpful(sharing, posters.get(handle)!, resource, true);
  }
  await inTransaction(deps.db, async (trx) => {
    const now = deps.now();
    for (const { id, demo } of shared) {
      const at = demoTime(demo.at, now, deps.settings.current.TIME_ZONE);
      await trx.updateTable('resources').set({ created_at: at, updated_at: at }).where('id', '=', id).execute();
      await trx.updateTable('files').set({ uploaded_at: at }).where('resource_id', '=', id).execute();
      const thread = trx.selectFrom('resources').select('thread_id').where('id', '=', id);
      await trx.updateTable('threads').set({ created_at: at, updated_at: at, last_posted_at: at }).where('id', '=', thread).where('post_count', '=', 1).execute();
      await trx.updateTable('posts').set({ created_at: at }).where('thread_id', '=', thread).where('position', '=', 1).execute();
    }
    await trx
      .updateTable('categories')
      .set({ last_posted_at: sql`(select max(last_posted_at) from threads where threads.category_id = categories.id and deleted_at is null)` })
      .where('slug', '=', 'resource-library')
      .execute();
    await upsertSetting(trx, SEEDED, { at: now.toISOString(), resources: DEMO_RESOURCES.length });
  });
  return result;
}

/** The demo agencies' jurisdictions and types, and the agencies members share on behalf of. */
async function classifyDemoAgencies(deps: Deps, actor: Actor): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const agency of DEMO_AGENCY_TYPES) {
    const found = await deps.db.selectFrom('agencies').select(['id', 'agency_type']).where(sql<boolean>`lower(name) = lower(${agency.name})`).executeTakeFirst();
    if (!found) {
      const added = await addAgency(deps, { name: agency.name, jurisdiction: agency.jurisdiction, agency_type: agency.agencyType }, actor);
      ids.set(agency.name, added.id);
      continue;
    }
    // An administrator's own choice stands.
    if (found.agency_type === null) await classifyAgency(deps, found.id, { jurisdiction: agency.jurisdiction, agency_type: agency.agencyType }, actor);
    ids.set(agency.name, found.id);
  }
  return ids;
}

async function sharersAgency(db: Db, memberId: number): Promise<number | undefined> {
  const row = await db.selectFrom('members').select('agency_id').where('id', '=', memberId).executeTakeFirst();
  return row?.agency_id ?? undefined;
}

/** The demo files, made in code and checked as a member's upload is. */
async function demoFiles(demo: DemoResource, temporary: TemporaryFiles): Promise<ReceivedFile[]> {
  const received: ReceivedFile[] = [];
  for (const file of demo.files ?? []) {
    const outcome = await acceptFile({ field: 'files', filename: file.name, bytes: Readable.from([demoFileBytes(file)]), cut: () => false }, DEMO_FILE_LIMIT, temporary);
    if ('problem' in outcome) throw new Error(`demo file ${file.name} was refused: ${outcome.problem.message}`);
    received.push(outcome.file);
  }
  return received;
}
