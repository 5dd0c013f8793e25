import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AUTH_MESSAGES } from '../../../src/features/auth/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { createMember, GOOD_PASSWORD, linksInLatestEmail, pathOf } from '../../support/members.js';
import { askToJoin as askToJoinAs } from '../../support/membership.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ env: { ADMIN_EMAILS: 'chief.admin@pmc.gov.au' } });
});
afterAll(async () => t.close());
beforeEach(async () => {
  await t.db.deleteFrom('outbound_emails').execute();
  await t.db.deleteFrom('email_tokens').execute();
  await t.db.deleteFrom('signup_requests').execute();
  await t.db.deleteFrom('sessions').execute();
  await t.db.deleteFrom('signin_locks').execute();
});

function askToJoin(email: string, browser = new Browser(t.app)) {
  return askToJoinAs(t.app, email, browser);
}

async function counts() {
  const [requests, tokens, emails, members, asked] = await Promise.all(
    (['signup_requests', 'email_tokens', 'outbound_emails', 'members', 'account_requests'] as const).map(async (table) => Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)),
  );
  return { requests, tokens, emails, members, asked };
}

/** Step 2 through the emailed link, as the person would: open it, then submit the form. */
async function finishJoining(link: string, fields: Record<string, string>, browser = new Browser(t.app)) {
  const hidden = await browser.openForm(pathOf(link));
  return browser.post(pathOf(link), { ...hidden, display_name: 'Jane Citizen', handle: 'jane_c', job_title: '', password: GOOD_PASSWORD, ...fields });
}

describe('POST /signup', () => {
  it.each([
    ['x@gmail.com', AUTH_MESSAGES.domainNotAllowed],
    ['x@evilgov.au', AUTH_MESSAGES.domainNotAllowed],
    ['x@gov.au.evil.com', AUTH_MESSAGES.domainNotAllowed],
    ['x@finance.gov.au.', AUTH_MESSAGES.domainTrailingDot],
    ['x@finance..gov.au', AUTH_MESSAGES.domainEmptyLabel],
    ['x@fіnance.gov.au', AUTH_MESSAGES.emailNotAscii],
    ['x@ｆｉｎａｎｃｅ.gov.au', AUTH_MESSAGES.emailNotAscii],
    ['x@xn--fnance-abc.gov.au', AUTH_MESSAGES.domainPunycode],
    ['"x"@finance.gov.au', AUTH_MESSAGES.emailQuoted],
    ['x@[10.0.0.1]', AUTH_MESSAGES.domainIpLiteral],
    [`${'x'.repeat(290)}@gov.au`, AUTH_MESSAGES.emailTooLong],
    ['x\0@finance.gov.au', AUTH_MESSAGES.emailHasNul],
    ['x@finance.gov.au\r\nBcc: y@evil.example', AUTH_MESSAGES.emailHasLineBreak],
  ])('refuses %j with a reason and writes nothing', async (email, reason) => {
    const before = await counts();
    const response = await askToJoin(email);
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(reason.replace(/'/g, '&#x27;'));
    expect(await counts()).toEqual(before);
  });

  it('refuses without acceptance of the guidelines', async () => {
    const browser = new Browser(t.app);
    const hidden = await browser.openForm('/signup');
    const response = await browser.post('/signup', { ...hidden, email: 'x@finance.gov.au' });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(AUTH_MESSAGES.acceptGuidelines);
    expect((await counts()).requests).toBe(0);
  });

  it('accepts X.Y@FINANCE.GOV.AU, mails the address as typed and keeps the canonical one', async () => {
    const response = await askToJoin('X.Y@FINANCE.GOV.AU');
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Check your email');
    const request = await t.db.selectFrom('signup_requests').select(['email', 'canonical_email', 'guidelines_version']).executeTakeFirstOrThrow();
    expect(request).toEqual({ email: 'X.Y@FINANCE.GOV.AU', canonical_email: 'x.y@finance.gov.au', guidelines_version: '1.0' });
    const links = await linksInLatestEmail(t.db, 'X.Y@FINANCE.GOV.AU');
    expect(links).toHaveLength(1);
    expect(links[0]).toMatch(/^http:\/\/127\.0\.0\.1:3000\/verify\/[A-Za-z0-9_-]{43}$/);
  });

  it('treats x+commons@ as the member x@ already is: an "already a member" email to the member, no new request, no live link', async () => {
    await createMember(t.db, { email: 'x@finance.gov.au' });
    const response = await askToJoin('x+commons@finance.gov.au');
    expect(response.statusCode).toBe(200);
    expect((await counts()).requests).toBe(0);
    expect((await counts()).tokens).toBe(0);
    const email = await t.db.selectFrom('outbound_emails').select(['to_address', 'kind', 'text_body']).executeTakeFirstOrThrow();
    expect(email.to_address).toBe('x@finance.gov.au');
    expect(email.kind).toBe('auth.already-member');
    expect(email.text_body).toContain('http://127.0.0.1:3000/password/forgot');
  });

  it('answers member, pending and unknown addresses byte for byte the same', async () => {
    await createMember(t.db, { email: 'member@finance.gov.au' });
    await askToJoin('pending@finance.gov.au');
    const bodies: string[] = [];
    for (const email of ['member@finance.gov.au', 'pending@finance.gov.au', 'unknown@finance.gov.au']) {
      const response = await askToJoin(email);
      expect(response.statusCode).toBe(200);
      bodies.push(response.body.replace(/value="[^"]+"/g, '').replace(email, 'ADDRESS'));
    }
    expect(bodies[1]).toBe(bodies[0]);
    expect(bodies[2]).toBe(bodies[0]);
  });

  it('gives a pending address a fresh link and stops the old one working', async () => {
    await askToJoin('again@finance.gov.au');
    const [first] = await linksInLatestEmail(t.db, 'again@finance.gov.au');
    await askToJoin('again@finance.gov.au');
    const [second] = await linksInLatestEmail(t.db, 'again@finance.gov.au');
    expect(second).not.toBe(first);
    expect((await new Browser(t.app).get(pathOf(first!))).statusCode).toBe(400);
    expect((await new Browser(t.app).get(pathOf(second!))).statusCode).toBe(200);
  });

  it('quietly sends nothing past 3 requests an hour for one address, answering the same', async () => {
    for (let i = 0; i < 4; i += 1) expect((await askToJoin('often@finance.gov.au')).statusCode).toBe(200);
    expect((await counts()).emails).toBe(3);
  });

  it('admits only health.nsw.gov.au under "block nsw.gov.au, allow health.nsw.gov.au"', async () => {
    await t.db.insertInto('domain_rules').values([{ domain: 'nsw.gov.au', effect: 'block' }, { domain: 'health.nsw.gov.au', effect: 'allow', admits_own_domain: true }]).execute();
    try {
      expect((await askToJoin('nurse@health.nsw.gov.au')).statusCode).toBe(200);
      const refused = await askToJoin('teacher@education.nsw.gov.au');
      expect(refused.statusCode).toBe(422);
      expect(refused.body).toContain('cannot join Commons');
    } finally {
      await t.db.deleteFrom('domain_rules').where('domain', 'in', ['nsw.gov.au', 'health.nsw.gov.au']).execute();
    }
  });
});

describe('a refused address', () => {
  it('is told who can join and where to ask for an agency to be added', async () => {
    const before = await counts();
    const refused = await askToJoin('someone@gmail.com');
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('<h2 id="who-can-join">Who can join</h2>');
    expect(refused.body).toContain('<a href="/contact">tell the operators</a>');
    expect(await counts()).toEqual(before);
    // A page that only had a field missing does not explain who can join.
    expect((await askToJoin('')).body).not.toContain('Who can join');
  });

  it('cannot join at the bare gov.au, which names no agency: the seeded rule admits addresses under it only', async () => {
    const before = await counts();
    const refused = await askToJoin('someone@gov.au');
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain(AUTH_MESSAGES.domainNotAllowed.replace(/'/g, '&#x27;'));
    expect(await counts()).toEqual(before);
    expect((await askToJoin('someone@finance.gov.au')).statusCode).toBe(200);
  });
});

describe('joining through the emailed link', () => {
  it('shows the form on GET (as a mail scanner would open it) and joins on the POST', async () => {
    await askToJoin('Jane.Citizen@Finance.gov.au');
    const [link] = await linksInLatestEmail(t.db, 'Jane.Citizen@Finance.gov.au');
    const scanner = await new Browser(t.app).get(pathOf(link!));
    expect(scanner.statusCode).toBe(200);
    const browser = new Browser(t.app);
    const response = await finishJoining(link!, { handle: 'jane_citizen', job_title: 'Digital engagement lead' }, browser);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/');
    const home = await browser.get('/');
    expect(home.body).toContain('Welcome, Jane Citizen');
    const member = await t.db.selectFrom('members').innerJoin('agencies', 'agencies.id', 'members.agency_id').select(['members.email', 'canonical_email', 'role', 'agencies.name', 'agencies.provisional_at']).where('handle', '=', 'jane_citizen').executeTakeFirstOrThrow();
    expect(member).toMatchObject({ email: 'Jane.Citizen@Finance.gov.au', canonical_email: 'jane.citizen@finance.gov.au', role: 'member', name: 'finance.gov.au' });
    expect(member.provisional_at).not.toBeNull();
    expect(await t.db.selectFrom('signup_requests').select('id').execute()).toEqual([]);
  });

  it('answers a used, expired, forged and truncated link with one message', async () => {
    await askToJoin('once@finance.gov.au');
    const [link] = await linksInLatestEmail(t.db, 'once@finance.gov.au');
    expect((await finishJoining(link!, { handle: 'once_only' })).statusCode).toBe(303);
    await askToJoin('late@finance.gov.au');
    const [late] = await linksInLatestEmail(t.db, 'late@finance.gov.au');
    await t.db.updateTable('email_tokens').set({ expires_at: sql`now() - interval '1 second'` }).where('canonical_email', '=', 'late@finance.gov.au').execute();
    const token = pathOf(link!).split('/').pop()!;
    for (const path of [pathOf(link!), pathOf(late!), `/verify/${'A'.repeat(43)}`, `/verify/${token.slice(0, 20)}`, `/verify/${token.toUpperCase()}`]) {
      const response = await new Browser(t.app).get(path);
      expect(response.statusCode, path).toBe(400);
      expect(response.body).toContain('This link has expired or has already been used');
    }
  });

  it('says plainly that a bad link was used or has expired, with links to start again and to sign in, the same for every kind', async () => {
    await askToJoin('twice@finance.gov.au');
    const [link] = await linksInLatestEmail(t.db, 'twice@finance.gov.au');
    expect((await finishJoining(link!, { handle: 'twice_only' })).statusCode).toBe(303);
    const token = pathOf(link!).split('/').pop()!;
    const pages = new Set<string>();
    for (const path of [pathOf(link!), `/verify/${'A'.repeat(43)}`, `/verify/${token.slice(0, 20)}`]) {
      const response = await new Browser(t.app).get(path);
      expect(response.body).toContain('<h1>This link has expired or has already been used</h1>');
      expect(response.body).toContain('<a href="/signup">Start joining again</a>');
      expect(response.body).toContain('<a href="/login">');
      pages.add(response.body.replace(/<main[^>]*>/, ''));
    }
    expect(pages.size).toBe(1);
  });

  it('leaves a hijacker nothing: no password exists before step 2, and the owner still joins', async () => {
    const membersBefore = (await counts()).members;
    await askToJoin('victim@finance.gov.au', new Browser(t.app));
    expect((await counts()).members).toBe(membersBefore);
    const columns = await sql<{ column_name: string }>`select column_name from information_schema.columns where table_name = 'signup_requests'`.execute(t.db);
    expect(columns.rows.map((c) => c.column_name)).not.toContain('password_hash');
    await askToJoin('victim@finance.gov.au');
    const [link] = await linksInLatestEmail(t.db, 'victim@finance.gov.au');
    expect((await finishJoining(link!, { handle: 'the_victim' })).statusCode).toBe(303);
    expect(await t.db.selectFrom('members').select('handle').where('canonical_email', '=', 'victim@finance.gov.au').executeTakeFirst()).toEqual({ handle: 'the_victim' });
  });

  it.each([
    ['a password of 14 code points', 'short', { password: 'xq7#Lm2$vR9!pZ' }, 'at least 15'],
    ['a guessable password', 'guessable', { password: 'Password12345678' }, 'guess'],
    ['a password containing the local part', 'localpart', { password: 'localpart-tango-91-quartz' }, 'email address'],
    ['a taken handle', 'takenhandle', { handle: 'taken_handle' }, AUTH_MESSAGES.handleTaken],
    ['a malformed handle', 'badhandle', { handle: 'no spaces!' }, AUTH_MESSAGES.handleShape],
    ['a reserved handle', 'reserved', { handle: 'Admin' }, AUTH_MESSAGES.handleReserved],
    ['an empty display name', 'noname', { display_name: '\u200B ' }, 'Enter the name other members will see'],
    ['a bidi override in the display name', 'bidi', { display_name: 'Jane\u202Eevil' }, 'invisible control characters'],
  ])('refuses %s and keeps the link working', async (_case, local, fields, message) => {
    if ('handle' in fields && fields.handle === 'taken_handle') await createMember(t.db, { handle: 'Taken_Handle' });
    const address = `${local}@finance.gov.au`;
    await askToJoin(address);
    const [link] = await linksInLatestEmail(t.db, address);
    const response = await finishJoining(link!, { handle: `h_${local}`, ...fields });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(message.replace(/'/g, '&#x27;'));
    expect(await t.db.selectFrom('members').select('id').where('canonical_email', '=', address).executeTakeFirst()).toBeUndefined();
    expect((await new Browser(t.app).get(pathOf(link!))).statusCode).toBe(200);
  });

  it('accepts passwords of exactly 15 and 1,024 code points', async () => {
    for (const [n, password] of [[15, 'Vq9#wL2@xT7!mZ4'], [1024, randomBytes(768).toString('base64')]] as const) {
      expect([...password]).toHaveLength(n);
      await askToJoin(`len${n}@finance.gov.au`);
      const [link] = await linksInLatestEmail(t.db, `len${n}@finance.gov.au`);
      expect((await finishJoining(link!, { handle: `len_${n}`, password })).statusCode).toBe(303);
    }
  });

  it('refuses a 200 KB password before hashing it, and a 1 MB one at the body limit', async () => {
    await askToJoin('huge@finance.gov.au');
    const [link] = await linksInLatestEmail(t.db, 'huge@finance.gov.au');
    const long = await finishJoining(link!, { password: 'x'.repeat(200 * 1024) });
    expect(long.statusCode).toBe(422);
    expect(long.body).toContain('no more than 1,024');
    const huge = await finishJoining(link!, { password: 'x'.repeat(1024 * 1024) });
    expect(huge.statusCode).toBe(413);
  });

  it('makes an address listed in ADMIN_EMAILS an administrator, with an audit row', async () => {
    await askToJoin('Chief.Admin@pmc.gov.au');
    const [link] = await linksInLatestEmail(t.db, 'Chief.Admin@pmc.gov.au');
    expect((await finishJoining(link!, { handle: 'chief_admin' })).statusCode).toBe(303);
    const member = await t.db.selectFrom('members').select(['id', 'role']).where('handle', '=', 'chief_admin').executeTakeFirstOrThrow();
    expect(member.role).toBe('administrator');
    const audit = await t.db.selectFrom('audit_events').select(['action', 'actor_label']).where('target_id', '=', String(member.id)).where('action', '=', 'role.granted').executeTakeFirst();
    expect(audit).toEqual({ action: 'role.granted', actor_label: 'ADMIN_EMAILS' });
  });
});
