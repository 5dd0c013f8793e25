import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERATION_MESSAGES as M } from '../../../src/features/moderation/messages.js';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { escapeLikeHandlebars } from '../../support/resources.js';
import { someone, type Someone } from './support.js';

let t: TestApp;
let moderator: Someone;
let subject: Someone;
beforeAll(async () => {
  t = await buildTestApp();
  moderator = await someone(t.app, t.db, 'moderator');
  subject = await someone(t.app, t.db);
  // 60 warnings about one member at one instant: the page boundary falls inside equal times.
  await sql`insert into audit_events (occurred_at, actor_member_id, action, target_type, target_id, subject_member_id, details)
    select timestamptz '2026-11-01 10:00:00.123456+00', ${moderator.member.id}, 'member.warned', 'member', ${String(subject.member.id)}, ${subject.member.id}, jsonb_build_object('reason', 'Reason ' || n)
    from generate_series(1, 60) as n`.execute(t.db);
});
afterAll(async () => t.close());

function reasonsOn(page: string): string[] {
  return [...page.matchAll(/<td data-label="Reason">(Reason \d+)<\/td>/g)].map((m) => m[1]!);
}

describe('GET /mod/log', () => {
  it('lists newest first, 50 a page, and the next page carries on by (time, id) without repeats or gaps', async () => {
    const first = await moderator.browser.get(`/mod/log?member=${subject.member.id}`);
    expect(first.statusCode).toBe(200);
    const firstReasons = reasonsOn(first.body);
    expect(firstReasons).toHaveLength(50);
    expect(firstReasons[0]).toBe('Reason 60');
    const older = /href="(\/mod\/log\?[^"]+)">Older actions/.exec(first.body)![1]!.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
    const second = await moderator.browser.get(older);
    expect(second.statusCode).toBe(200);
    const secondReasons = reasonsOn(second.body);
    expect(secondReasons).toHaveLength(10);
    expect(new Set([...firstReasons, ...secondReasons]).size).toBe(60);
    expect(second.body).not.toContain('Older actions');
  });

  it('filters by moderator, action, member and dates', async () => {
    const other = await someone(t.app, t.db);
    await moderator.browser.post(`/mod/members/${other.member.id}/warn`, { _csrf: moderator.csrf, reason: 'A fresh warning.' });
    const byAction = await moderator.browser.get(`/mod/log?action=member.warned&actor=${moderator.member.id}&member=${other.member.id}`);
    expect(byAction.body).toContain('A fresh warning.');
    expect(reasonsOn(byAction.body)).toEqual([]);
    const byDate = await moderator.browser.get(`/mod/log?from=2026-11-01&to=2026-11-01&member=${subject.member.id}`);
    expect(reasonsOn(byDate.body)).toHaveLength(50);
    const noneThatDay = await moderator.browser.get(`/mod/log?from=2026-11-02&to=2026-11-02&member=${subject.member.id}`);
    expect(reasonsOn(noneThatDay.body)).toEqual([]);
    const otherAction = await moderator.browser.get(`/mod/log?action=member.suspended&member=${subject.member.id}`);
    expect(otherAction.body).toContain('No actions match.');
  });

  it('answers bad filters with 400 and a clear message', async () => {
    const cases: [string, string][] = [
      ['actor=abc', M.badActor],
      ['member=99999999999999999999', M.badSubject],
      ['action=%3Cscript%3E', M.badAction],
      ['from=2026-02-30', M.badDate],
      ['to=yesterday', M.badDate],
      // The day after 9999-12-31 has no four-digit year: this once answered 500.
      ['to=9999-12-31', M.dateOutOfRange],
      ['from=1999-12-31', M.dateOutOfRange],
      ['from=2026-12-02&to=2026-12-01', M.datesReversed],
      ['before=2026-11-01T10:00:00.123456Z_abc', M.badCursor],
      ['before=2026-13-01T10:00:00.123456Z_5', M.badCursor],
      ['actor=1&actor=2', M.badActor],
      ['sort=id', ''],
    ];
    for (const [query, message] of cases) {
      const response = await moderator.browser.get(`/mod/log?${query}`);
      expect(response.statusCode, query).toBe(400);
      if (message) expect(response.body, query).toContain(escapeLikeHandlebars(M.logFilterProblem(message)));
    }
  });

  it('is refused to a member (403)', async () => {
    expect((await subject.browser.get('/mod/log')).statusCode).toBe(403);
  });
});
