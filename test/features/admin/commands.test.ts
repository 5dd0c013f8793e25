import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.js';
import { lockDataDir } from '../../../src/db/data-dir.js';
import { DEMO_MEMBERS, generatePassword, seedDemoData } from '../../../src/features/admin/demo-data.js';
import { DEMO_THREADS } from '../../../src/features/admin/demo-forum-content.js';
import { ADMIN_MESSAGES as M } from '../../../src/features/admin/messages.js';
import { COORDINATOR_MESSAGES } from '../../../src/features/coordinators/messages.js';
import { decideDomain } from '../../../src/features/auth/email-domain.js';
import { PasswordHasher } from '../../../src/features/auth/password-hashing.js';
import { checkPassword } from '../../../src/features/auth/password-policy.js';
import { listDomainRules } from '../../../src/features/auth/queries.js';
import { Browser, buildTestApp } from '../../support/app.js';
import { createTestDatabase } from '../../support/database.js';
import { signIn } from '../../support/members.js';
import { runNode } from '../../support/process.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const cheapHasher = new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
const CHEAP_HASH_ENV = { PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_TIME_COST: '1' };

const tempDataDir = useTempDirs('admin');

describe('seedDemoData', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database.close());

  it('adds agencies, allow rules under services.example and six members whose printed passwords meet the rules and sign in', async () => {
    const report = await seedDemoData({ db: database.db, hasher: cheapHasher }, { actorLabel: 'seed' });
    expect(report.agenciesAdded).toEqual(['Department of Example Services', 'Example State Health', 'Example Shire Council']);
    expect(report.rulesAdded).toEqual(['services.example', 'health.services.example', 'council.services.example']);
    expect(report.membersAdded.map((m) => [m.email, m.role])).toEqual(DEMO_MEMBERS.map((m) => [m.email, m.role]));
    expect(report.membersAdded.map((m) => m.role).sort()).toEqual(['administrator', 'member', 'member', 'member', 'member', 'moderator']);

    const rules = await listDomainRules(database.db);
    for (const added of report.membersAdded) {
      const demo = DEMO_MEMBERS.find((m) => m.email === added.email)!;
      expect(checkPassword(added.password, demo)).toMatchObject({ ok: true });
      const row = await database.db.selectFrom('members').select(['password_hash', 'agency_id', 'role', 'verified_at']).where('canonical_email', '=', added.email).executeTakeFirstOrThrow();
      expect(await cheapHasher.verify(row.password_hash, added.password)).toBe(true);
      const decision = decideDomain(added.email.split('@')[1]!, rules);
      expect(decision.allowed && decision.rule.agencyId).toBe(row.agency_id);
    }
    const audit = await database.db.selectFrom('audit_events').select(['action', 'actor_label']).where('actor_label', '=', 'seed').execute();
    expect(audit.filter((row) => row.action === 'member.seeded')).toHaveLength(DEMO_MEMBERS.length);
    expect(audit.filter((row) => row.action === 'role.granted')).toHaveLength(2);

    const t = await buildTestApp({ database });
    try {
      const administrator = report.membersAdded.find((m) => m.role === 'administrator')!;
      const response = await signIn(new Browser(t.app), administrator.email, administrator.password);
      expect(response.statusCode).toBe(303);
      expect(response.headers.location).toBe('/');
    } finally {
      await t.close();
    }
  });

  it('adds nothing the second time and shows no passwords for members that exist', async () => {
    const hashesBefore = await database.db.selectFrom('members').select('password_hash').orderBy('id').execute();
    const report = await seedDemoData({ db: database.db, hasher: cheapHasher }, { actorLabel: 'seed' });
    expect(report).toEqual({ agenciesAdded: [], rulesAdded: [], membersAdded: [], membersSkipped: DEMO_MEMBERS.map((m) => m.email) });
    expect(await database.db.selectFrom('members').select('password_hash').orderBy('id').execute()).toEqual(hashesBefore);
  });

  it('makes a different password every time', () => {
    const passwords = new Set(Array.from({ length: 20 }, () => generatePassword(DEMO_MEMBERS[0]!)));
    expect(passwords.size).toBe(20);
  });
});

describe('npm run admin and npm run seed as processes', () => {
  it('admin refuses an unmigrated database; seed migrates and fills it once; admin then lists the rules and agencies', async () => {
    const dataDir = tempDataDir();
    const unmigrated = runNode('cli/admin.js', { DATA_DIR: dataDir }, ['rules']);
    expect(await unmigrated.exited).toBe(1);
    expect(unmigrated.output()).toContain('run npm run migrate');

    const seed = runNode('cli/seed.js', { DATA_DIR: dataDir, ...CHEAP_HASH_ENV });
    expect(await seed.exited).toBe(0);
    for (const member of DEMO_MEMBERS) expect(seed.output()).toMatch(new RegExp(`${member.email.replace(/\./g, '\\.')}\\s+${member.role}\\s+[a-z]+(-[a-z]+){3}-\\d{2}`));
    expect(seed.output()).toContain('shown this once');
    expect(seed.output()).toContain(`added the demo forum: ${DEMO_THREADS.length} threads and ${DEMO_THREADS.reduce((sum, thread) => sum + thread.replies.length, 0)} replies`);

    const again = runNode('cli/seed.js', { DATA_DIR: dataDir, ...CHEAP_HASH_ENV });
    expect(await again.exited).toBe(0);
    expect(again.output()).toContain('the demo members are already there');
    expect(again.output()).toContain('the demo forum is already there; nothing added');
    expect(again.output()).not.toMatch(/[a-z]+(-[a-z]+){3}-\d{2}/);

    const rules = runNode('cli/admin.js', { DATA_DIR: dataDir }, ['rules']);
    expect(await rules.exited).toBe(0);
    expect(rules.output()).toMatch(/^domain\s+effect\s+agency\s+note$/m);
    expect(rules.output()).toMatch(/^health\.services\.example\s+allow\s+Example State Health\s+demo data/m);

    const agencies = runNode('cli/admin.js', { DATA_DIR: dataDir }, ['agencies']);
    expect(await agencies.exited).toBe(0);
    // The demo library's seed gives the demo agencies a type.
    const listed = /^(\d+)\s+Department of Example Services\s+commonwealth\s+department\s+mapped\s+3$/m.exec(agencies.output());
    expect(listed, agencies.output()).not.toBeNull();

    const set = runNode('cli/admin.js', { DATA_DIR: dataDir }, ['agency-set', listed![1]!, '--type', 'Service delivery', '--jurisdiction', '']);
    expect(await set.exited).toBe(0);
    expect(set.output().trim()).toBe(`agency ${listed![1]} (Department of Example Services): jurisdiction not set, type service_delivery`);

    const admin = async (args: string[]) => {
      const run = runNode('cli/admin.js', { DATA_DIR: dataDir }, args);
      return { code: await run.exited, output: run.output().trim() };
    };
    // Checked as the /admin form checks them, before the database is opened.
    expect(await admin(['category-add', 'Workforce Planning', 'Workforce planning'])).toMatchObject({ code: 2, output: expect.stringContaining('not a category address') });
    expect(await admin(['category-add', 'workforce-planning', 'Workforce planning', '--visible', 'moderators'])).toMatchObject({ code: 2, output: expect.stringContaining(`--starters: ${M.startersMustSeeIt}`) });
    expect(await admin(['category-add', 'workforce-planning', 'Workforce\nplanning'])).toMatchObject({ code: 2, output: expect.stringContaining('NAME: ') });
    expect(await admin(['category-add', 'workforce-planning', 'Workforce planning', '--description', 'Who we will need, and how we find them.'])).toEqual({ code: 0, output: 'added the category "Workforce planning" at /c/workforce-planning, last in the list' });
    expect(await admin(['category-add', 'workforce-again', 'workforce PLANNING'])).toEqual({ code: 1, output: M.categoryNameTaken('workforce PLANNING') });
    const categoryCount = (await admin(['categories'])).output.match(/^\d+\s/gm)!.length;
    expect(await admin(['category-move', 'workforce-planning', '99'])).toEqual({ code: 1, output: M.positionBeyondList(categoryCount) });
    expect(await admin(['category-move', 'workforce-planning', '1'])).toEqual({ code: 0, output: 'moved "Workforce planning" to position 1' });
    expect(await admin(['category-change', 'workforce-planning', '--visible', 'moderators', '--starters', 'moderators'])).toEqual({ code: 0, output: 'changed /c/workforce-planning: name "Workforce planning", seen by moderators, threads started by moderators' });
    const listedCategories = await admin(['categories']);
    expect(listedCategories.output).toMatch(/^1\s+workforce-planning\s+Workforce planning\s+moderators\s+moderators\s+0$/m);
    const questions = new RegExp(`^\\d+\\s+questions\\s+Questions and answers\\s+members\\s+members\\s+(\\d+)$`, 'm').exec(listedCategories.output);
    expect(Number(questions?.[1])).toBeGreaterThan(0);
    expect(await admin(['category-remove', 'questions'])).toEqual({ code: 1, output: M.moveTargetNeeded(Number(questions![1])) });
    expect(await admin(['category-remove', 'no-such-category'])).toMatchObject({ code: 1, output: expect.stringContaining('No category has the address /c/no-such-category') });
    expect(await admin(['category-remove', 'workforce-planning'])).toEqual({ code: 0, output: 'removed the category "Workforce planning"' });
    const agencyId = listed![1]!;
    expect(await admin(['coordinator-appoint', agencyId, 'Sam.OConnor@Services.example'])).toEqual({ code: 0, output: `Sam O'Connor now coordinates agency ${agencyId} (Department of Example Services)` });
    expect(await admin(['coordinator-appoint', agencyId, 'sam.oconnor@services.example'])).toEqual({ code: 1, output: COORDINATOR_MESSAGES.alreadyCoordinates("Sam O'Connor", 'Department of Example Services') });
    expect(await admin(['coordinator-appoint', agencyId, 'mei.chen@council.services.example'])).toEqual({ code: 1, output: COORDINATOR_MESSAGES.notInAgency('Mei Chen', 'Department of Example Services') });
    expect((await admin(['coordinators', agencyId])).output).toMatch(/^sam\.oconnor@services\.example\s+Sam O'Connor\s+\S+\s+yes$/m);
    expect(await admin(['coordinator-remove', agencyId, 'sam.oconnor@services.example'])).toEqual({ code: 0, output: `Sam O'Connor no longer coordinates agency ${agencyId} (Department of Example Services)` });
  }, 240_000);

  it('admin refuses clearly while another process holds the data directory', async () => {
    const dataDir = tempDataDir();
    const unlock = lockDataDir(dataDir);
    try {
      const command = runNode('cli/admin.js', { DATA_DIR: dataDir }, ['rules']);
      expect(await command.exited).toBe(1);
      expect(command.output()).toContain(`Another Commons process (pid ${process.pid}) is using the data directory`);
    } finally {
      unlock();
    }
  });

  it('admin answers a wrong command line with the usage and exit code 2, without opening a database', async () => {
    const dataDir = path.join(tempDataDir(), 'never-made');
    const wrong: Array<[string[], string?]> = [
      [[]],
      [['grant', 'a@finance.gov.au', 'member']],
      [['rule-remove', 'x.gov.au', 'maybe']],
      [['revoke', 'a@b.gov.au', '--note', 'x']],
      [['agency-merge', '1', 'two']],
      [['coordinator-appoint', 'finance', 'a@finance.gov.au']],
      [['coordinator-remove', '1']],
      [['agency-set', '1'], 'agency-set needs --jurisdiction, --type or both'],
      [['agency-add', 'Somewhere', '--type', 'ministry'], M.unknownAgencyType],
      [['agency-set', '1', '--jurisdiction', 'federal'], M.unknownJurisdiction],
      [['agency-rename', '1', 'Somewhere', '--type', "x'; drop table agencies; --"], M.unknownAgencyType],
    ];
    for (const [args, message] of wrong) {
      const command = runNode('cli/admin.js', { DATA_DIR: dataDir }, args);
      expect(await command.exited, args.join(' ')).toBe(2);
      expect(command.output()).toContain('usage: npm run admin -- COMMAND');
      if (message) expect(command.output()).toContain(message);
    }
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('seed refuses in production before it connects to anything', async () => {
    const seed = runNode('cli/seed.js', {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://x@127.0.0.1:1/x',
      SMTP_URL: 'smtp://127.0.0.1:1',
      SESSION_SECRET: 's'.repeat(48),
      PUBLIC_URL: 'https://commons.example.gov.au',
    });
    expect(await seed.exited).toBe(1);
    expect(seed.output().trim()).toBe('npm run seed adds demo members and is for development only; refused because NODE_ENV=production');
  });
});
