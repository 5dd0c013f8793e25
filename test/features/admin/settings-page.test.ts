import { describe, expect, it } from 'vitest';
import { SITE_SETTINGS } from '../../../src/config.js';
import { AUTH_MESSAGES } from '../../../src/features/auth/messages.js';
import { ADMIN_MESSAGES as M } from '../../../src/features/admin/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { latestAudit, refusedWritingNothing, useAdministratorSite } from '../../support/admin.js';
import { Browser, buildTestApp } from '../../support/app.js';
import { TestClock } from '../../support/clock.js';
import { memberWithBrowser, postIdFrom, postReply, startThread } from '../../support/discussions.js';
import { askToJoin } from '../../support/membership.js';
import { escapeLikeHandlebars } from '../../support/resources.js';

const site = useAdministratorSite();
const BANNER = '<div class="phase-banner">';

function save(fields: Record<string, string | string[]>, browser = site.admin.browser, token = site.csrf) {
  return browser.post('/admin/settings', { _csrf: token, ...fields });
}

function reset(name: string, browser = site.admin.browser, token = site.csrf) {
  return browser.post('/admin/settings/reset', { _csrf: token, name });
}

async function overrides() {
  return site.t.db.selectFrom('setting_overrides').select(['name', 'value', 'updated_by']).orderBy('name').execute();
}

async function auditCount(): Promise<number> {
  return Number((await site.t.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).where('action', '=', 'setting.changed').executeTakeFirstOrThrow()).n);
}

/** Puts every setting back to the environment's value, through the page, so each test starts there. */
async function resetAll() {
  for (const { name } of await overrides()) expect((await reset(name)).statusCode).toBe(303);
}

describe('GET /admin/settings', () => {
  it('shows each group with each setting, its help, its value and where the value comes from', async () => {
    await resetAll();
    const page = await site.admin.browser.get('/admin/settings');
    expect(page.statusCode).toBe(200);
    for (const group of ['Moderation', 'Approvals and new members', 'Rate limits', 'Site']) expect(page.body).toContain(`>${group}</h2>`);
    for (const spec of Object.values(SITE_SETTINGS)) expect(page.body).toContain(escapeLikeHandlebars(spec.label));
    expect(page.body).toContain('How many members flagging one post or resource (1 to 1000) hide it');
    expect(page.body).toMatch(/name="FLAG_HIDE_THRESHOLD" type="number" inputmode="numeric" step="1" min="1" max="1000" value="3"/);
    expect(page.body).toMatch(/id="source-FLAG_HIDE_THRESHOLD">Now: the default\./);
    // The test configuration sets this one in its environment.
    expect(page.body).toMatch(/id="source-RATE_LIMIT_SIGNUPS_PER_HOUR">Now: the value set in the environment\./);
    expect(page.body).toContain('<option value="Australia/Perth">Australia/Perth</option>');
    expect(page.body).toContain('<input type="radio" name="PHASE_BANNER" value="true" checked> Yes');
    expect(page.body).not.toContain('LOG_LEVEL');
  });
});

describe('POST /admin/settings', () => {
  it.each([
    ['Moderation', { FLAG_HIDE_THRESHOLD: '5', MODERATOR_NAMES_SHOWN: 'true' }, { FLAG_HIDE_THRESHOLD: [3, 5], MODERATOR_NAMES_SHOWN: [false, true] }],
    ['Approvals and new members', { MEMBER_APPROVAL_REQUIRED: 'true', FIRST_POSTS_HELD: '2', REPEATED_TEXT_THREADS: '3', REPEATED_TEXT_MINUTES: '30', NEW_MEMBER_DAYS: '7' }, { MEMBER_APPROVAL_REQUIRED: [false, true], FIRST_POSTS_HELD: [0, 2], REPEATED_TEXT_MINUTES: [10, 30], NEW_MEMBER_DAYS: [3, 7] }],
    ['Rate limits', { RATE_LIMIT_POSTS_PER_HOUR: '20', RATE_LIMIT_SIGNUPS_PER_HOUR: '50' }, { RATE_LIMIT_POSTS_PER_HOUR: [60, 20], RATE_LIMIT_SIGNUPS_PER_HOUR: [100000, 50] }],
    ['Site', { OPERATOR_NAME: '  Department of Examples ', TIME_ZONE: 'Australia/Perth', PHASE_BANNER: 'true' }, { OPERATOR_NAME: [null, 'Department of Examples'], TIME_ZONE: ['Australia/Sydney', 'Australia/Perth'] }],
  ])('saves the %s group, each change audited with before and after, and only what changed', async (_group, fields, changes) => {
    await resetAll();
    const response = await save(fields);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/admin/settings');
    const stored = await overrides();
    expect(stored.map((row) => row.name).sort()).toEqual(Object.keys(changes).sort());
    for (const [name, [before, after]] of Object.entries(changes)) {
      expect(stored.find((row) => row.name === name)).toMatchObject({ value: String(after), updated_by: site.admin.member.id });
      const rows = await site.t.db.selectFrom('audit_events').select(['actor_member_id', 'ip_address', 'target_type', 'target_id', 'details']).where('action', '=', 'setting.changed').where('target_id', '=', name).orderBy('id', 'desc').executeTakeFirstOrThrow();
      const environment = name === 'RATE_LIMIT_SIGNUPS_PER_HOUR' ? 'environment' : 'default';
      expect(rows).toEqual({ actor_member_id: site.admin.member.id, ip_address: '127.0.0.1', target_type: 'setting', target_id: name, details: { name, before: { value: before, source: environment }, after: { value: after, source: 'changed' } } });
    }
    const page = await site.admin.browser.get('/admin/settings');
    expect(page.body).toContain(escapeLikeHandlebars(M.settingsSaved(Object.keys(changes).map((name) => SITE_SETTINGS[name as keyof typeof SITE_SETTINGS].label))));
    const [first] = Object.keys(changes);
    expect(page.body).toContain(`id="source-${first}">Now: changed here by ${escapeLikeHandlebars(site.admin.member.displayName)}, <time`);
    const source = page.body.slice(page.body.indexOf(`id="source-${first}"`));
    expect(source.slice(0, source.indexOf('</p>'))).toMatch(new RegExp(`<button type="submit" form="reset-setting" name="name" value="${first}" class="post__button">Reset to the (default|environment’s value)<span class="visually-hidden"> \\(`));
  });

  it('takes effect at once: one flag hides a post at a threshold of 1', async () => {
    await resetAll();
    expect((await save({ FLAG_HIDE_THRESHOLD: '1' })).statusCode).toBe(303);
    const author = await memberWithBrowser(site.t.app, site.t.db);
    const flagger = await memberWithBrowser(site.t.app, site.t.db);
    const threadId = await startThread(author.browser, 'questions', { title: 'A thread to flag once', body: 'Hello.' });
    const replyId = postIdFrom((await postReply(author.browser, threadId, { body: 'A reply to flag.' })).headers.location);
    const hidden = await flagger.browser.openForm(`/p/${replyId}/flag`);
    expect((await flagger.browser.post(`/p/${replyId}/flag`, { ...hidden, reason: 'spam', note: '' })).statusCode).toBe(303);
    const post = await site.t.db.selectFrom('posts').select('hidden_at').where('id', '=', replyId).executeTakeFirstOrThrow();
    expect(post.hidden_at).not.toBeNull();
  });

  it('takes effect at once: a sign-up limit of 1 an hour refuses the second sign-up from one address, and reset lifts it', async () => {
    await resetAll();
    expect((await save({ RATE_LIMIT_SIGNUPS_PER_HOUR: '1' })).statusCode).toBe(303);
    const visitor = new Browser(site.t.app);
    const statuses = [];
    for (const email of ['first@finance.gov.au', 'second@finance.gov.au']) statuses.push((await askToJoin(site.t.app, email, visitor)).statusCode);
    await resetAll();
    statuses.push((await askToJoin(site.t.app, 'third@finance.gov.au', visitor)).statusCode);
    expect(statuses).toEqual([200, 429, 200]);
  });

  it('takes effect at once: the beta banner goes, the operator is named and the time zone changes, and reset brings them back', async () => {
    await resetAll();
    const visitor = new Browser(site.t.app);
    expect((await visitor.get('/login')).body).toContain(BANNER);
    expect((await save({ PHASE_BANNER: 'false', OPERATOR_NAME: 'Office of Settings', TIME_ZONE: 'Australia/Perth' })).statusCode).toBe(303);
    const signin = await visitor.get('/login');
    expect(signin.body).not.toContain(BANNER);
    expect(signin.body).toContain('Office of Settings');
    expect((await site.admin.browser.get('/settings')).body).toContain(escapeLikeHandlebars(AUTH_MESSAGES.siteTimeZone('Australia/Perth')));

    const back = await reset('PHASE_BANNER');
    expect(back.statusCode).toBe(303);
    expect(await latestAudit(site.t.db, 'setting.changed')).toMatchObject({ target_id: 'PHASE_BANNER', details: { name: 'PHASE_BANNER', before: { value: false, source: 'changed' }, after: { value: true, source: 'default' } } });
    expect((await visitor.get('/login')).body).toContain(BANNER);
    expect((await site.admin.browser.get('/admin/settings')).body).toContain(escapeLikeHandlebars(M.settingReset(SITE_SETTINGS.PHASE_BANNER.label, 'the default')));
    expect((await overrides()).map((row) => row.name)).toEqual(['OPERATOR_NAME', 'TIME_ZONE']);
  });

  it('writes nothing for a value already in force, and once for a form sent twice or twice at once', async () => {
    await resetAll();
    const before = await auditCount();
    expect((await save({ FLAG_HIDE_THRESHOLD: '3', PHASE_BANNER: 'true' })).statusCode).toBe(303);
    expect(await overrides()).toEqual([]);
    expect((await site.admin.browser.get('/admin/settings')).body).toContain(escapeLikeHandlebars(M.settingsUnchanged));
    expect((await save({ FLAG_HIDE_THRESHOLD: '4' })).statusCode).toBe(303);
    expect((await save({ FLAG_HIDE_THRESHOLD: '4' })).statusCode).toBe(303);
    const both = await Promise.all([save({ NEW_MEMBER_DAYS: '9' }), save({ NEW_MEMBER_DAYS: '9' })]);
    expect(both.map((response) => response.statusCode)).toEqual([303, 303]);
    expect(await auditCount()).toBe(before + 2);
    expect(await overrides()).toHaveLength(2);
  });

  const label = (name: keyof typeof SITE_SETTINGS) => SITE_SETTINGS[name].label;
  it.each([
    ['zero flags', { FLAG_HIDE_THRESHOLD: '0' }, `${label('FLAG_HIDE_THRESHOLD')}: must be at least 1`],
    ['too many flags', { FLAG_HIDE_THRESHOLD: '1001' }, `${label('FLAG_HIDE_THRESHOLD')}: must be at most 1000`],
    ['letters for a number', { RATE_LIMIT_POSTS_PER_HOUR: 'abc' }, `${label('RATE_LIMIT_POSTS_PER_HOUR')}: must be a whole number`],
    ['a fraction', { NEW_MEMBER_DAYS: '1.5' }, `${label('NEW_MEMBER_DAYS')}: must be a whole number`],
    ['a negative number', { FIRST_POSTS_HELD: '-1' }, `${label('FIRST_POSTS_HELD')}: must be 0 or more`],
    ['an empty number', { FIRST_POSTS_HELD: '' }, `${label('FIRST_POSTS_HELD')}: ${M.settingMissing}`],
    ['neither yes nor no', { PHASE_BANNER: 'maybe' }, `${label('PHASE_BANNER')}: must be true or false`],
    ['an operator of 121 characters', { OPERATOR_NAME: 'A'.repeat(121) }, `${label('OPERATOR_NAME')}: must be at most 120 characters`],
    ['a value past what is stored', { OPERATOR_NAME: 'A'.repeat(1001) }, `${label('OPERATOR_NAME')}: ${M.settingTooLong(1000)}`],
    ['an operator on two lines', { OPERATOR_NAME: 'Office\nof Lines' }, `${label('OPERATOR_NAME')}: must be on one line`],
    ['a NUL', { OPERATOR_NAME: 'Office\u0000' }, `${label('OPERATOR_NAME')}: ${M.settingNotText}`],
    ['an unknown time zone', { TIME_ZONE: 'Mars/Olympus_Mons' }, `${label('TIME_ZONE')}: must be a time zone name`],
    ['a value given twice', { FLAG_HIDE_THRESHOLD: ['2', '4'] }, `${label('FLAG_HIDE_THRESHOLD')}: ${M.settingGivenTwice}`],
    ['a setting kept in the environment', { LOG_LEVEL: 'debug' }, PAGE_MESSAGES.unexpectedField],
    ['an unknown setting', { NOT_A_SETTING: '1', FLAG_HIDE_THRESHOLD: '2' }, PAGE_MESSAGES.unexpectedField],
    ['no setting at all', {}, M.noSettingsGiven],
  ])('refuses %s with 422 and the message beside the field, writing nothing', async (_case, fields, message) => {
    await resetAll();
    const response = await refusedWritingNothing(site.t.db, () => save(fields), 422, message);
    const [name] = Object.keys(fields);
    if (name && name in SITE_SETTINGS && message.startsWith(`${label(name as keyof typeof SITE_SETTINGS)}:`)) expect(response.body).toContain(`id="error-${name}"`);
  });

  it('refuses a whole form when one value is bad, keeping what was typed', async () => {
    await resetAll();
    const response = await refusedWritingNothing(site.t.db, () => save({ FLAG_HIDE_THRESHOLD: '2', NEW_MEMBER_DAYS: '400' }), 422, `${label('NEW_MEMBER_DAYS')}: must be at most 365`);
    expect(response.body).toMatch(/name="FLAG_HIDE_THRESHOLD"[^>]*value="2"/);
    expect(response.body).toMatch(/name="NEW_MEMBER_DAYS"[^>]*value="400" aria-invalid="true"/);
  });

  it('refuses a form without its token, a member, a moderator and a visitor, writing nothing', async () => {
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post('/admin/settings', { FLAG_HIDE_THRESHOLD: '1' }), 403);
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post('/admin/settings/reset', { name: 'FLAG_HIDE_THRESHOLD' }), 403);
    for (const role of ['member', 'moderator'] as const) {
      const { browser } = await memberWithBrowser(site.t.app, site.t.db, { role });
      const token = (await browser.openForm('/settings'))._csrf!;
      expect((await browser.get('/admin/settings')).statusCode).toBe(403);
      await refusedWritingNothing(site.t.db, () => save({ FLAG_HIDE_THRESHOLD: '1' }, browser, token), 403);
      await refusedWritingNothing(site.t.db, () => reset('FLAG_HIDE_THRESHOLD', browser, token), 403);
    }
    const visitor = new Browser(site.t.app);
    const visitorToken = (await visitor.openForm('/login'))._csrf!;
    await refusedWritingNothing(site.t.db, () => save({ FLAG_HIDE_THRESHOLD: '1' }, visitor, visitorToken), 403);
  });
});

describe('POST /admin/settings/reset', () => {
  it('goes back to the value set in the environment, recorded', async () => {
    await resetAll();
    expect((await save({ RATE_LIMIT_SIGNUPS_PER_HOUR: '50' })).statusCode).toBe(303);
    expect((await reset('RATE_LIMIT_SIGNUPS_PER_HOUR')).statusCode).toBe(303);
    expect(await overrides()).toEqual([]);
    expect(await latestAudit(site.t.db, 'setting.changed')).toMatchObject({ target_id: 'RATE_LIMIT_SIGNUPS_PER_HOUR', details: { before: { value: 50, source: 'changed' }, after: { value: 100000, source: 'environment' } } });
  });

  it('writes nothing for a setting not changed here, and refuses an unknown or environment-only name', async () => {
    await resetAll();
    const response = await refusedWritingNothing(site.t.db, () => reset('FLAG_HIDE_THRESHOLD'), 303);
    expect((await site.admin.browser.get(String(response.headers.location))).body).toContain(escapeLikeHandlebars(M.settingNotChanged(SITE_SETTINGS.FLAG_HIDE_THRESHOLD.label)));
    for (const name of ['LOG_LEVEL', 'SESSION_SECRET', 'NOT_A_SETTING', '']) await refusedWritingNothing(site.t.db, () => reset(name), 422, M.settingNotEditable);
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post('/admin/settings/reset', { _csrf: site.csrf, name: 'FLAG_HIDE_THRESHOLD', value: '1' }), 422, PAGE_MESSAGES.unexpectedField);
  });
});

describe('another instance', () => {
  // One that cannot hear (the embedded database, a lost listening connection) reads again within five seconds.
  it('applies a change made on another instance it did not hear of within five seconds', async () => {
    await resetAll();
    const clock = new TestClock();
    const other = await buildTestApp({ database: site.t.database, now: clock.now });
    try {
      const visitor = new Browser(other.app);
      expect((await visitor.get('/login')).body).toContain(BANNER);
      expect((await save({ PHASE_BANNER: 'false' })).statusCode).toBe(303);
      expect((await visitor.get('/login')).body).toContain(BANNER);
      clock.advance(5_000);
      expect((await visitor.get('/login')).body).not.toContain(BANNER);
    } finally {
      await other.close();
      await resetAll();
    }
  });
});
