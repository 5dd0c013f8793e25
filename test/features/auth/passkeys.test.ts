import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECOND_FACTOR_MESSAGES } from '../../../src/features/auth/second-factor/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { createMember } from '../../support/members.js';
import { secondFactorRows, setUpTotp } from '../../support/second-factor.js';
import { TestClock } from '../../support/clock.js';

// The passkey ceremony itself runs in a real browser (test/browser/second-factor.test.ts); here,
// what the forms do with what a browser could send instead.
const clock = new TestClock();
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ now: clock.now });
});
afterAll(async () => t.close());

async function signedIn() {
  const member = await createMember(t.db);
  const browser = new Browser(t.app);
  const hidden = await browser.openForm('/login');
  expect((await browser.post('/login', { ...hidden, email: member.email, password: member.password })).statusCode).toBe(303);
  return { member, browser };
}

const ANSWER = JSON.stringify({ id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'oA' }, clientExtensionResults: {} });

describe('POST /settings/security/passkeys', () => {
  it('offers options for this site to the browser, excluding nothing for a member with no passkey', async () => {
    const { browser } = await signedIn();
    const page = await browser.get('/settings/security/passkeys/new');
    expect(page.statusCode).toBe(200);
    const options = JSON.parse(/data-options="([^"]+)"/.exec(page.body)![1]!.replaceAll('&quot;', '"').replaceAll('&#x3D;', '='));
    expect(options.rp).toEqual({ name: 'Commons', id: new URL(t.config.publicUrl).hostname });
    expect(options.excludeCredentials).toEqual([]);
    expect(page.body).toContain('<script src="/static/js/passkeys.js" defer></script>');
  });

  it.each([
    ['no name', { response: ANSWER }, 'name', SECOND_FACTOR_MESSAGES.passkeyNameRequired],
    ['an overlong name', { name: 'n'.repeat(61), response: ANSWER }, 'name', 'Passkey name must be at most 60 characters'],
    ['a name with a NUL', { name: 'Work\u0000laptop', response: ANSWER }, 'name', 'Passkey name must not contain NUL characters'],
    ['no answer (no script)', { name: 'Laptop' }, 'passkey', SECOND_FACTOR_MESSAGES.passkeyResponseMissing],
    ['an overlong answer', { name: 'Laptop', response: 'x'.repeat(16_001) }, 'passkey', SECOND_FACTOR_MESSAGES.passkeyFailed],
    ['an answer that is not JSON', { name: 'Laptop', response: '{"id":' }, 'passkey', SECOND_FACTOR_MESSAGES.passkeyFailed],
    ['a forged answer', { name: '<script>alert(1)</script>', response: ANSWER }, 'passkey', SECOND_FACTOR_MESSAGES.passkeyFailed],
    ['an extra field', { name: 'Laptop', response: ANSWER, member_id: '1' }, '_form', PAGE_MESSAGES.unexpectedField],
  ])('refuses %s with 422, writing nothing', async (_case, fields, _field, message) => {
    const { browser } = await signedIn();
    const hidden = await browser.openForm('/settings/security/passkeys/new');
    const before = await secondFactorRows(t.db);
    const response = await browser.post('/settings/security/passkeys', { _csrf: hidden._csrf!, ...fields });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(message);
    expect(response.body).not.toContain('<script>alert');
    expect(await secondFactorRows(t.db)).toEqual(before);
  });

  it('refuses without a form token, signed out, or a challenge already spent', async () => {
    const { browser } = await signedIn();
    const hidden = await browser.openForm('/settings/security/passkeys/new');
    const before = await secondFactorRows(t.db);
    expect((await browser.post('/settings/security/passkeys', { name: 'Laptop', response: ANSWER })).statusCode).toBe(403);
    const visitor = new Browser(t.app);
    expect((await visitor.post('/settings/security/passkeys', { ...(await visitor.openForm('/login')), name: 'Laptop', response: ANSWER })).statusCode).toBe(403);
    // The first answer spends the challenge; a second submit has none to answer.
    expect((await browser.post('/settings/security/passkeys', { ...hidden, name: 'Laptop', response: ANSWER })).statusCode).toBe(422);
    expect((await browser.post('/settings/security/passkeys', { ...hidden, name: 'Laptop', response: ANSWER })).statusCode).toBe(422);
    expect(await secondFactorRows(t.db)).toEqual(before);
  });

  it("answers 404 to removing a passkey that is not the member's, or an id that names nothing", async () => {
    const { browser } = await signedIn();
    const owner = await createMember(t.db);
    const passkey = await t.db.insertInto('passkeys').values({ member_id: owner.id, credential_id: 'someone-elses', public_key: Buffer.from([1]), name: 'Theirs' }).returning('id').executeTakeFirstOrThrow();
    const hidden = await browser.openForm('/settings/security');
    for (const id of [String(passkey.id), '0', '-1', '1.5', '99999999999999999999', 'abc']) {
      expect((await browser.post(`/settings/security/passkeys/${id}/remove`, hidden)).statusCode, id).toBe(404);
    }
    expect(await t.db.selectFrom('passkeys').select('id').where('id', '=', passkey.id).execute()).toHaveLength(1);
  });
});

describe('POST /settings/security/recovery-codes', () => {
  it('makes ten new codes, spending the old ones, and refuses a member with no factor', async () => {
    const { member, browser } = await signedIn();
    const none = await browser.post('/settings/security/recovery-codes', await browser.openForm('/settings/security'));
    expect(none.statusCode).toBe(303);
    expect((await browser.get('/settings/security')).body).toContain(SECOND_FACTOR_MESSAGES.needsFactorFirst);
    expect(await t.db.selectFrom('recovery_codes').select('id').where('member_id', '=', member.id).execute()).toHaveLength(0);

    const { codes } = await setUpTotp(browser);
    const renewed = await browser.post('/settings/security/recovery-codes', await browser.openForm('/settings/security'));
    expect(renewed.statusCode).toBe(200);
    expect(renewed.body).toContain(SECOND_FACTOR_MESSAGES.recoveryCodesRenewed);
    const fresh = [...renewed.body.matchAll(/<li><code>([A-Z2-7-]+)<\/code><\/li>/g)].map((m) => m[1]!);
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((code) => codes.includes(code))).toEqual([]);
    expect(await t.db.selectFrom('recovery_codes').select('id').where('member_id', '=', member.id).execute()).toHaveLength(10);
    expect(await t.db.selectFrom('audit_events').select('action').where('actor_member_id', '=', member.id).where('action', '=', 'recovery_codes.renewed').execute()).toHaveLength(1);
  });
});
