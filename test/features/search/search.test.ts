import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Database } from '../../../src/db/database.js';
import { SEARCH_MESSAGES as M } from '../../../src/features/search/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { createTestDatabase } from '../../support/database.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { createCategory } from '../../support/forum-rows.js';
import { createAgency, type TestMember } from '../../support/members.js';
import { createResource } from '../../support/resources.js';
import { resultLinks, resultSnippets, resultTitles, writeThread } from '../../support/search.js';
import { replaceTags } from '../../../src/features/resources/queries/tags.js';

let database: Database;
let t: TestApp;
let reader: Browser;
let moderator: Browser;
let alice: TestMember;
let bob: TestMember;
let general: { id: number; slug: string; name: string };
let staffOnly: { id: number; slug: string; name: string };
const agencies = { alpha: 0, beta: 0 };
const ids = { cloudThread: 0, furniturePost: 0, hiddenReply: 0, visibleReply: 0 };

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

beforeAll(async () => {
  database = await createTestDatabase();
  t = await buildTestApp({ database });
  const alpha = await createAgency(t.db, { name: 'Department of Alpha', jurisdiction: 'commonwealth' });
  const beta = await createAgency(t.db, { name: 'Shire of Beta', jurisdiction: 'local' });
  await t.db.updateTable('agencies').set({ agency_type: 'department' }).where('id', '=', alpha.id).execute();
  await t.db.updateTable('agencies').set({ agency_type: 'council' }).where('id', '=', beta.id).execute();
  agencies.alpha = alpha.id;
  agencies.beta = beta.id;
  alice = (await memberWithBrowser(t.app, t.db, { agency: alpha, handle: 'alice_walker' })).member;
  bob = (await memberWithBrowser(t.app, t.db, { agency: beta, handle: 'bob_builder' })).member;
  await t.db.updateTable('members').set({ display_name: 'Alice Walker' }).where('id', '=', alice.id).execute();
  await t.db.updateTable('members').set({ display_name: 'Bob Builder' }).where('id', '=', bob.id).execute();
  reader = (await memberWithBrowser(t.app, t.db)).browser;
  moderator = (await memberWithBrowser(t.app, t.db, { role: 'moderator' })).browser;
  general = await createCategory(t.db);
  staffOnly = await createCategory(t.db, { visibleTo: 'moderators' });

  const cloud = await writeThread(t.db, { categoryId: general.id, authorId: alice.id, title: 'Procurement panels for cloud services', body: 'We set up a panel of suppliers.', createdAt: daysAgo(10) });
  ids.cloudThread = cloud.threadId;
  const office = await writeThread(t.db, {
    categoryId: general.id,
    authorId: bob.id,
    title: 'Moving office',
    body: 'Our procurement of furniture went through a standing offer.',
    createdAt: daysAgo(5),
    replies: [
      { authorId: alice.id, body: 'A zeppelin remark a moderator hid.' },
      { authorId: alice.id, body: 'A zeppelin remark anyone may read.' },
      { authorId: alice.id, body: 'A deleted zeppelin remark.' },
      { authorId: bob.id, body: 'A held zeppelin remark waiting for a moderator.' },
      { authorId: bob.id, body: 'Watch out: <script>alert(1)</script> and <b>quokka</b> in a post.' },
    ],
  });
  ids.furniturePost = office.postIds[0]!;
  ids.hiddenReply = office.postIds[1]!;
  ids.visibleReply = office.postIds[2]!;
  await t.db.updateTable('posts').set({ hidden_at: sql`now()`, hidden_reason: 'off topic' }).where('id', '=', office.postIds[1]!).execute();
  await t.db.updateTable('posts').set({ deleted_at: sql`now()` }).where('id', '=', office.postIds[3]!).execute();
  await t.db.updateTable('posts').set({ held_at: sql`now()`, held_reason: 'first_posts' }).where('id', '=', office.postIds[4]!).execute();
  await writeThread(t.db, { categoryId: staffOnly.id, authorId: bob.id, title: 'Zeppelin matters for moderators', body: 'Only staff read this.', createdAt: daysAgo(3) });
  const hiddenThread = await writeThread(t.db, { categoryId: general.id, authorId: bob.id, title: 'Zeppelin thread a moderator hid', body: 'Nothing to see.', createdAt: daysAgo(3) });
  await t.db.updateTable('threads').set({ hidden_at: sql`now()` }).where('id', '=', hiddenThread.threadId).execute();

  const share = (sharer: TestMember, agencyId: number, options: Parameters<typeof createResource>[1] extends infer O ? Omit<O & object, 'sharer'> : never) => createResource(t.db, { sharer: { id: sharer.id, agencyId }, ...options });
  await share(alice, alpha.id, { title: 'Records keeping guide', kind: 'guide', summary: 'Keeping records of social media.', tags: ['records', 'social-media'], initiativeTypes: ['service-delivery'], createdAt: daysAgo(8) });
  await share(bob, beta.id, { title: 'Call centre queues', kind: 'case_study', summary: 'A council shortened its queues.', tags: ['procurement'], initiativeTypes: ['digital-transformation'], createdAt: daysAgo(2) });
  await share(bob, beta.id, { title: 'Zeppelin resource that was removed', kind: 'guide', removed: true });
  const hiddenResource = await share(bob, beta.id, { title: 'Zeppelin resource a moderator hid', kind: 'guide' });
  await t.db.updateTable('resources').set({ hidden_at: sql`now()`, hidden_reason: 'checking' }).where('id', '=', hiddenResource.id).execute();
}, 60_000);
afterAll(async () => {
  await t.close();
  await database.close();
});

async function search(query: string, browser = reader): Promise<string> {
  const response = await browser.get(`/search?${query}`);
  expect(response.statusCode, response.body.slice(0, 800)).toBe(200);
  return response.body;
}
/** An address as Handlebars writes it into an attribute. */
const attribute = (href: string) => href.replace(/&/g, '&amp;').replace(/=/g, '&#x3D;');
const q = (words: string, rest = '') => `q=${encodeURIComponent(words)}${rest}`;

describe('GET /search: the words', () => {
  it('ranks a title match above a body match', async () => {
    const page = await search(q('procurement'));
    // The thread's title (weight A), a resource's tag (B), a post's body (C).
    expect(resultTitles(page)).toEqual(['Procurement panels for cloud services', 'Call centre queues', 'Moving office']);
    expect(resultLinks(page)[2]).toBe(`/p/${ids.furniturePost}`);
  });

  it('finds other forms of a word (English stemming)', async () => {
    expect(resultTitles(await search(q('procuring')))).toContain('Procurement panels for cloud services');
    expect(resultTitles(await search(q('panel')))).toContain('Procurement panels for cloud services');
  });

  it('matches "quoted phrases" only in their order', async () => {
    expect(resultTitles(await search(q('"cloud services"')))).toEqual(['Procurement panels for cloud services']);
    expect(resultTitles(await search(q('"services cloud"')))).toEqual([]);
  });

  it('leaves out -excluded words and takes either side of OR', async () => {
    expect(resultTitles(await search(q('procurement -furniture')))).not.toContain('Moving office');
    expect(resultTitles(await search(q('procurement -furniture')))).toContain('Procurement panels for cloud services');
    const either = resultTitles(await search(q('furniture OR cloud')));
    expect(either).toContain('Moving office');
    expect(either).toContain('Procurement panels for cloud services');
  });

  it('highlights the matches with <mark>, and the "results for" line names the words', async () => {
    const page = await search(q('furniture'));
    expect(page).toContain('<mark>furniture</mark>');
    expect(page).toContain('Results for “<bdi>furniture</bdi>”');
    expect(page).toContain('1 result');
  });

  it('finds resources by title, summary and tag, and links to them', async () => {
    expect(resultTitles(await search(q('social media')))).toEqual(['Records keeping guide']);
    const page = await search(q('queues'));
    expect(resultTitles(page)).toEqual(['Call centre queues']);
    expect(resultLinks(page)[0]).toMatch(/^\/resources\/\d+\/call-centre-queues$/);
  });

  it('follows a resource\'s tags as they change (kept by the database whatever writes them)', async () => {
    const resource = await createResource(t.db, { sharer: { id: alice.id, agencyId: agencies.alpha }, title: 'Leaflet on tides', kind: 'policy', summary: 'When the water comes in.', body: 'High and low.', tags: ['estuary'] });
    expect(resultTitles(await search(q('estuary')))).toEqual(['Leaflet on tides']);
    await replaceTags(t.db, resource.id, ['mangroves']);
    expect(resultTitles(await search(q('estuary')))).toEqual([]);
    expect(resultTitles(await search(q('mangroves')))).toEqual(['Leaflet on tides']);
    // An administrator's SQL: renaming the tag, then moving it to another resource.
    await t.db.updateTable('resource_tags').set({ tag: 'saltmarsh' }).where('resource_id', '=', resource.id).execute();
    expect(resultTitles(await search(q('mangroves')))).toEqual([]);
    expect(resultTitles(await search(q('saltmarsh')))).toEqual(['Leaflet on tides']);
    const other = await createResource(t.db, { sharer: { id: alice.id, agencyId: agencies.alpha }, title: 'Leaflet on currents', kind: 'policy', summary: 'Where the water goes.', body: 'Out and back.' });
    await t.db.updateTable('resource_tags').set({ resource_id: other.id }).where('resource_id', '=', resource.id).execute();
    expect(resultTitles(await search(q('saltmarsh')))).toEqual(['Leaflet on currents']);
  });

  it('explains an empty or stop-word-only search instead of showing everything', async () => {
    expect(await search('q=')).toContain(M.emptyQuery);
    expect(await search('')).toContain(M.emptyQuery);
    expect(await search(q('the and of'))).toContain(M.onlyCommonWords);
    expect(await search(q('-procurement'))).toContain(M.onlyExclusions);
  });

  it('finds members by name or handle, near misses too, and tags by name (near misses of one word)', async () => {
    const byName = await search(q('alice walker'));
    expect(byName).toContain('href="/u/alice_walker"');
    expect(await search(q('alise walker'))).toContain('href="/u/alice_walker"');
    expect(await search(q('bob_builder'))).toContain('href="/u/bob_builder"');
    const tag = await search(q('procurment'));
    expect(tag).toContain(`href="${attribute('/resources?tag=procurement')}"`);
    // Several words find a tag that is those words, not one near them.
    expect(await search(q('social media'))).toContain(`href="${attribute('/resources?tag=social-media')}"`);
    expect(await search(q('social medium'))).not.toContain(`href="${attribute('/resources?tag=social-media')}"`);
  });
});

describe('GET /search: snippets', () => {
  // A heading, a tag typed as text, emphasis, a link, code and a quote, around the word.
  const markdown = (word: string) => `# Notes on the ${word}\n\nA <script>alert(1)</script> tag, **strongly** backed: the _${word}_ plan, [field guide](https://example.org/secret-path), \`npm run ${word}\`.\n\n> Keep the ${word} list.`;

  function expectPlainText(snippet: string, word: string): void {
    expect(snippet).toContain(`Notes on the <mark>${word}</mark> A &lt;script&gt;alert(1)&lt;/script&gt; tag, strongly backed: the <mark>${word}</mark> plan, field guide, npm run <mark>${word}</mark>. Keep the <mark>${word}</mark> list`);
    expect(snippet).not.toContain('example.org');
    expect(snippet.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
  }

  it('shows a thread\'s first post and a post as the text a reader sees, not their Markdown', async () => {
    const thread = await writeThread(t.db, { categoryId: general.id, authorId: alice.id, title: 'Numbat sightings', body: markdown('numbat'), replies: [{ authorId: bob.id, body: markdown('numbats') }] });
    const page = await search(q('numbat'));
    expect(resultLinks(page)).toEqual([`/t/${thread.threadId}/written-for-search`, `/p/${thread.postIds[1]}`]);
    const [first, reply] = resultSnippets(page);
    expectPlainText(first!, 'numbat');
    expectPlainText(reply!, 'numbats');
    expect(page).not.toMatch(/<script>alert/);
  });

  // Words that are not the ones searched for, in sentences of 140 characters.
  const filler = (characters: number) => 'Plain words about nothing much in particular, written to make a long post longer and the search for its words harder. '.repeat(Math.ceil(characters / 120));

  it('shows the words of a long post where they are, highlighted, not its start', async () => {
    await writeThread(t.db, { categoryId: general.id, authorId: alice.id, title: 'A long read', body: `**Opening** words. ${filler(20_000)}A quoll at the end.` });
    const [snippet] = resultSnippets(await search(q('quoll')));
    expect(snippet).toContain('A <mark>quoll</mark> at the end');
    expect(snippet).not.toContain('Opening');
  });

  it('starts at the paragraph that holds the words', async () => {
    await writeThread(t.db, { categoryId: general.id, authorId: alice.id, title: 'Three paragraphs', body: `First paragraph. ${filler(3_000)}\n\nSecond paragraph: the **potoroo** lives here.\n\nThird paragraph. ${filler(3_000)}` });
    const [snippet] = resultSnippets(await search(q('potoroo')));
    expect(snippet).toContain('Second paragraph: the <mark>potoroo</mark> lives here');
    expect(snippet).not.toContain('First paragraph');
  });

  it('finds a word whose stem is not its start (policies: polici, policy)', async () => {
    await writeThread(t.db, { categoryId: general.id, authorId: alice.id, title: 'Leave', body: `${filler(3_000)}\n\nOur new policy on leave.` });
    const [snippet] = resultSnippets(await search(q('policies')));
    expect(snippet).toContain('Our new <mark>policy</mark> on leave');
  });

  it('shows the text of a link the words are in, never its address, even when the snippet starts inside the text', async () => {
    const linkText = `${'a very long link text '.repeat(20)}about the bandicoot survey`;
    await writeThread(t.db, { categoryId: general.id, authorId: alice.id, title: 'Links', body: `${filler(3_000)} See [${linkText}](https://example.org/bandicoot-secret) for more.` });
    const [snippet] = resultSnippets(await search(q('bandicoot')));
    expect(snippet).toContain('about the <mark>bandicoot</mark> survey for more');
    expect(snippet).not.toContain('example.org');
    expect(snippet).not.toContain('](');
  });

  it('shows the start of a thread\'s first post when the words are only in its title', async () => {
    await writeThread(t.db, { categoryId: general.id, authorId: alice.id, title: 'Wallaby crossings', body: `Opening line of the body. ${filler(3_000)}` });
    const [snippet] = resultSnippets(await search(q('wallaby')));
    expect(snippet).toMatch(/^Opening line of the body\. Plain words/);
    expect(snippet).not.toContain('<mark>');
  });

  it('shows a resource\'s summary, description and case-study sections as the text a reader sees', async () => {
    await createResource(t.db, {
      sharer: { id: bob.id, agencyId: agencies.beta },
      title: 'Wetland survey',
      kind: 'case_study',
      summary: 'Summary.',
      body: markdown('bilby'),
      sections: { context: 'The **context**.', approach: 'An [approach](https://example.org/approach).', outcome: '## Outcome', lessons: '> `Bettong` counts **doubled** [in a year](https://example.org/bettong).' },
    });
    const [snippet] = resultSnippets(await search(q('bilby')));
    expect(snippet).toMatch(/^Summary. Notes on/);
    expectPlainText(snippet!, 'bilby');
    const [sections] = resultSnippets(await search(q('bettong')));
    expect(sections).toContain('The context. An approach. Outcome <mark>Bettong</mark> counts doubled in a year');
    expect(sections).not.toContain('example.org');
  });
});

describe('GET /search: what the searcher may see', () => {
  it('never shows a member hidden, deleted or held posts, hidden threads, moderators-only categories or removed and hidden resources, nor counts them', async () => {
    const page = await search(q('zeppelin'));
    expect(resultLinks(page)).toEqual([`/p/${ids.visibleReply}`]);
    expect(page).toContain('1 result');
  });

  it('shows a moderator hidden and held posts and hidden threads (marked), the moderators-only category and hidden resources, but not deleted posts or removed resources', async () => {
    const page = await search(q('zeppelin'), moderator);
    const titles = resultTitles(page);
    expect(titles).toContain('Zeppelin matters for moderators');
    expect(titles).toContain('Zeppelin thread a moderator hid');
    expect(titles).toContain('Zeppelin resource a moderator hid');
    expect(resultLinks(page)).toContain(`/p/${ids.hiddenReply}`);
    expect(titles).not.toContain('Zeppelin resource that was removed');
    expect(page).toContain('Hidden from members');
    // The held reply is found, and marked as what it is.
    expect(page).toContain('Waiting for approval');
    expect(page).not.toContain('A deleted zeppelin');
  });

  it('treats a moderators-only category named in the filters as no category at all, for a member', async () => {
    const response = await reader.get(`/search?${q('zeppelin', `&category=${staffOnly.slug}`)}`);
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain(M.badCategory);
  });
});

describe('GET /search: a thread\'s first post and a resource\'s discussion', () => {
  it('shows no snippet from a first post that is deleted, or hidden in a thread shown again', async () => {
    const deleted = await writeThread(t.db, { categoryId: general.id, authorId: alice.id, title: 'Quoll plans', body: 'Quoll budget figures SECRETDELETED', replies: [{ authorId: bob.id, body: 'A reply that keeps the thread.' }] });
    await t.db.updateTable('posts').set({ deleted_at: sql`now()` }).where('id', '=', deleted.postIds[0]!).execute();
    const hidden = await writeThread(t.db, { categoryId: general.id, authorId: alice.id, title: 'Quoll fences', body: 'Quoll fence costs SECRETHIDDEN' });
    await t.db.updateTable('posts').set({ hidden_at: sql`now()`, hidden_reason: 'off topic' }).where('id', '=', hidden.postIds[0]!).execute();
    const member = await search(q('quoll', '&kind=threads'));
    expect(resultTitles(member).sort()).toEqual(['Quoll fences', 'Quoll plans']);
    expect(member).not.toContain('SECRETDELETED');
    expect(member).not.toContain('SECRETHIDDEN');
    expect(await search(q('quoll', '&kind=threads'), moderator)).not.toContain('SECRETDELETED');
  });

  it('finds a resource once, as itself, not also as its discussion\'s first post (the library\'s stock text)', async () => {
    const resource = await createResource(t.db, { sharer: { id: alice.id, agencyId: agencies.alpha }, title: 'Platypus fencing guide', kind: 'guide', summary: 'Fences that keep platypus habitat safe.' });
    const page = await search(q('platypus'));
    expect(resultLinks(page)).toHaveLength(1);
    expect(resultLinks(page)[0]).toMatch(new RegExp(`^/resources/${resource.id}/`));
    // Words of the stock text itself find no resource's discussion.
    expect(resultLinks(await search(q('experiences variations')))).toEqual([]);
  });

  it('keeps a first post whose thread is outside a date filter (a thread split off later)', async () => {
    const split = await writeThread(t.db, { categoryId: general.id, authorId: alice.id, title: 'Bettong survey', body: 'The bettong survey results.' });
    await t.db.updateTable('posts').set({ created_at: daysAgo(60) }).where('id', '=', split.postIds[0]!).execute();
    const before = daysAgo(30).toISOString().slice(0, 10);
    expect(resultLinks(await search(q('bettong', `&to=${before}`)))).toEqual([`/p/${split.postIds[0]}`]);
  });
});

describe('GET /search: filters', () => {
  it('narrows to one kind', async () => {
    expect(resultTitles(await search(q('procurement', '&kind=threads')))).toEqual(['Procurement panels for cloud services']);
    expect(resultLinks(await search(q('procurement', '&kind=posts')))).toEqual([`/p/${ids.furniturePost}`]);
    expect(resultTitles(await search(q('procurement', '&kind=resources')))).toEqual(['Call centre queues']);
  });

  it('narrows by category, resource type and initiative type', async () => {
    expect(resultTitles(await search(q('procurement', `&category=${general.slug}`)))).toEqual(['Procurement panels for cloud services', 'Moving office']);
    expect(resultTitles(await search(q('procurement OR records', '&type=guide')))).toEqual(['Records keeping guide']);
    expect(resultTitles(await search(q('procurement OR records', '&initiative=digital-transformation')))).toEqual(['Call centre queues']);
  });

  it('narrows by agency and type of agency: a resource\'s own, an author\'s for threads and posts', async () => {
    expect(resultTitles(await search(q('procurement', `&agency=${agencies.alpha}`)))).toEqual(['Procurement panels for cloud services']);
    expect(resultTitles(await search(q('procurement', '&agency_type=council'))).sort()).toEqual(['Call centre queues', 'Moving office']);
  });

  it('narrows by author and by dates, and combines filters', async () => {
    expect(resultTitles(await search(q('procurement', '&author=bob_builder'))).sort()).toEqual(['Call centre queues', 'Moving office']);
    const recent = daysAgo(6).toISOString().slice(0, 10);
    expect(resultTitles(await search(q('procurement', `&from=${recent}`))).sort()).toEqual(['Call centre queues', 'Moving office']);
    expect(resultTitles(await search(q('procurement', `&to=${recent}`)))).toEqual(['Procurement panels for cloud services']);
    const combined = await search(q('procurement', `&author=bob_builder&kind=posts&from=${recent}`));
    expect(resultTitles(combined)).toEqual(['Moving office']);
  });

  it('shows each filter as a chip whose link is the same search without it', async () => {
    const page = await search(q('procurement', '&author=bob_builder&kind=posts&sort=newest'));
    expect(page).toContain('By Bob Builder (@bob_builder)');
    expect(page).toContain('Only posts');
    expect(page).toContain(`href="${attribute('/search?q=procurement&kind=posts&sort=newest')}"`);
    expect(page).toContain(`href="${attribute('/search?q=procurement&author=bob_builder&sort=newest')}"`);
  });

  it('sorts by newest on request', async () => {
    expect(resultTitles(await search(q('procurement', '&sort=newest')))).toEqual(['Call centre queues', 'Moving office', 'Procurement panels for cloud services']);
  });

  it('refuses a filter it does not have, or one naming nothing, with a message on the search page', async () => {
    for (const [query, message] of [
      ['&colour=red', 'The address has a filter this page does not have'],
      ['&kind=people', M.badKind],
      ['&category=no-such-category', M.badCategory],
      ['&initiative=no-such-type', M.badInitiativeType],
      ['&agency=999999', M.badAgency],
      ['&author=nobody_here', M.badAuthor],
      ['&from=2026-02-31', M.badDate],
      ['&from=2026-03-02&to=2026-03-01', M.datesReversed],
      ['&kind=posts&kind=threads', M.oneValueEach],
      ['&sort=best', M.badSort],
      [`&kind=resources&category=${general.slug}`, M.categoryNotForResources],
      ['&kind=threads&type=guide', M.onlyForResources],
      ['&kind=posts&initiative=service-delivery', M.onlyForResources],
      [`&category=${general.slug}&type=guide`, M.categoryOrResourceFilters],
    ] as const) {
      const response = await reader.get(`/search?${q('procurement', query)}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.body, query).toContain(message);
      expect(response.body).toContain('value="procurement"');
    }
  });
});
