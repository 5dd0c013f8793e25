import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { parseWorkEmail } from '../../src/features/auth/email-address.js';
import { PasswordHasher } from '../../src/features/auth/password-hashing.js';
import type { Role } from '../../src/db/types.js';
import { findOrCreateProvisionalAgency } from '../../src/features/auth/queries.js';
import { totpCode } from '../../src/features/auth/second-factor/totp.js';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { Browser } from './app.js';

/** Members made straight in the database, with the cheap hash settings tests use. */
const hasher = new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

export const GOOD_PASSWORD = 'kettle-harbour-violet-57-ledger';

export interface TestAgency {
  id: number;
  name: string;
}

/** An agency made straight in the database; a fresh name unless one is given. */
export async function createAgency(db: Database['db'], options: { name?: string; jurisdiction?: 'commonwealth' | 'state' | 'territory' | 'local'; provisional?: boolean } = {}): Promise<TestAgency> {
  const name = options.name ?? `Test Agency ${randomBytes(4).toString('hex')}`;
  const row = await db
    .insertInto('agencies')
    .values({ name, jurisdiction: options.jurisdiction ?? null, provisional_at: options.provisional ? sql`now()` : null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, name };
}

export interface TestMember {
  id: number;
  email: string;
  canonicalEmail: string;
  handle: string;
  displayName: string;
  role: Role;
  agencyId: number;
  password: string;
}

export interface MemberOptions {
  email?: string;
  handle?: string;
  role?: Role;
  /** Without one, the member joins the provisional agency of their email's domain, as sign-up does when no rule names one. */
  agency?: Pick<TestAgency, 'id'>;
  password?: string;
  deactivated?: boolean;
  /** An authenticator app (STAFF_TOTP_SECRET) that signIn passes for them; staff have one unless this says no. */
  secondFactor?: boolean;
}

/** The authenticator app every test member with a second factor has; signIn answers its step for them. */
export const STAFF_TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const withSecondFactor = new Map<string, { db: Database['db']; memberId: number }>();

export async function createMember(db: Database['db'], options: MemberOptions = {}): Promise<TestMember> {
  const suffix = randomBytes(4).toString('hex');
  const address = parseWorkEmail(options.email ?? `member.${suffix}@finance.gov.au`);
  if (!address.ok) throw new Error(`createMember: ${address.reason}`);
  const handle = options.handle ?? `member_${suffix}`;
  const displayName = `Member ${suffix}`;
  const role = options.role ?? 'member';
  const password = options.password ?? GOOD_PASSWORD;
  const agencyId = options.agency?.id ?? (await findOrCreateProvisionalAgency(db, address.domain));
  const row = await db
    .insertInto('members')
    .values({
      email: address.address,
      canonical_email: address.canonical,
      display_name: displayName,
      handle,
      password_hash: await hasher.hash(password),
      role,
      agency_id: agencyId,
      guidelines_version: '1.0',
      guidelines_accepted_at: sql`now()`,
      verified_at: sql`now()`,
      deactivated_at: options.deactivated ? sql`now()` : null,
      deactivation_reason: options.deactivated ? 'administrator' : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (options.secondFactor ?? role !== 'member') {
    await db.insertInto('totp_factors').values({ member_id: row.id, secret: STAFF_TOTP_SECRET }).execute();
    withSecondFactor.set(address.address.toLowerCase(), { db, memberId: row.id });
  }
  return { id: row.id, email: address.address, canonicalEmail: address.canonical, handle, displayName, role, agencyId, password };
}

/** Signs in through the real form; returns the response to the POST. */
export async function signIn(browser: Browser, email: string, password: string, next?: string) {
  const hidden = await browser.openForm('/login');
  const response = await browser.post('/login', { ...hidden, email, password, ...(next ? { next } : {}) });
  const factor = withSecondFactor.get(email.toLowerCase());
  if (response.headers.location !== '/login/second-factor' || !factor) return response;
  return passSecondStep(browser, factor.db, factor.memberId);
}

/**
 * Answers the second step with the test authenticator's current code. Its time-step is made
 * unused first: a test signs the same member in several times within one 30-second step.
 */
export async function passSecondStep(browser: Browser, db: Database['db'], memberId: number, at = browser.now()) {
  const code = await unspentTestCode(db, memberId, at);
  const hidden = await browser.openForm('/login/second-factor');
  return browser.post('/login/second-factor', { ...hidden, code });
}

/** The test authenticator's code at `at`, its time-step made unused for the member. */
async function unspentTestCode(db: Database['db'], memberId: number, at: Date): Promise<string> {
  await db.updateTable('totp_factors').set({ last_used_step: null }).where('member_id', '=', memberId).execute();
  return totpCode(STAFF_TOTP_SECRET, at);
}

/** The code a member made with the test authenticator would type now, or undefined for one without it. */
export async function testSecondFactorCode(email: string, at: Date): Promise<string | undefined> {
  const factor = withSecondFactor.get(email.toLowerCase());
  return factor && unspentTestCode(factor.db, factor.memberId, at);
}

/** The links in the newest queued email to an address (the queue keeps bodies until sent). */
export async function linksInLatestEmail(db: Database['db'], to: string): Promise<string[]> {
  const email = await db.selectFrom('outbound_emails').select('text_body').where('to_address', '=', to).orderBy('id', 'desc').executeTakeFirstOrThrow();
  return [...(email.text_body ?? '').matchAll(/https?:\/\/\S+/g)].map((m) => m[0]);
}

export function pathOf(link: string): string {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
}

/** A browser signed in as the member, through the real form. */
export async function signedInBrowser(app: FastifyInstance, member: { email: string }, password: string): Promise<Browser> {
  const browser = new Browser(app);
  expect((await signIn(browser, member.email, password)).statusCode).toBe(303);
  return browser;
}

/** Whether the browser's session still signs it in (a members' page answers, not a sign-in redirect). */
export async function isSignedIn(browser: Browser): Promise<boolean> {
  const response = await browser.get('/settings');
  if (response.statusCode === 200) return true;
  expect(response.statusCode).toBe(303);
  expect(response.headers.location).toBe('/login?next=%2Fsettings');
  return false;
}
