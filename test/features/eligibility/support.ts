import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../../../src/db/database.js';
import { createDeps, type Deps } from '../../../src/deps.js';
import type { TestApp } from '../../support/app.js';

type Db = Database['db'];

/** Sets when a member's address was last proven theirs, months and minutes before `at`. */
export async function confirmedBefore(db: Db, memberId: number, at: Date, { months = 0, days = 0, minutes = 0 }: { months?: number; days?: number; minutes?: number }): Promise<void> {
  await db
    .updateTable('members')
    .set({ verified_at: sql<Date>`${at}::timestamptz - make_interval(months => ${months}, days => ${days}, mins => ${minutes})` })
    .where('id', '=', memberId)
    .execute();
}

/**
 * Makes a member past their date and reminded long since (a second after their last
 * confirmation): held from their next request.
 */
export async function overdueAndReminded(db: Db, memberId: number, at: Date, months = 12): Promise<void> {
  await confirmedBefore(db, memberId, at, { months, minutes: 1 });
  await db.updateTable('members').set({ reconfirmation_reminded_at: sql<Date>`verified_at + interval '1 second'` }).where('id', '=', memberId).execute();
}

/** The services' dependencies for the app under test, with a clock of the test's own (for the scheduled job). */
export function jobDeps(t: TestApp, now: () => Date): Deps {
  return createDeps({ db: t.db, config: t.config, now });
}

/** A work address at a subdomain of gov.au no other test uses, so a rule on it touches only this test's members. */
export function freshGovDomain(): string {
  return `elig${randomBytes(4).toString('hex')}.gov.au`;
}

export async function blockDomain(db: Db, domain: string): Promise<void> {
  await db.insertInto('domain_rules').values({ domain, effect: 'block', admits_own_domain: true, note: 'blocked by a test' }).execute();
}

export async function memberRow(db: Db, memberId: number) {
  return db.selectFrom('members').select(['verified_at', 'deactivated_at', 'deactivation_reason', 'reconfirmation_reminded_at']).where('id', '=', memberId).executeTakeFirstOrThrow();
}

export async function emailsTo(db: Db, address: string) {
  return db.selectFrom('outbound_emails').select(['id', 'kind', 'status', 'text_body']).where('to_address', '=', address).orderBy('id').execute();
}

export async function auditFor(db: Db, action: string, memberId: number) {
  return db.selectFrom('audit_events').select(['actor_member_id', 'actor_label', 'details']).where('action', '=', action).where('target_id', '=', String(memberId)).orderBy('id').execute();
}
