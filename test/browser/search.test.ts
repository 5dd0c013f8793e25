import { describe, expect, it } from 'vitest';
import { pageCheck, signInOnPage, useBrowserSession } from '../support/browser.js';
import { createCategory } from '../support/forum-rows.js';
import { createAgency, createMember } from '../support/members.js';
import { createResource } from '../support/resources.js';
import { writeThread } from '../support/search.js';

// Issue 13: a member searches from the header, narrows the results with a filter, removes its
// chip, and opens a post found deep in a thread, landing at that post; axe on every page, a
// screenshot of each at a desktop and a phone width. On a phone the results come before the
// filters, which a link near the top reaches.
const session = useBrowserSession();
const check = pageCheck('search');

describe('search', () => {
  it.each([1280, 320])('searches from the header, filters, removes the filter and opens a result at the matched post at %i px', async (width) => {
    const { db } = session.site.t;
    const agency = await createAgency(db, { name: `Shire of Searching ${width}`, jurisdiction: 'local' });
    const member = await createMember(db, { agency });
    const category = await createCategory(db);
    const word = `wombat${width}`;
    const replies = Array.from({ length: 30 }, (_, index) => ({ authorId: member.id, body: index === 26 ? `We fenced the ${word} crossing with council help.` : `Reply ${index + 1} about something else entirely.` }));
    const thread = await writeThread(db, { categoryId: category.id, authorId: member.id, title: `Road signs near a ${word} crossing`, body: 'Which signs did you use?', replies });
    const matchedPost = thread.postIds[27]!;
    await createResource(db, { sharer: { id: member.id, agencyId: agency.id }, title: `Guide to ${word} fencing`, summary: `Fencing for ${word} crossings.`, kind: 'guide' });

    const page = await session.openPage(width, 800);
    await signInOnPage(page, session.site, member);
    await page.getByRole('searchbox', { name: 'Search threads, posts, resources and members' }).fill(word);
    await Promise.all([page.waitForURL(/\/search\?q=/), page.getByRole('search', { name: 'Site' }).getByRole('button', { name: 'Search' }).click()]);
    await expect.poll(() => page.getByRole('heading', { level: 2 }).first().textContent()).toContain(`Results for “${word}”`);
    expect(await page.locator('.search__results > li').count()).toBe(3);
    // The first result is in the first screenful, above the filters on a phone, beside them on a wide screen.
    const firstResult = (await page.locator('.search__results > li').first().boundingBox())!;
    const filters = (await page.getByRole('search', { name: 'Search with filters' }).boundingBox())!;
    expect(firstResult.y + firstResult.height).toBeLessThan(800);
    if (width === 320) expect(filters.y).toBeGreaterThan(firstResult.y + firstResult.height);
    else expect(filters.x).toBeGreaterThan(firstResult.x + firstResult.width);
    await check(page, 'results', width);

    if (width === 320) {
      await page.getByRole('link', { name: 'Change the words or filters' }).click();
      // Scrolled down to the filters: their top at the viewport's.
      await expect.poll(async () => Math.round((await page.locator('#search-filters').boundingBox())!.y)).toBe(0);
    }
    await page.getByLabel('Show', { exact: true }).selectOption('posts');
    await Promise.all([page.waitForURL(/kind=posts/), page.getByRole('search', { name: 'Search with filters' }).getByRole('button', { name: 'Search' }).click()]);
    expect(await page.locator('.search__results > li').count()).toBe(1);
    const chips = page.getByRole('list', { name: 'Filters in use' });
    expect(await chips.textContent()).toContain('Only posts');
    // The chips stay near the top, above the results.
    expect((await chips.boundingBox())!.y).toBeLessThan((await page.locator('.search__results').boundingBox())!.y);
    await check(page, 'filtered', width);

    await Promise.all([page.waitForURL((url) => !url.search.includes('kind=')), chips.getByRole('link', { name: 'Remove the filter Only posts' }).click()]);
    expect(await page.locator('.search__results > li').count()).toBe(3);

    await page.getByLabel('Show', { exact: true }).selectOption('posts');
    await Promise.all([page.waitForURL(/kind=posts/), page.getByRole('search', { name: 'Search with filters' }).getByRole('button', { name: 'Search' }).click()]);
    await Promise.all([page.waitForURL(new RegExp(`#post-${matchedPost}$`)), page.locator('.search__results').getByRole('link', { name: `Road signs near a ${word} crossing` }).click()]);
    // The post is on the thread's second page (20 a page), and the page is scrolled to it.
    expect(page.url()).toContain('?page=2');
    await expect.poll(() => page.locator(`#post-${matchedPost}`).isVisible()).toBe(true);
    expect(await page.locator(`#post-${matchedPost}`).textContent()).toContain(`We fenced the ${word} crossing`);
    await check(page, 'landed', width);
  });

  it('explains an empty search from the header', async () => {
    const member = await createMember(session.site.t.db);
    const page = await session.openPage(1280, 800);
    await signInOnPage(page, session.site, member);
    await Promise.all([page.waitForURL(/\/search/), page.getByRole('search', { name: 'Site' }).getByRole('button', { name: 'Search' }).click()]);
    expect(await page.locator('.search__explanation').textContent()).toContain('Type a word or two');
    await check(page, 'empty', 1280);
  });
});
