import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { createTestDatabase } from '../../support/database.js';
import { createMember } from '../../support/members.js';
import { answerRequests, askToJoin } from '../../support/membership.js';
import { StatementRecorder } from '../../support/statements.js';

// Issue 15, item 2: POST /password/forgot took 17.7 ms for a member and 9.5 ms for anyone else
// (embedded; 9.8 vs 6.4 ms on PostgreSQL), so one request told who is a member. By construction
// now: every well-formed address gets the very same statements; what differs (whether an email
// goes, and which) is decided later by the mail worker. Timings are measured, not asserted:
// `npm run bench:timing`, recorded in BENCHMARKS.md.

const recorder = new StatementRecorder();

let database: Database;
let t: TestApp;
beforeAll(async () => {
  database = await createTestDatabase();
  t = await buildTestApp({ database: { ...database, db: database.db.withPlugin(recorder.plugin) } });
});
afterAll(async () => {
  await t.close();
  await database.close();
});

function address(label: string): string {
  return `${label}.${randomBytes(4).toString('hex')}@finance.gov.au`;
}

/** The statements one POST of the form runs, from a browser that has just opened the form. */
async function statementsOfPost(path: string, fields: Record<string, string>): Promise<string[]> {
  const browser = new Browser(t.app);
  const hidden = await browser.openForm(path);
  return recorder.during(async () => {
    const response = await browser.post(path, { ...hidden, ...fields });
    expect(response.statusCode).toBe(200);
  });
}

async function kindsOfEmailTo(email: string): Promise<string[]> {
  return (await t.db.selectFrom('outbound_emails').select('kind').where('to_address', '=', email).orderBy('id').execute()).map((row) => row.kind);
}

describe('requests anyone may make about an address', () => {
  it('POST /password/forgot runs the same statements for a member, a deactivated member and a stranger, and reads no member', async () => {
    const member = await createMember(t.db, { email: address('forgot-member') });
    const deactivated = await createMember(t.db, { email: address('forgot-gone'), deactivated: true });
    const stranger = address('forgot-stranger');

    const seen = [];
    for (const email of [member.email, deactivated.email, stranger]) seen.push(await statementsOfPost('/password/forgot', { email }));
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[2]).toEqual(seen[0]);
    expect(seen[0]!.filter((text) => text.includes('"account_requests"'))).toHaveLength(1);
    expect(seen[0]!.filter((text) => /"(members|email_tokens|outbound_emails|audit_events)"/.test(text))).toEqual([]);

    // The worker answers: a link to the member, nothing to anyone else.
    expect(await kindsOfEmailTo(member.email)).toEqual([]);
    await answerRequests(t.app);
    expect(await kindsOfEmailTo(member.email)).toEqual(['auth.reset']);
    expect(await kindsOfEmailTo(deactivated.email)).toEqual([]);
    expect(await kindsOfEmailTo(stranger)).toEqual([]);
  });

  it('POST /signup runs the same statements for a member, an address already asked for and a new one, and reads no member', async () => {
    const member = await createMember(t.db, { email: address('join-member') });
    const pending = address('join-pending');
    await askToJoin(t.app, pending);
    const stranger = address('join-stranger');

    const seen = [];
    for (const email of [member.email, pending, stranger]) seen.push(await statementsOfPost('/signup', { email, accept_guidelines: 'yes' }));
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[2]).toEqual(seen[0]);
    expect(seen[0]!.filter((text) => text.includes('"account_requests"'))).toHaveLength(1);
    expect(seen[0]!.filter((text) => /"(members|signup_requests|email_tokens|outbound_emails|audit_events)"/.test(text))).toEqual([]);

    await answerRequests(t.app);
    expect(await kindsOfEmailTo(member.email)).toEqual(['auth.already-member']);
    expect(await kindsOfEmailTo(pending)).toEqual(['auth.verify', 'auth.verify']);
    expect(await kindsOfEmailTo(stranger)).toEqual(['auth.verify']);
  });

  it('leaves no request behind once the worker has answered', async () => {
    await askToJoin(t.app, address('answered'));
    const left = await t.db.selectFrom('account_requests').select('id').execute();
    expect(left).toEqual([]);
  });
});
