import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AUTH_MESSAGES } from '../../../src/features/auth/messages.js';
import { ConcurrencyLimit } from '../../../src/features/auth/password-hashing.js';
import { LINK_FAILED_ATTEMPTS } from '../../../src/features/auth/tokens.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { createMember, GOOD_PASSWORD, signIn } from '../../support/members.js';
import { resetPathFor, verifyPathFor, WRONG_PASSWORD } from '../../support/membership.js';

// Issue 15, item 3: anyone with an allowed mailbox could stall every sign-in by replaying step 2
// of sign-up with a taken handle, an argon2 hash each time, queued without limit.
// The app's hashing slots are held by the test: two slots, one waiting place.
const limit = new ConcurrencyLimit(2, 1);
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ hashingLimit: limit });
});
afterAll(async () => t.close());

const NEW_PASSWORD = 'lantern-orchard-copper-83-meadow';

function address(label: string): string {
  return `${label}.${randomBytes(4).toString('hex')}@finance.gov.au`;
}

/** Holds hashing slots (then waiting places) until released, as long hashes would. */
function holdSlots(count: number): { release: () => Promise<void> } {
  const opens: Array<() => void> = [];
  const gates = Array.from({ length: count }, () => new Promise<void>((resolve) => opens.push(resolve)));
  const held = gates.map((gate) => limit.run(() => gate));
  return {
    async release() {
      for (const open of opens) open();
      await Promise.all(held);
    },
  };
}

async function stepTwo(path: string, fields: Record<string, string>, browser = new Browser(t.app), headers: Record<string, string> = {}) {
  const hidden = await browser.openForm(path);
  return browser.post(path, { ...hidden, display_name: 'Jane Citizen', handle: `jane_${randomBytes(3).toString('hex')}`, job_title: '', password: GOOD_PASSWORD, ...fields }, headers);
}

function expectBusy(response: { statusCode: number; headers: Record<string, unknown> }): void {
  expect(response.statusCode).toBe(503);
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
}

describe('password hashing under load', () => {
  it('runs no more hashes at once than its slots, and answers 503 with Retry-After past its queue', async () => {
    const member = await createMember(t.db, { email: address('queued') });
    const slots = holdSlots(2);
    expect([limit.active, limit.waiting]).toEqual([2, 0]);

    let answered = false;
    const queued = signIn(new Browser(t.app), member.email, member.password).then((response) => ((answered = true), response));
    await vi.waitFor(() => expect(limit.waiting).toBe(1));

    // Every way in that hashes is refused at once, member or not, while the queue is full.
    expectBusy(await signIn(new Browser(t.app), member.email, member.password));
    expectBusy(await signIn(new Browser(t.app), address('stranger'), WRONG_PASSWORD));
    const joining = address('busy-join');
    const verifyPath = await verifyPathFor(t.app, t.db, joining);
    expectBusy(await stepTwo(verifyPath, {}));
    expect([limit.active, limit.waiting, answered]).toEqual([2, 1, false]);

    await slots.release();
    expect((await queued).statusCode).toBe(303);
    // Busy is not a wrong password: nothing was counted against the address, and the link still works.
    expect(await t.db.selectFrom('signin_locks').select('consecutive_failures').where('canonical_email', '=', member.email).executeTakeFirst()).toBeUndefined();
    expect((await stepTwo(verifyPath, {})).statusCode).toBe(303);
    expect([limit.active, limit.waiting]).toEqual([0, 0]);
  });

  it('refuses a taken handle at step 2 without hashing, and spends the link after its last refused try', async () => {
    const owner = await createMember(t.db, { email: address('owner'), handle: `taken_${randomBytes(3).toString('hex')}` });
    const path = await verifyPathFor(t.app, t.db, address('replayer'));
    // Every slot and waiting place held: any hash would be answered 503.
    const slots = holdSlots(3);
    try {
      for (let i = 0; i < LINK_FAILED_ATTEMPTS; i += 1) {
        const response = await stepTwo(path, { handle: i % 2 === 0 ? owner.handle : owner.handle.toUpperCase() });
        expect(response.statusCode).toBe(422);
        expect(response.body).toContain(AUTH_MESSAGES.handleTaken);
      }
    } finally {
      await slots.release();
    }
    const spent = await new Browser(t.app).get(path);
    expect(spent.statusCode).toBe(400);
    const browser = new Browser(t.app);
    const hidden = await browser.openForm('/signup');
    expect((await browser.post(path, { ...hidden, display_name: 'Jane Citizen', handle: 'a_free_handle', job_title: '', password: GOOD_PASSWORD })).statusCode).toBe(400);
    expect(await t.db.selectFrom('members').select('id').where('handle', '=', 'a_free_handle').executeTakeFirst()).toBeUndefined();
  });

  it('keeps a link working through fewer refused tries than its cap', async () => {
    const owner = await createMember(t.db, { email: address('owner'), handle: `taken_${randomBytes(3).toString('hex')}` });
    const path = await verifyPathFor(t.app, t.db, address('retrier'));
    for (let i = 0; i < LINK_FAILED_ATTEMPTS - 1; i += 1) expect((await stepTwo(path, { handle: owner.handle })).statusCode).toBe(422);
    expect((await stepTwo(path, {})).statusCode).toBe(303);
  });

  it('spends a reset link after its last refused password', async () => {
    const member = await createMember(t.db, { email: address('weak-resetter') });
    const path = await resetPathFor(t.app, t.db, member);
    for (let i = 0; i < LINK_FAILED_ATTEMPTS; i += 1) {
      const browser = new Browser(t.app);
      const hidden = await browser.openForm(path);
      expect((await browser.post(path, { ...hidden, password: 'Password12345678' })).statusCode).toBe(422);
    }
    expect((await new Browser(t.app).get(path)).statusCode).toBe(400);
  });
});

describe('the hashing budget of a client address', () => {
  let budgeted: TestApp;
  beforeAll(async () => {
    budgeted = await buildTestApp({ database: t.database, env: { RATE_LIMIT_HASHES_PER_MINUTE: '4', TRUST_PROXY: '1' } });
  });
  afterAll(async () => budgeted.close());

  const from = (ip: string) => ({ 'x-forwarded-for': ip });

  async function signInFrom(ip: string, email: string, password: string, browser = new Browser(budgeted.app)) {
    const hidden = await browser.openForm('/login');
    return browser.post('/login', { ...hidden, email, password }, from(ip));
  }

  it('is shared by sign-in, step 2 of sign-up, a reset and a password change; past it, 429 with Retry-After', async () => {
    const ip = '198.51.100.7';
    const member = await createMember(t.db, { email: address('budget') });
    const joinPath = await verifyPathFor(budgeted.app, t.db, address('budget-join'));
    const resetPath = await resetPathFor(budgeted.app, t.db, member);

    expect((await signInFrom(ip, member.email, WRONG_PASSWORD)).statusCode).toBe(422);
    expect((await stepTwo(joinPath, {}, new Browser(budgeted.app), from(ip))).statusCode).toBe(303);
    const browser = new Browser(budgeted.app);
    const resetForm = await browser.openForm(resetPath);
    expect((await browser.post(resetPath, { ...resetForm, password: NEW_PASSWORD }, from(ip))).statusCode).toBe(303);
    const settings = await browser.openForm('/settings');
    expect((await browser.post('/settings/password', { _csrf: settings._csrf!, current_password: NEW_PASSWORD, new_password: 'saddle-quarry-moonlit-29-thistle' }, from(ip))).statusCode).toBe(303);

    const refused = await signInFrom(ip, member.email, 'saddle-quarry-moonlit-29-thistle');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Another client address has its own budget.
    expect((await signInFrom('198.51.100.8', member.email, 'saddle-quarry-moonlit-29-thistle')).statusCode).toBe(303);
  });
});
