import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Database } from '../../../src/db/database.js';
import { RENDERER_VERSION } from '../../../src/lib/markdown.js';
import { SEARCH_MESSAGES as M } from '../../../src/features/search/messages.js';
import { CANDIDATES_PER_KIND } from '../../../src/features/search/queries/candidates.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { createTestDatabase } from '../../support/database.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { createCategory } from '../../support/forum-rows.js';
import { resultLinks, writeThread } from '../../support/search.js';

/*
 * Search reads a kind's newest 2,000 rows one by one, then asks the full-text index within a
 * window sized by what the walk found, or without a bound when it found fewer than three
 * (queries/candidates.ts, docs/decisions/0025). A forum of 2,600 posts whose newest 2,000 hold few or none
 * of some words shows the window and the unbounded search find what the walk cannot, and that
 * what is counted is each kind's newest CANDIDATES_PER_KIND matches.
 */

let database: Database;
let t: TestApp;
let reader: Browser;
let moderator: Browser;
const posts = { hiddenOld: 0, newestWalrus: 0, oldestYeti: 0, newestYeti: 0 };

const FILLER_POSTS = 2_600;

beforeAll(async () => {
  database = await createTestDatabase();
  t = await buildTestApp({ database });
  const author = await memberWithBrowser(t.app, t.db);
  reader = (await memberWithBrowser(t.app, t.db)).browser;
  moderator = (await memberWithBrowser(t.app, t.db, { role: 'moderator' })).browser;
  const category = await createCategory(t.db);
  const thread = await writeThread(t.db, { categoryId: category.id, authorId: author.member.id, title: 'A long running thread', body: 'Where it began.', createdAt: new Date(Date.now() - 400 * 86_400_000) });
  // Post n (1 = newest) was written n minutes ago, and says what `words` gives it; the zanzibar
  // posts and the two oldest kookaburra ones were written n days ago, far beyond any window.
  const words = sql<string>`case
      when g between 1900 and 1904 or g between 2101 and 2150 or g between 2501 and 2560 then 'yeti'
      when g in (2400, 2450, 2599) then 'zanzibar'
      when g in (10, 11, 12, 2300, 2350) then 'kookaburra'
      when g % 20 = 0 then 'walrus'
      else 'filler' end`;
  await sql`
    insert into posts (thread_id, author_id, position, body_source, body_html, renderer_version, form_token, created_at)
    select ${thread.threadId}::bigint, ${author.member.id}::bigint, g + 1, 'Post ' || g || ' about ' || ${words}, '<p>Post ' || g || ' about ' || ${words} || '</p>', ${RENDERER_VERSION}::int, gen_random_uuid(),
      now() - g * case when ${words} = 'zanzibar' or g in (2300, 2350) then interval '1 day' else interval '1 minute' end
    from generate_series(1, ${FILLER_POSTS}::int) g
  `.execute(t.db);
  const position = async (n: number) => (await t.db.selectFrom('posts').select('id').where('thread_id', '=', thread.threadId).where('position', '=', n + 1).executeTakeFirstOrThrow()).id;
  posts.hiddenOld = await position(2599);
  posts.newestWalrus = await position(20);
  posts.newestYeti = await position(1900);
  posts.oldestYeti = await position(2560);
  await t.db.updateTable('posts').set({ hidden_at: sql`now()`, hidden_reason: 'off topic' }).where('id', '=', posts.hiddenOld).execute();
}, 120_000);
afterAll(async () => {
  await t.close();
  await database.close();
});

const search = (browser: Browser, query: string) => browser.get(`/search?${new URLSearchParams(query).toString()}`);

describe('GET /search on a forum larger than the walk', () => {
  it('finds matches far older than the newest 2,000 posts, and only what the searcher may see', async () => {
    const member = await search(reader, 'q=zanzibar');
    expect(member.statusCode).toBe(200);
    expect(member.body).toContain(M.resultCount(2, false));
    expect(resultLinks(member.body)).not.toContain(`/p/${posts.hiddenOld}`);
    const staff = await search(moderator, 'q=zanzibar');
    expect(staff.body).toContain(M.resultCount(3, false));
    expect(resultLinks(staff.body)).toContain(`/p/${posts.hiddenOld}`);
  });

  it('counts and ranks only the newest matches of a kind when there are more, and says so', async () => {
    const first = await search(reader, 'q=walrus&sort=newest');
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain(M.resultCount(CANDIDATES_PER_KIND, true));
    expect(first.body).toContain(M.cappedNote(CANDIDATES_PER_KIND));
    expect(resultLinks(first.body)[0]).toBe(`/p/${posts.newestWalrus}`);
    const lastPage = CANDIDATES_PER_KIND / 20;
    expect((await search(reader, `q=walrus&page=${lastPage}`)).statusCode).toBe(200);
    expect((await search(reader, `q=walrus&page=${lastPage + 1}`)).statusCode).toBe(404);
  });

  it('reads all of a word\'s matches when the window, sized by the walk\'s three, holds too few', async () => {
    const page = await search(reader, 'q=kookaburra');
    expect(page.body).toContain(M.resultCount(5, false));
  });

  it('keeps the newest matches when the window finds more than enough', async () => {
    // 5 yeti posts in the walk size a window that holds them, 50 just past the walk and 60 older.
    const pages = await Promise.all([1, 2, 3, 4, 5].map((page) => search(reader, `q=yeti&sort=newest&page=${page}`)));
    const links = pages.flatMap((page) => resultLinks(page.body));
    expect(pages[0]!.body).toContain(M.resultCount(CANDIDATES_PER_KIND, true));
    expect(links).toHaveLength(CANDIDATES_PER_KIND);
    expect(links[0]).toBe(`/p/${posts.newestYeti}`);
    expect(links).not.toContain(`/p/${posts.oldestYeti}`);
  });
});
