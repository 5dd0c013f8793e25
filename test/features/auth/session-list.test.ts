import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { createMember, type TestMember } from '../../support/members.js';

// Issue 7, item 3: sessions can be told apart (the network each came from, roughly, and when it
// started), this browser's is marked and first, and "Sign out everywhere else" appears only
// when there is somewhere else.
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ env: { TRUST_PROXY: '1' } });
});
afterAll(async () => t.close());

const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';

/** A browser signed in as the member from the address, with the User-Agent. */
async function signedInFrom(member: TestMember, address: string, userAgent = CHROME_LINUX): Promise<Browser> {
  const browser = new Browser(t.app);
  const hidden = await browser.openForm('/login');
  const response = await browser.post('/login', { ...hidden, email: member.email, password: member.password }, { 'x-forwarded-for': address, 'user-agent': userAgent });
  expect(response.statusCode).toBe(303);
  return browser;
}

interface Row {
  browser: string;
  network: string;
  started: string;
}

/** The rows of the sessions table, in order. */
function sessionRows(html: string): Row[] {
  const table = /<table class="table-stack">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
  return [...table.matchAll(/<tr>\s*<td>([^<]*)<\/td>\s*<td data-label="Network">([^<]*)<\/td>\s*<td data-label="Signed in"><time datetime="([^"]+)"/g)].map((m) => ({ browser: m[1]!, network: m[2]!, started: m[3]! }));
}

describe('the sessions on the settings page', () => {
  it('shows the approximate network of each session (/24 for IPv4, /48 for IPv6), never the whole address', async () => {
    const member = await createMember(t.db);
    await signedInFrom(member, '2001:db8:1234:5678::99', FIREFOX_WINDOWS);
    const browser = await signedInFrom(member, '203.0.113.57');
    const page = await browser.get('/settings');
    expect(sessionRows(page.body).map(({ browser, network }) => ({ browser, network }))).toEqual([
      { browser: 'Chrome on Linux (this browser)', network: '203.0.113.0/24' },
      { browser: 'Firefox on Windows', network: '2001:db8:1234::/48' },
    ]);
    expect(page.body).not.toContain('203.0.113.57');
    expect(page.body).not.toContain('5678');
  });

  it("lists this browser's session first, marked, even when it is not the newest", async () => {
    const member = await createMember(t.db);
    const here = await signedInFrom(member, '198.51.100.4');
    await signedInFrom(member, '192.0.2.8');
    const rows = sessionRows((await here.get('/settings')).body);
    expect(rows.map((row) => row.network)).toEqual(['198.51.100.0/24', '192.0.2.0/24']);
    expect(rows.map((row) => row.browser.endsWith('(this browser)'))).toEqual([true, false]);
    // Each says when it started.
    expect(new Date(rows[0]!.started).getTime()).toBeLessThan(new Date(rows[1]!.started).getTime());
  });

  it('offers "Sign out everywhere else" only when there is another session', async () => {
    const member = await createMember(t.db);
    const here = await signedInFrom(member, '198.51.100.4');
    const alone = (await here.get('/settings')).body;
    expect(sessionRows(alone)).toHaveLength(1);
    expect(alone).not.toContain('Sign out everywhere else');
    expect(alone).not.toContain('action="/settings/sessions/end-others"');

    await signedInFrom(member, '192.0.2.8');
    expect((await here.get('/settings')).body).toContain('Sign out everywhere else');
  });
});
