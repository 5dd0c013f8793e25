import type { Database } from '../../src/db/database.js';
import { afterAll, beforeAll } from 'vitest';
import { buildTestApp, type TestApp } from './app.js';
import { memberWithBrowser } from './discussions.js';
import { refusedLeaving } from './moderation.js';
import { escapeLikeHandlebars } from './resources.js';

type Db = Database['db'];

/** Everything the domain-rule, agency and settings pages can write: equal before and after means nothing was. */
export async function adminState(db: Db) {
  return {
    rules: await db.selectFrom('domain_rules').select(['id', 'domain', 'effect', 'agency_id', 'note', 'admits_own_domain']).orderBy('id').execute(),
    agencies: await db.selectFrom('agencies').select(['id', 'name', 'jurisdiction', 'agency_type', 'parent_agency_id', 'provisional_at']).orderBy('id').execute(),
    members: await db.selectFrom('members').select(['id', 'agency_id', 'role', 'deactivated_at']).orderBy('id').execute(),
    settings: await db.selectFrom('setting_overrides').select(['name', 'value', 'updated_by']).orderBy('name').execute(),
    auditEvents: Number((await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n),
  };
}

/** Sends a request that must be refused with `status` and `message` (as the page escapes it), writing nothing. */
export function refusedWritingNothing<R extends { statusCode: number; body: string }>(db: Db, send: () => Promise<R>, status: number, message?: string): Promise<R> {
  return refusedLeaving(() => adminState(db), send, status, message && escapeLikeHandlebars(message));
}

export async function latestAudit(db: Db, action: string) {
  return db.selectFrom('audit_events').select(['actor_member_id', 'actor_label', 'ip_address', 'target_id', 'subject_member_id', 'details']).where('action', '=', action).orderBy('id', 'desc').executeTakeFirst();
}

interface AdministratorSite {
  t: TestApp;
  /** Signed in through the real form. */
  admin: Awaited<ReturnType<typeof memberWithBrowser>>;
  /** A form token from one of the administrator's pages. */
  csrf: string;
}

/** The site and an administrator for one test file, made before its tests and closed after them. */
export function useAdministratorSite(): AdministratorSite {
  const site = {} as AdministratorSite;
  beforeAll(async () => {
    site.t = await buildTestApp();
    site.admin = await memberWithBrowser(site.t.app, site.t.db, { role: 'administrator' });
    site.csrf = (await site.admin.browser.openForm('/admin'))._csrf!;
  });
  afterAll(async () => site.t.close());
  return site;
}
