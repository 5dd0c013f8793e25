import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCUSSION_MESSAGES } from '../../../src/features/discussions/messages.js';
import { MEMBER_MESSAGES } from '../../../src/features/members/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { createAgency, createMember, type TestAgency, type TestMember } from '../../support/members.js';

let t: TestApp;
let browser: Browser;
let agency: TestAgency;
const named: Record<string, TestMember> = {};

beforeAll(async () => {
  t = await buildTestApp();
  browser = (await memberWithBrowser(t.app, t.db)).browser;
  agency = await createAgency(t.db, { name: 'Bureau of Directory Tests', jurisdiction: 'state' });
  // Names chosen so a wildcard that slipped through LIKE would match more than it should.
  for (const [displayName, jobTitle] of [
    ['Zoe Quartermain', 'Social media manager'],
    ['adam quartz', null],
    ['Per 100% Cent', null],
    ['Qa_cQ Literal', null],
    ['Ra1cR Wildcard', null],
    ['Back\\slash Person', null],
  ] as const) {
    const member = await createMember(t.db, { agency });
    await t.db.updateTable('members').set({ display_name: displayName, job_title: jobTitle }).where('id', '=', member.id).execute();
    named[displayName] = { ...member, displayName };
  }
  const gone = await createMember(t.db, { agency, deactivated: true });
  await t.db.updateTable('members').set({ display_name: 'Quinn Departed' }).where('id', '=', gone.id).execute();
});
afterAll(async () => t.close());

/** The names listed, in order. */
function namesListed(html: string): string[] {
  return [...html.matchAll(/<p class="member-list__name"><a href="\/u\/[^"]+">([^<]*)<\/a>/g)].map((m) => unescape(m[1]!));
}

/** Links as a browser reads them (Handlebars escapes `&`, `=` and `'` in attributes). */
function hrefs(html: string): string[] {
  return [...html.matchAll(/href="([^"]*)"/g)].map((m) => unescape(m[1]!));
}

function unescape(text: string): string {
  return text.replace(/&#x3D;/g, '=').replace(/&#x27;/g, "'").replace(/&amp;/g, '&');
}

describe('GET /members', () => {
  it('lists active members by name, each with a link to their profile, handle, agency and job title', async () => {
    const page = await browser.get(`/members?agency=${agency.id}`);
    expect(page.statusCode).toBe(200);
    expect(namesListed(page.body)).toEqual(['adam quartz', 'Back\\slash Person', 'Per 100% Cent', 'Qa_cQ Literal', 'Ra1cR Wildcard', 'Zoe Quartermain']);
    const zoe = named['Zoe Quartermain']!;
    expect(page.body).toContain(`<a href="/u/${zoe.handle}">Zoe Quartermain</a> <span class="member-list__handle">@${zoe.handle}</span>`);
    expect(page.body).toContain('<p class="meta">Social media manager, Bureau of Directory Tests</p>');
    expect(page.body).toContain('6 members match your search');
    expect(page.body).not.toContain('Quinn Departed');
  });

  it('offers the agencies that have active members, grouped by level of government', async () => {
    const empty = await createAgency(t.db, { name: 'Agency Of Only Leavers' });
    await createMember(t.db, { agency: empty, deactivated: true });
    const page = await browser.get('/members');
    expect(page.body).toContain(`<optgroup label="State governments">\n<option value="${agency.id}">Bureau of Directory Tests</option>`);
    expect(page.body).not.toContain('Agency Of Only Leavers');
    const chosen = await browser.get(`/members?agency=${agency.id}`);
    expect(chosen.body).toContain(`<option value="${agency.id}" selected>Bureau of Directory Tests</option>`);
  });

  it('searches names and handles, ignoring case', async () => {
    expect(namesListed((await browser.get('/members?q=QUART')).body)).toEqual(['adam quartz', 'Zoe Quartermain']);
    const handle = named['Per 100% Cent']!.handle;
    expect(namesListed((await browser.get(`/members?q=${handle.toUpperCase()}`)).body)).toEqual(['Per 100% Cent']);
    // A search of only spaces is no search.
    expect((await browser.get('/members?q=+++')).body).not.toContain('match your search');
  });

  it('matches %, _ and \\ literally, never as wildcards', async () => {
    expect(namesListed((await browser.get('/members?q=%25')).body)).toEqual(['Per 100% Cent']);
    expect(namesListed((await browser.get('/members?q=a_c')).body)).toEqual(['Qa_cQ Literal']);
    expect(namesListed((await browser.get('/members?q=%5C')).body)).toEqual(['Back\\slash Person']);
    expect(namesListed((await browser.get('/members?q=%25%25')).body)).toEqual([]);
  });

  it('treats hostile searches as text: nothing matches, nothing runs', async () => {
    for (const q of ["' OR 1=1 --", '"; DROP TABLE members; --', '<script>alert(1)</script>', '{{constructor}}']) {
      const page = await browser.get(`/members?q=${encodeURIComponent(q)}`);
      expect(page.statusCode, q).toBe(200);
      expect(page.body).toContain(MEMBER_MESSAGES.noMembersMatch);
      expect(page.body).not.toContain('<script>alert');
    }
    expect((await browser.get('/members?q=%3Cscript%3E')).body).toContain('value="&lt;script&gt;"');
  });

  it('says so plainly when nobody matches', async () => {
    const page = await browser.get('/members?q=nobody-by-this-name');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<p>${MEMBER_MESSAGES.noMembersMatch}</p>`);
    expect(page.body).toContain('value="nobody-by-this-name"');
  });

  it('shows 30 a page and keeps the search and agency in the page links', async () => {
    const big = await createAgency(t.db, { name: 'Department of Many People' });
    const people = [];
    for (let i = 0; i < 31; i += 1) {
      const member = await createMember(t.db, { agency: big });
      const displayName = `Crowd member ${String(i).padStart(2, '0')}`;
      await t.db.updateTable('members').set({ display_name: displayName }).where('id', '=', member.id).execute();
      people.push(displayName);
    }
    const first = await browser.get(`/members?q=crowd&agency=${big.id}`);
    expect(namesListed(first.body)).toEqual(people.slice(0, 30));
    expect(first.body).toContain('31 members match your search');
    expect(hrefs(first.body)).toContain(`/members?q=crowd&agency=${big.id}&page=2`);
    const second = await browser.get(`/members?q=crowd&agency=${big.id}&page=2`);
    expect(namesListed(second.body)).toEqual(people.slice(30));
    expect(hrefs(second.body)).toContain(`/members?q=crowd&agency=${big.id}`);
    expect((await browser.get(`/members?q=crowd&agency=${big.id}&page=3`)).statusCode).toBe(404);
  });

  it('treats an empty search and "All agencies" as no filter', async () => {
    const page = await browser.get('/members?q=&agency=');
    expect(page.statusCode).toBe(200);
    expect(namesListed(page.body)).toContain('adam quartz');
    expect(page.body).not.toContain('match your search');
  });

  it('answers a search that is too long, or holds a NUL, with 400 and says why', async () => {
    const cases: [string, string][] = [
      [`q=${'a'.repeat(101)}`, 'Search must be at most 100 characters (it is 101)'],
      ['q=ab%00cd', 'Search must not contain NUL characters'],
      ['q=a&q=b', 'Search must be text'],
      ['q=%C3%28', 'not valid text (invalid encoding)'],
    ];
    for (const [query, message] of cases) {
      const response = await browser.get(`/members?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.body).toContain(message);
    }
    expect((await browser.get(`/members?q=${'a'.repeat(100)}`)).statusCode).toBe(200);
  });

  it('answers an agency that is not an id with 400 and says why; an unknown one lists nobody', async () => {
    for (const value of ['abc', '-1', '0', '1.5', '1e3', '99999999999999999999', '%00', `${agency.id}&agency=${agency.id}`]) {
      const response = await browser.get(`/members?agency=${value}`);
      expect(response.statusCode, value).toBe(400);
      expect(response.body).toContain(MEMBER_MESSAGES.badAgency);
    }
    const unknown = await browser.get('/members?agency=999999999999999');
    expect(unknown.statusCode).toBe(200);
    expect(unknown.body).toContain(MEMBER_MESSAGES.noMembersMatch);
  });

  it('answers a bad page with 400, and a page past the end with 404', async () => {
    for (const query of ['page=0', 'page=-1', 'page=abc', 'page=99999999999999999999', 'page=1&page=2']) {
      const response = await browser.get(`/members?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.body).toContain(DISCUSSION_MESSAGES.badPage);
    }
    expect((await browser.get('/members?q=nobody-by-this-name&page=2')).statusCode).toBe(404);
    expect((await browser.get('/members?page=1000000000000')).statusCode).toBe(404);
  });

  it('sends a visitor to sign in, keeping the search', async () => {
    const response = await new Browser(t.app).get('/members?q=zoe');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/login?next=${encodeURIComponent('/members?q=zoe')}`);
  });

  it('has a Members link in the header for signed-in members only', async () => {
    const page = await browser.get('/c');
    expect(page.body).toContain('<li><a href="/members">Members</a></li>');
    expect((await browser.get('/members')).body).toContain('<a href="/members" aria-current="page">Members</a>');
    expect((await new Browser(t.app).get('/login')).body).not.toContain('href="/members"');
  });
});
