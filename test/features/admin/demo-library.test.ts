import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeps, type Deps } from '../../../src/deps.js';
import { seedDemoData, type SeedReport } from '../../../src/features/admin/demo-data.js';
import { seedDemoForum } from '../../../src/features/admin/demo-forum.js';
import { seedDemoLibrary } from '../../../src/features/admin/demo-library.js';
import { DEMO_RESOURCES } from '../../../src/features/admin/demo-resources-content.js';
import { PasswordHasher } from '../../../src/features/auth/password-hashing.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { signIn } from '../../support/members.js';

const cheapHasher = new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
const DEMO_FILES = DEMO_RESOURCES.reduce((sum, resource) => sum + (resource.files?.length ?? 0), 0);
const actor = { actorLabel: 'seed' };

let t: TestApp;
let deps: Deps;
let members: SeedReport;
beforeAll(async () => {
  t = await buildTestApp();
  members = await seedDemoData({ db: t.db, hasher: cheapHasher }, actor);
  deps = createDeps({ db: t.db, config: t.config });
  await seedDemoForum(deps);
  expect(await seedDemoLibrary(deps, actor)).toEqual({ kind: 'added', resources: DEMO_RESOURCES.length, files: DEMO_FILES });
});
afterAll(async () => t.close());

async function rowCounts() {
  const count = async (table: 'resources' | 'files' | 'file_blobs' | 'file_blob_chunks' | 'resource_reactions' | 'threads' | 'agencies') =>
    Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  return { resources: await count('resources'), files: await count('files'), blobs: await count('file_blobs'), chunks: await count('file_blob_chunks'), reactions: await count('resource_reactions'), threads: await count('threads'), agencies: await count('agencies') };
}

describe('seedDemoLibrary', () => {
  it('shares a dozen resources across agency types and initiative types, four of them structured case studies, each with its discussion thread', async () => {
    const resources = await t.db
      .selectFrom('resources as r')
      .innerJoin('agencies as a', 'a.id', 'r.agency_id')
      .innerJoin('threads as th', 'th.id', 'r.thread_id')
      .innerJoin('categories as c', 'c.id', 'th.category_id')
      .select(['r.kind', 'r.context_html', 'r.featured_at', 'a.agency_type', 'a.jurisdiction', 'c.slug as category', 'r.created_at'])
      .execute();
    expect(resources).toHaveLength(12);
    expect(resources.filter((r) => r.kind === 'case_study' && r.context_html).length).toBeGreaterThanOrEqual(4);
    expect(new Set(resources.map((r) => r.agency_type)).size).toBeGreaterThanOrEqual(4);
    expect(resources.every((r) => r.agency_type !== null && r.jurisdiction !== null)).toBe(true);
    expect(new Set(resources.map((r) => r.category))).toEqual(new Set(['resource-library']));
    expect(resources.filter((r) => r.featured_at !== null).length).toBeGreaterThan(0);
    // Moved back in time, so the library looks lived in.
    expect(Math.min(...resources.map((r) => r.created_at.getTime()))).toBeLessThan(Date.now() - 30 * 86_400_000);
    const initiativeTypes = await t.db.selectFrom('resource_initiative_types').select('initiative_type_id').distinct().execute();
    expect(initiativeTypes.length).toBeGreaterThanOrEqual(6);
  });

  it('attaches a PDF, a CSV and a PNG that a member downloads as what they are, and features some on the library’s first page', async () => {
    const files = await t.db.selectFrom('files').select(['id', 'name', 'content_type', 'width']).orderBy('id').execute();
    expect(files).toHaveLength(DEMO_FILES);
    expect(new Set(files.map((file) => file.content_type))).toEqual(new Set(['application/pdf', 'text/csv', 'image/png']));
    const member = members.membersAdded.find((m) => m.role === 'member')!;
    const browser = new Browser(t.app);
    expect((await signIn(browser, member.email, member.password)).statusCode).toBe(303);
    for (const file of files) {
      const download = await browser.get(`/files/${file.id}/${encodeURIComponent(file.name)}`);
      expect(download.statusCode, file.name).toBe(200);
      expect(download.headers['content-type']).toContain(file.content_type);
    }
    const library = await browser.get('/resources');
    // Led by the featured ones: every demo resource fits on the first page, so only the
    // Featured section's own list tells.
    const featured = library.body.slice(library.body.indexOf('id="featured-heading"'), library.body.indexOf('id="results-heading"'));
    for (const resource of DEMO_RESOURCES) expect(featured.includes(resource.title.slice(0, 30)), resource.key).toBe(resource.featured === true);
  });

  it('adds the library once, and finishes a run that stopped half-way without sharing anything twice', async () => {
    const before = await rowCounts();
    expect(await seedDemoLibrary(deps, actor)).toEqual({ kind: 'already-there' });
    expect(await rowCounts()).toEqual(before);
    await t.db.deleteFrom('site_settings').where('key', '=', 'demo.library_seeded').execute();
    expect(await seedDemoLibrary(deps, actor)).toEqual({ kind: 'added', resources: 0, files: 0 });
    expect(await rowCounts()).toEqual(before);
  });
});
