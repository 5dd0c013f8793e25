import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.js';
import { seedDomainRulesOnce } from '../../../src/features/auth/domain-rules.js';
import * as ownDomainMigration from '../../../migrations/0003_rules_own_domain.js';
import { createTestDatabase } from '../../support/database.js';

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.close());

async function rules() {
  return database.db.selectFrom('domain_rules').select(['domain', 'effect']).orderBy('domain').execute();
}

describe('seedDomainRulesOnce', () => {
  it('turns ALLOWED_EMAIL_DOMAINS into allow rules on the first start only, so a deleted rule stays deleted', async () => {
    await seedDomainRulesOnce(database.db, ['gov.au', ' Example.GOV.AU ']);
    expect(await rules()).toEqual([
      { domain: 'example.gov.au', effect: 'allow' },
      { domain: 'gov.au', effect: 'allow' },
    ]);
    await database.db.deleteFrom('domain_rules').where('domain', '=', 'gov.au').execute();
    await seedDomainRulesOnce(database.db, ['gov.au', 'example.gov.au', 'other.gov.au']);
    expect(await rules()).toEqual([{ domain: 'example.gov.au', effect: 'allow' }]);
    const audit = await database.db.selectFrom('audit_events').select(['action', 'actor_label']).where('action', '=', 'domain_rule.seeded').execute();
    expect(audit).toEqual([{ action: 'domain_rule.seeded', actor_label: 'system' }]);
  });

  it('seeds *.DOMAIN as a rule for addresses under the domain only, and DOMAIN for addresses at it too', async () => {
    const fresh = await createTestDatabase();
    try {
      await seedDomainRulesOnce(fresh.db, ['*.gov.au', 'finance.gov.au']);
      expect(await fresh.db.selectFrom('domain_rules').select(['domain', 'admits_own_domain']).orderBy('domain').execute()).toEqual([
        { domain: 'finance.gov.au', admits_own_domain: true },
        { domain: 'gov.au', admits_own_domain: false },
      ]);
    } finally {
      await fresh.close();
    }
  });

  it('upgrades existing rules so each still admits its own domain, but the old default gov.au', async () => {
    const fresh = await createTestDatabase();
    try {
      await fresh.db.schema.alterTable('domain_rules').dropColumn('admits_own_domain').execute();
      await fresh.db.insertInto('domain_rules').values([{ domain: 'gov.au', effect: 'allow' }, { domain: 'finance.gov.au', effect: 'allow' }, { domain: 'nsw.gov.au', effect: 'block' }]).execute();
      await ownDomainMigration.up(fresh.db);
      expect(await fresh.db.selectFrom('domain_rules').select(['domain', 'effect', 'admits_own_domain']).orderBy('domain').execute()).toEqual([
        { domain: 'finance.gov.au', effect: 'allow', admits_own_domain: true },
        { domain: 'gov.au', effect: 'allow', admits_own_domain: false },
        { domain: 'nsw.gov.au', effect: 'block', admits_own_domain: false },
      ]);
    } finally {
      await fresh.close();
    }
  });

  it('refuses an entry that is not a domain, naming it', async () => {
    const fresh = await createTestDatabase();
    try {
      await expect(seedDomainRulesOnce(fresh.db, ['gov.au', 'xn--fnance-abc.gov.au', 'ｇov.au'])).rejects.toThrow(/ALLOWED_EMAIL_DOMAINS: "ｇov.au"/);
      expect(await fresh.db.selectFrom('domain_rules').select('domain').execute()).toEqual([]);
    } finally {
      await fresh.close();
    }
  });
});
