import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_MESSAGES } from '../../../src/features/auth/messages.js';
import { formatTime } from '../../../src/lib/time.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { HOUR, MINUTE, TestClock } from '../../support/clock.js';
import { createMember, signedInBrowser, type TestMember } from '../../support/members.js';

// Issue 7, item 2: every time a person reads is in the member's zone or the site's, named
// (AEST/AEDT), never GMT; pages and emails share one formatter.
const clock = new TestClock();
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ now: clock.now });
});
afterAll(async () => t.close());

interface ShownTime {
  datetime: string;
  /** The exact time, when the text says how long ago it was instead. */
  title: string | undefined;
  text: string;
}

function timesOn(html: string): ShownTime[] {
  return [...html.matchAll(/<time datetime="([^"]+)"(?: title="([^"]+)")?>([^<]+)<\/time>/g)].map((m) => ({ datetime: m[1]!, title: m[2], text: m[3]! }));
}

/** The sessions table's "Signed in" time of this browser's session. */
async function signedInTime(browser: Browser): Promise<ShownTime> {
  const page = await browser.get('/settings');
  expect(page.statusCode).toBe(200);
  expect(page.body).not.toContain('GMT');
  const [started] = timesOn(page.body);
  expect(started, 'a <time> in the sessions table').toBeDefined();
  return started!;
}

async function saveProfile(browser: Browser, member: TestMember, timeZone: string) {
  const hidden = await browser.openForm('/settings');
  return browser.post('/settings/profile', { _csrf: hidden._csrf!, display_name: member.displayName, job_title: '', bio: '', time_zone: timeZone });
}

async function storedTimeZone(member: TestMember): Promise<string | null> {
  return (await t.db.selectFrom('members').select('time_zone').where('id', '=', member.id).executeTakeFirstOrThrow()).time_zone;
}

describe('times on pages', () => {
  it("shows a session's start in the site's zone (Australia/Sydney by default), named, exact in <time datetime> and its title", async () => {
    const member = await createMember(t.db);
    const shown = await signedInTime(await signedInBrowser(t.app, member, member.password));
    expect(new Date(shown.datetime).toISOString()).toBe(shown.datetime);
    expect(shown.title).toBe(formatTime(new Date(shown.datetime), 'Australia/Sydney'));
    expect(shown.title).toMatch(/ AE[SD]T$/);
    expect(shown.text).toBe('just now');
  });

  it('reads a session started five minutes ago as "5 minutes ago"', async () => {
    const member = await createMember(t.db);
    const browser = await signedInBrowser(t.app, member, member.password);
    clock.advance(5 * MINUTE + 10_000);
    expect((await signedInTime(browser)).text).toBe('5 minutes ago');
  });

  it('shows a time over 12 hours old as the exact time, with no title to repeat it', async () => {
    const member = await createMember(t.db);
    const browser = await signedInBrowser(t.app, member, member.password);
    const startedAt = new Date(clock.now().getTime() - 13 * HOUR);
    await t.db.updateTable('sessions').set({ created_at: startedAt }).where('member_id', '=', member.id).execute();
    expect(await signedInTime(browser)).toEqual({ datetime: startedAt.toISOString(), title: undefined, text: formatTime(startedAt, 'Australia/Sydney') });
  });

  it("uses the member's own time zone once they choose it in settings, and the site's again when they clear it", async () => {
    const member = await createMember(t.db);
    const browser = await signedInBrowser(t.app, member, member.password);
    const response = await saveProfile(browser, member, 'Australia/Perth');
    expect(response.statusCode).toBe(303);
    expect(await storedTimeZone(member)).toBe('Australia/Perth');
    const page = await browser.get('/settings');
    expect(page.body).toContain('<option value="Australia/Perth" selected>Australia/Perth</option>');
    expect(timesOn(page.body)[0]!.title).toMatch(/ AWST$/);

    expect((await saveProfile(browser, member, '')).statusCode).toBe(303);
    expect(await storedTimeZone(member)).toBeNull();
    expect((await signedInTime(browser)).title).toMatch(/ AE[SD]T$/);
  });

  it.each(['Mars/Olympus_Mons', 'AEST', 'australia/sydney', 'Australia/Sydney\u0000'])('refuses the time zone %j with 422 and a message, changing nothing', async (zone) => {
    const member = await createMember(t.db);
    const browser = await signedInBrowser(t.app, member, member.password);
    const response = await saveProfile(browser, member, zone);
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(AUTH_MESSAGES.timeZoneUnknown);
    expect(await storedTimeZone(member)).toBeNull();
  });

  it('shows times in TIME_ZONE for members who have not chosen one', async () => {
    const utc = await buildTestApp({ database: t.database, env: { TIME_ZONE: 'UTC' } });
    try {
      const member = await createMember(t.db);
      const shown = await signedInTime(await signedInBrowser(utc.app, member, member.password));
      expect(shown.title).toBe(formatTime(new Date(shown.datetime), 'UTC'));
      expect(shown.title).toMatch(/ UTC$/);
    } finally {
      await utc.close();
    }
  });
});

describe('times in emails', () => {
  async function newSignInEmail(member: TestMember): Promise<string> {
    await signedInBrowser(t.app, member, member.password);
    const email = await t.db.selectFrom('outbound_emails').select('text_body').where('kind', '=', 'auth.new-device').where('to_address', '=', member.email).executeTakeFirstOrThrow();
    return /^When: (.+)$/m.exec(email.text_body ?? '')?.[1] ?? '(no When: line)';
  }

  it("gives the staff \"new sign-in\" email's time in the site's zone, named, never GMT", async () => {
    const before = clock.now();
    const when = await newSignInEmail(await createMember(t.db, { role: 'moderator' }));
    expect(when).toMatch(/ AE[SD]T$/);
    expect([formatTime(before, 'Australia/Sydney'), formatTime(clock.now(), 'Australia/Sydney')]).toContain(when);
  });

  it("gives it in the member's own zone when they chose one", async () => {
    const moderator = await createMember(t.db, { role: 'moderator' });
    await t.db.updateTable('members').set({ time_zone: 'Australia/Perth' }).where('id', '=', moderator.id).execute();
    expect(await newSignInEmail(moderator)).toMatch(/ AWST$/);
  });
});
