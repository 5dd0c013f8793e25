import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { parseRuleEntry } from './email-domain.js';
import { findSetting, upsertSetting } from './queries.js';

const SEEDED = 'domain_rules.seeded';

/**
 * The first start turns ALLOWED_EMAIL_DOMAINS into allow rules, once: the fact is remembered,
 * so an administrator who later deletes a rule does not see it come back at the next restart.
 */
export async function seedDomainRulesOnce(db: Kysely<DB>, domains: string[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Two instances starting together: the second waits here, then finds the fact recorded.
    await trx.selectFrom('site_settings').select('key').where('key', '=', SEEDED).forUpdate().execute();
    if ((await findSetting(trx, SEEDED)) !== undefined) return;
    const seeded: string[] = [];
    for (const entry of domains) {
      const rule = parseRuleEntry(entry);
      if (!rule.ok) throw new Error(`ALLOWED_EMAIL_DOMAINS: "${entry}": ${rule.reason}`);
      await trx
        .insertInto('domain_rules')
        .values({ domain: rule.domain, effect: 'allow', admits_own_domain: rule.admitsOwnDomain, note: 'from ALLOWED_EMAIL_DOMAINS at first start' }).onConflict((oc) => oc.columns(['domain', 'effect']).doNothing()).execute();
      seeded.push(rule.domain);
    }
    await upsertSetting(trx, SEEDED, { at: new Date().toISOString(), domains: seeded });
    await insertAuditEvent(trx, { actorLabel: 'system', action: 'domain_rule.seeded', details: { domains: seeded } });
  });
}
