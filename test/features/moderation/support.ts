import type { Database } from '../../../src/db/database.js';
import type { Browser } from '../../support/app.js';
import { escapeLikeHandlebars } from '../../support/resources.js';
import { csrfOf, memberWithBrowser } from '../../support/discussions.js';
import type { TestMember } from '../../support/members.js';
import { refusedLeaving } from '../../support/moderation.js';
import type { FastifyInstance } from 'fastify';

export interface Someone {
  member: TestMember;
  browser: Browser;
  csrf: string;
}

export async function someone(app: FastifyInstance, db: Database['db'], role: TestMember['role'] = 'member'): Promise<Someone> {
  const { member, browser } = await memberWithBrowser(app, db, { role });
  return { member, browser, csrf: await csrfOf(browser) };
}

/** What a moderation action can write, to show a refused one wrote nothing. */
export async function moderationRows(db: Database['db']) {
  const count = async (table: 'member_warnings' | 'audit_events' | 'notifications' | 'sessions') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const suspended = Number((await db.selectFrom('members').select((eb) => eb.fn.countAll<number>().as('n')).where('suspended_until', 'is not', null).executeTakeFirstOrThrow()).n);
  return { warnings: await count('member_warnings'), audit: await count('audit_events'), notifications: await count('notifications'), sessions: await count('sessions'), suspended };
}

/** refusedLeaving for warnings and suspensions: nothing of moderationRows changed. */
export function refusedWritingNothing<R extends { statusCode: number; body: string }>(db: Database['db'], send: () => Promise<R>, status: number, message?: string): Promise<R> {
  return refusedLeaving(() => moderationRows(db), send, status, message && escapeLikeHandlebars(message));
}
