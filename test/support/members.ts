import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { PasswordHasher } from '../../src/features/auth/password-hashing.js';
import type { Role } from '../../src/db/types.js';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { Browser } from './app.js';

/** Members made straight in the database, with the cheap hash settings tests use. */
const hasher = new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

export const GOOD_PASSWORD = 'kettle-harbour-violet-57-ledger';

export interface TestMember {
  id: number;
  email: string;
  handle: string;
  password: string;
}

export async function createMember(db: Database['db'], options: { email?: string; handle?: string; role?: Role; password?: string; deactivated?: boolean } = {}): Promise<TestMember> {
  const suffix = randomBytes(4).toString('hex');
  const email = options.email ?? `member.${suffix}@finance.gov.au`;
  const handle = options.handle ?? `member_${suffix}`;
  const password = options.password ?? GOOD_PASSWORD;
  const row = await db
    .insertInto('members')
    .values({
      email,
      canonical_email: email.toLowerCase().replace(/\+[^@]*@/, '@'),
      display_name: `Member ${suffix}`,
      handle,
      password_hash: await hasher.hash(password),
      role: options.role ?? 'member',
      guidelines_version: '1.0',
      guidelines_accepted_at: sql`now()`,
      verified_at: sql`now()`,
      deactivated_at: options.deactivated ? sql`now()` : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, email, handle, password };
}

/** Signs in through the real form; returns the response to the POST. */
export async function signIn(browser: Browser, email: string, password: string, next?: string) {
  const hidden = await browser.openForm('/login');
  return browser.post('/login', { ...hidden, email, password, ...(next ? { next } : {}) });
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
