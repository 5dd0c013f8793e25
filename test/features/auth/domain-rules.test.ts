import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.js';
import { seedDomainRulesOnce } from '../../../src/features/auth/domain-rules.js';
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
