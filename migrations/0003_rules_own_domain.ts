import { sql, type Kysely } from 'kysely';

/**
 * An allow rule admits addresses under its domain, and at the domain itself only when the rule
 * says so (`finance.gov.au` does; `*.gov.au` does not). Every existing rule keeps admitting its own
 * domain, as it did, but `gov.au`, the old default of ALLOWED_EMAIL_DOMAINS: it is a namespace,
 * not anyone's mail domain, and `jane@gov.au` names no agency.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('domain_rules').addColumn('admits_own_domain', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
  await sql`update domain_rules set admits_own_domain = (domain <> 'gov.au') where effect = 'allow'`.execute(db);
}
