import { randomInt } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Role } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { GUIDELINES } from '../pages/guidelines.js';
import { checkPassword } from '../auth/password-policy.js';
import type { Actor } from './actor.js';
import type { Jurisdiction } from './schemas.js';

/**
 * Demo data for `npm run seed` (development only): agencies with allow rules under services.example,
 * the domain the project uses in its examples, and members there with fresh random passwords.
 * Idempotent: what exists is left alone, so running it again adds only what is missing.
 */

const NOTE = 'demo data from npm run seed';

export const DEMO_AGENCIES: ReadonlyArray<{ name: string; jurisdiction: Jurisdiction; domain: string }> = [
  { name: 'Department of Example Services', jurisdiction: 'commonwealth', domain: 'services.example' },
  { name: 'Example State Health', jurisdiction: 'state', domain: 'health.services.example' },
  { name: 'Example Shire Council', jurisdiction: 'local', domain: 'council.services.example' },
];

export const DEMO_MEMBERS: ReadonlyArray<{ email: string; displayName: string; handle: string; jobTitle: string; role: Role; bio: string }> = [
  {
    email: 'priya.raman@services.example',
    displayName: 'Priya Raman',
    handle: 'priya_raman',
    jobTitle: 'Director, Digital Engagement',
    role: 'administrator',
    bio: 'Runs the online engagement team. Happy to talk governance, approvals and how to get a pilot past risk.',
  },
  {
    email: 'tom.nguyen@health.services.example',
    displayName: 'Tom Nguyen',
    handle: 'tom_nguyen',
    jobTitle: 'Senior Communications Adviser',
    role: 'moderator',
    bio: 'Public health campaigns and the social media policy that goes with them.',
  },
  {
    email: 'sam.oconnor@services.example',
    displayName: "Sam O'Connor",
    handle: 'sam_oconnor',
    jobTitle: 'Policy Officer, Service Design',
    role: 'member',
    bio: 'Service design and user research. Collecting case studies of agencies asking the public before they build.',
  },
  {
    email: 'mei.chen@council.services.example',
    displayName: 'Mei Chen',
    handle: 'mei_chen',
    jobTitle: 'Community Engagement Officer',
    role: 'member',
    bio: 'Consultations, community panels and the occasional very long Facebook thread about bin collection.',
  },
  // Two specialists the demo forum's records and accessibility threads turn to.
  {
    email: 'daniel.okafor@services.example',
    displayName: 'Daniel Okafor',
    handle: 'daniel_okafor',
    jobTitle: 'Information and Records Manager',
    role: 'member',
    bio: 'Records authorities, capture tools and what to keep when a platform changes. Ask me what counts as the record.',
  },
  {
    email: 'leah.fitzgerald@health.services.example',
    displayName: 'Leah Fitzgerald',
    handle: 'leah_fitzgerald',
    jobTitle: 'Digital Accessibility Adviser',
    role: 'member',
    bio: 'Captions, transcripts, audio description and alt text, and making them part of the plan rather than the last step.',
  },
];

export interface SeedReport {
  agenciesAdded: string[];
  rulesAdded: string[];
  /** New members with the only copy of their password. */
  membersAdded: Array<{ email: string; role: Role; password: string }>;
  /** Demo addresses (or handles) that already existed: left alone, password not shown. */
  membersSkipped: string[];
}

export async function seedDemoData(deps: Pick<Deps, 'db' | 'hasher'>, actor: Actor): Promise<SeedReport> {
  const taken = await deps.db
    .selectFrom('members')
    .select(['canonical_email', 'handle'])
    .where((eb) => eb.or([eb('canonical_email', 'in', DEMO_MEMBERS.map((m) => m.email)), eb(sql`lower(handle)`, 'in', DEMO_MEMBERS.map((m) => m.handle))]))
    .execute();
  const isTaken = (m: (typeof DEMO_MEMBERS)[number]) => taken.some((row) => row.canonical_email === m.email || row.handle.toLowerCase() === m.handle);
  const fresh = DEMO_MEMBERS.filter((m) => !isTaken(m));
  // Hashing takes a while at production settings: done before the transaction, not inside it.
  const withPasswords = await Promise.all(
    fresh.map(async (member) => {
      const password = generatePassword(member);
      return { ...member, password, passwordHash: await deps.hasher.hash(password) };
    }),
  );

  return inTransaction(deps.db, async (trx) => {
    const report: SeedReport = { agenciesAdded: [], rulesAdded: [], membersAdded: [], membersSkipped: DEMO_MEMBERS.filter(isTaken).map((m) => m.email) };
    const agencyIds = new Map<string, number>();
    for (const agency of DEMO_AGENCIES) {
      agencyIds.set(agency.domain, await ensureAgency(trx, agency, actor, report));
      await ensureAllowRule(trx, agency.domain, agencyIds.get(agency.domain)!, actor, report);
    }
    for (const member of withPasswords) {
      const domain = member.email.slice(member.email.indexOf('@') + 1);
      const created = await trx
        .insertInto('members')
        .values({
          email: member.email,
          canonical_email: member.email,
          display_name: member.displayName,
          handle: member.handle,
          job_title: member.jobTitle,
          bio: member.bio,
          password_hash: member.passwordHash,
          role: member.role,
          agency_id: agencyIds.get(domain) ?? null,
          guidelines_version: GUIDELINES.version,
          guidelines_accepted_at: sql`now()`,
          verified_at: sql`now()`,
        })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!created) {
        report.membersSkipped.push(member.email);
        continue;
      }
      await insertAuditEvent(trx, { ...actor, action: 'member.seeded', targetType: 'member', targetId: created.id, details: { role: member.role, agencyId: agencyIds.get(domain) ?? null } });
      if (member.role !== 'member') await insertAuditEvent(trx, { ...actor, action: 'role.granted', targetType: 'member', targetId: created.id, details: { from: 'member', to: member.role } });
      report.membersAdded.push({ email: member.email, role: member.role, password: member.password });
    }
    return report;
  });
}

async function ensureAgency(trx: Transaction<DB>, agency: (typeof DEMO_AGENCIES)[number], actor: Actor, report: SeedReport): Promise<number> {
  const created = await trx
    .insertInto('agencies')
    .values({ name: agency.name, jurisdiction: agency.jurisdiction })
    .onConflict((oc) => oc.expression(sql`lower(name)`).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!created) {
    const existing = await trx.selectFrom('agencies').select('id').where(sql<boolean>`lower(name) = lower(${agency.name})`).executeTakeFirstOrThrow();
    return existing.id;
  }
  await insertAuditEvent(trx, { ...actor, action: 'agency.added', targetType: 'agency', targetId: created.id, details: { name: agency.name, jurisdiction: agency.jurisdiction } });
  report.agenciesAdded.push(agency.name);
  return created.id;
}

async function ensureAllowRule(trx: Transaction<DB>, domain: string, agencyId: number, actor: Actor, report: SeedReport): Promise<void> {
  const created = await trx
    .insertInto('domain_rules')
    .values({ domain, effect: 'allow', agency_id: agencyId, note: NOTE, admits_own_domain: true })
    .onConflict((oc) => oc.columns(['domain', 'effect']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!created) return;
  await insertAuditEvent(trx, { ...actor, action: 'domain_rule.added', targetType: 'domain_rule', targetId: created.id, details: { domain, effect: 'allow', agencyId, note: NOTE } });
  report.rulesAdded.push(domain);
}

// Plain, unrelated words: four of them picked at random, plus two digits, make ~33 bits from a
// strong generator; plenty for a demo account, and easy to type from the printed table.
const WORDS =
  'anchor basalt beacon bramble canopy cinder cobalt copper dingo ember fennel fjord garnet gecko granite harbour hazel heron jasper juniper kelp kettle lantern ledger lichen magpie mallee meadow nectar nickel nutmeg orbit paddock pebble pelican quarry quokka quill raven reef saffron sandstone sorrel spinifex tandem thistle timber topaz tundra umber velvet violet wattle willow wombat yarrow zephyr bilby cassowary drover estuary galah ironbark kookaburra lagoon lyrebird mangrove numbat outback platypus rosella tussock wallaby wetland'.split(
    ' ',
  );

/** A random password that meets the password rules for this member (checked, not assumed). */
export function generatePassword(member: { email: string; displayName: string; handle: string }): string {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const words = Array.from({ length: 4 }, () => WORDS[randomInt(WORDS.length)]!);
    const candidate = `${words.join('-')}-${randomInt(10, 100)}`;
    if (checkPassword(candidate, member).ok) return candidate;
  }
  throw new Error('could not generate a password that meets the rules; check the word list');
}
