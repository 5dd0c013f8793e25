import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import { pendingMigrations } from '../db/migrate.js';
import type { DB } from '../db/schema.js';
import type { Actor } from '../features/admin/actor.js';
import { addAgency, classifyAgency, mergeAgencies, renameAgency, type ClassificationInput, type UnmappedDomain } from '../features/admin/agencies.js';
import { addCategory, changeCategory, moveCategory, removeCategory, type CategorySettings } from '../features/admin/categories.js';
import { addDomainRule, changeDomainRule, listDomainRuleDetails, removeDomainRule, type DomainRuleListing } from '../features/admin/domain-rules.js';
import { deactivateMember, reactivateMember, setRole, type RoleChange } from '../features/admin/members.js';
import { findAgencyByReference, findDomainRuleId, findMemberIdByEmail, listAgencies, listCategoryListings } from '../features/admin/queries.js';
import { AgencyClassification, AgencyName, CategorySettingsInput, CategorySlug, RuleDomain, RuleNote, type RuleEffect } from '../features/admin/schemas.js';
import { parseWorkEmail } from '../features/auth/email-address.js';
import { appointCoordinator, removeCoordinator } from '../features/coordinators/appointments.js';
import { listCoordinators } from '../features/coordinators/queries.js';
import { Refused } from '../lib/errors.js';
import { runCommand } from './run.js';
import { formatTable } from './table.js';

/**
 * `npm run admin -- COMMAND …`: the operator's membership commands. Exit 0 when done, 1 when the
 * action is refused (one line saying why), 2 when the command line is wrong (with this usage).
 * Every change goes through the same services as the /admin pages, recorded in the audit log as
 * 'operator (npm run admin)'.
 */
const USAGE = `usage: npm run admin -- COMMAND …

members (EMAIL in any form: Jane.Citizen+x@Finance.gov.au finds jane.citizen@finance.gov.au)
  grant EMAIL moderator|administrator    give a member a staff role
  revoke EMAIL                           make a moderator or administrator a member again
  deactivate EMAIL                       stop a member signing in and end all their sessions
  reactivate EMAIL                       let a deactivated member sign in again

domain rules (which email domains may join, and the agency their members belong to)
  rules                                  list the rules
  rule-add DOMAIN allow|block [--agency NAME_OR_ID] [--note TEXT]
                                         finance.gov.au admits addresses at the domain and under
                                         it; *.gov.au only under it (jane@gov.au names no agency)
  rule-change DOMAIN allow|block [--agency NAME_OR_ID] [--note TEXT] [--own-domain yes|no]
                                         point the rule at another agency, rewrite its note or
                                         change --own-domain; --agency "" or --note "" clears it
  rule-remove DOMAIN allow|block         (members who joined under it keep their accounts)

agencies (a provisional agency is an email domain no administrator has mapped yet)
  agencies                               list agencies with their member counts
  agency-add NAME [--jurisdiction J] [--type T]
                                         J: commonwealth, state, territory or local
                                         T: department, regulator, service_delivery, council,
                                         statutory_body or other
  agency-rename ID NEW_NAME [--jurisdiction J] [--type T]
                                         rename an agency; maps a provisional one
  agency-set ID [--jurisdiction J] [--type T]
                                         set an agency's jurisdiction or type; "" makes it not set
  agency-merge FROM_ID INTO_ID           move FROM's members and rules to INTO, then delete FROM

categories (SLUG is the category's address, /c/SLUG; A is members or moderators)
  categories                             list categories in order, with who sees them and threads held
  category-add SLUG NAME [--description TEXT] [--visible A] [--starters A]
                                         add one at the end; by default members see it and start
                                         threads there (--starters members needs --visible members)
  category-change SLUG [--name NAME] [--description TEXT] [--visible A] [--starters A]
  category-move SLUG POSITION            move it to POSITION in the list (1 is first)
  category-remove SLUG [--move-to SLUG]  remove it; one that holds threads needs --move-to

agency coordinators (members who look after their own agency's list at /coordinator)
  coordinators AGENCY_ID                 list an agency's coordinators
  coordinator-appoint AGENCY_ID EMAIL    appoint an active member of the agency
  coordinator-remove AGENCY_ID EMAIL     end their appointment

  help                                   this text`;

// Who every change is recorded against in the audit log.
const OPERATOR: Actor = { actorLabel: 'operator (npm run admin)' };

/** What the command says in its own words; what the services refuse with is in features/admin/messages.ts. */
const CLI_MESSAGES = {
  invalidEmail: (input: string, reason: string) => `"${input}" is not a valid work email address: ${reason}`,
  unknownMember: (canonical: string) => `No member has the address ${canonical}`,
  invalidDomain: (input: string, reason: string) => `"${input}" is not a valid rule domain: ${reason}`,
  unknownRule: (domain: string, effect: string) => `There is no ${effect} rule for ${domain}; list the rules with: npm run admin -- rules`,
  unknownAgency: (reference: string) => `No agency has the id or name "${reference}"; list them with: npm run admin -- agencies`,
  unknownCategory: (slug: string) => `No category has the address /c/${slug}; list them with: npm run admin -- categories`,
  unmappedDomain: ({ domain, ruleExists }: UnmappedDomain, agencyId: number) =>
    `Members who join from ${domain} later still get a provisional agency of their own; to send them here, run: npm run admin -- ${ruleExists ? 'rule-change' : 'rule-add'} ${domain} allow --agency ${agencyId}`,
} as const;
const C = CLI_MESSAGES;

const OPTION_NAMES = ['agency', 'note', 'jurisdiction', 'type', 'own-domain', 'name', 'description', 'visible', 'starters', 'move-to'] as const;
type Options = Partial<Record<(typeof OPTION_NAMES)[number], string>>;
type Action = (db: Kysely<DB>, config: Config) => Promise<string>;

class UsageError extends Error {}

interface Spec {
  args: string[];
  options?: Array<keyof Options>;
  action(args: string[], options: Options): Action;
}

const COMMANDS: Record<string, Spec> = {
  grant: {
    args: ['EMAIL', 'ROLE'],
    action: ([email, role]) => {
      if (role !== 'moderator' && role !== 'administrator') throw new UsageError(`grant gives moderator or administrator, not "${role}" (use revoke to make someone a member)`);
      return async (db) => describeRoleChange(await setRole({ db }, await memberIdOf(db, email!), role, OPERATOR));
    },
  },
  revoke: { args: ['EMAIL'], action: ([email]) => async (db) => describeRoleChange(await setRole({ db }, await memberIdOf(db, email!), 'member', OPERATOR)) },
  deactivate: {
    args: ['EMAIL'],
    action: ([email]) => async (db) => {
      const done = await deactivateMember({ db }, await memberIdOf(db, email!), OPERATOR);
      return `deactivated ${done.canonicalEmail} and ended ${done.sessionsEnded} session(s)`;
    },
  },
  reactivate: { args: ['EMAIL'], action: ([email]) => async (db) => `reactivated ${(await reactivateMember({ db }, await memberIdOf(db, email!), OPERATOR)).canonicalEmail}` },
  rules: { args: [], action: () => listRules },
  'rule-add': {
    args: ['DOMAIN', 'EFFECT'],
    options: ['agency', 'note'],
    action: ([domain, effect], { agency, note }) => {
      const ruleEffect = toEffect(effect);
      return async (db) => {
        const input = { ...ruleDomainOf(domain!), effect: ruleEffect, agencyId: await agencyIdOf(db, agency), note: note === undefined ? null : noteOf(note) };
        const rule = await addDomainRule({ db }, input, OPERATOR);
        return `added: ${rule.effect} ${rule.domain}${rule.agencyName ? ` (agency: ${rule.agencyName})` : ''}${rule.effect === 'allow' ? `; ${describeOwnDomain(rule)}` : ''}`;
      };
    },
  },
  'rule-change': {
    args: ['DOMAIN', 'EFFECT'],
    options: ['agency', 'note', 'own-domain'],
    action: ([domain, effect], { agency, note, 'own-domain': ownDomain }) => {
      if (agency === undefined && note === undefined && ownDomain === undefined) throw new UsageError('rule-change needs --agency, --note or --own-domain');
      const ruleEffect = toEffect(effect);
      const admitsOwnDomain = toYesNo(ownDomain);
      return async (db) => {
        const id = await ruleIdOf(db, domain!, ruleEffect);
        const change = { agencyId: agency === undefined ? undefined : await agencyIdOf(db, agency), note: note === undefined ? undefined : noteOf(note), admitsOwnDomain };
        const { rule } = await changeDomainRule({ db }, id, change, OPERATOR);
        return `changed: ${rule.effect} ${rule.domain} (agency: ${rule.agencyName ?? 'none'}; note: ${rule.note ?? 'none'}; ${describeOwnDomain(rule)})`;
      };
    },
  },
  'rule-remove': {
    args: ['DOMAIN', 'EFFECT'],
    action: ([domain, effect]) => {
      const ruleEffect = toEffect(effect);
      return async (db) => {
        const removed = await removeDomainRule({ db }, await ruleIdOf(db, domain!, ruleEffect), OPERATOR);
        const warning = removed.allowRulesLeft === 0 ? '\nwarning: no allow rules are left, so nobody can join until you add one' : '';
        return `removed: ${removed.effect} ${removed.domain}${warning}`;
      };
    },
  },
  agencies: { args: [], action: () => listAgencyTable },
  'agency-add': {
    args: ['NAME'],
    options: ['jurisdiction', 'type'],
    action: ([name], options) => {
      const classification = toClassification(options);
      return async (db) => {
        const agency = await addAgency({ db }, { name: agencyNameOf(name!), ...classification }, OPERATOR);
        return `added agency ${agency.id}: ${agency.name}`;
      };
    },
  },
  'agency-rename': {
    args: ['ID', 'NEW_NAME'],
    options: ['jurisdiction', 'type'],
    action: ([id, name], options) => {
      const agencyId = toId(id);
      const classification = toClassification(options);
      return async (db) => {
        const renamed = await renameAgency({ db }, agencyId, { name: agencyNameOf(name!), ...classification }, OPERATOR);
        if (!renamed.changed) return `nothing changed: agency ${renamed.id} is already "${renamed.to}" with that jurisdiction and type`;
        return withHint(`renamed agency ${renamed.id}: "${renamed.from}" is now "${renamed.to}"${renamed.wasProvisional ? ' (no longer provisional)' : ''}`, renamed.unmappedDomain && C.unmappedDomain(renamed.unmappedDomain, renamed.id));
      };
    },
  },
  'agency-set': {
    args: ['ID'],
    options: ['jurisdiction', 'type'],
    action: ([id], options) => {
      const agencyId = toId(id);
      const classification = toClassification(options);
      if (classification.jurisdiction === undefined && classification.agency_type === undefined) throw new UsageError('agency-set needs --jurisdiction, --type or both');
      return async (db) => {
        const change = await classifyAgency({ db }, agencyId, classification, OPERATOR);
        if (!change) throw new Refused(C.unknownAgency(String(agencyId)));
        const now = `jurisdiction ${change.after.jurisdiction ?? 'not set'}, type ${change.after.agencyType ?? 'not set'}`;
        return change.changed ? `agency ${change.id} (${change.name}): ${now}` : `nothing changed: agency ${change.id} (${change.name}) already has ${now}`;
      };
    },
  },
  'agency-merge': {
    args: ['FROM_ID', 'INTO_ID'],
    action: ([from, into]) => {
      const [fromId, intoId] = [toId(from), toId(into)];
      return async (db) => {
        const merged = await mergeAgencies({ db }, fromId, intoId, OPERATOR);
        return withHint(
          `merged "${merged.from.name}" (${merged.from.id}) into "${merged.into.name}" (${merged.into.id}): ${merged.membersMoved} member(s) and ${merged.rulesMoved} rule(s) moved`,
          merged.unmappedDomain && C.unmappedDomain(merged.unmappedDomain, merged.into.id),
        );
      };
    },
  },
  categories: { args: [], action: () => listCategoryTable },
  'category-add': {
    args: ['SLUG', 'NAME'],
    options: ['description', 'visible', 'starters'],
    action: ([slug, name], { description, visible, starters }) => {
      const settings = categorySettingsOf({ name: name!, description: description ?? '', visible_to: visible ?? 'members', threads_started_by: starters ?? 'members' });
      const address = categorySlugOf(slug!);
      return async (db) => {
        const added = await addCategory({ db }, { ...settings, slug: address, formToken: randomUUID() }, OPERATOR);
        return `added the category "${added.name}" at /c/${address}, last in the list`;
      };
    },
  },
  'category-change': {
    args: ['SLUG'],
    options: ['name', 'description', 'visible', 'starters'],
    action: ([slug], options) => {
      if (Object.values(options).every((value) => value === undefined)) throw new UsageError('category-change needs --name, --description, --visible or --starters');
      const address = categorySlugOf(slug!);
      return async (db) => {
        const category = await categoryOf(db, address);
        const settings = categorySettingsOf({
          name: options.name ?? category.name,
          description: options.description ?? category.description,
          visible_to: options.visible ?? category.visibleTo,
          threads_started_by: options.starters ?? category.threadsStartedBy,
        });
        const changed = await changeCategory({ db }, category.id, settings, OPERATOR);
        return changed.changed ? `changed /c/${address}: ${describeCategory(settings)}` : `nothing changed: /c/${address} already has ${describeCategory(settings)}`;
      };
    },
  },
  'category-move': {
    args: ['SLUG', 'POSITION'],
    action: ([slug, position]) => {
      const address = categorySlugOf(slug!);
      if (!/^[1-9]\d{0,5}$/.test(position!)) throw new UsageError(`a position is a whole number from 1, not "${position}"`);
      return async (db) => {
        const moved = await moveCategory({ db }, (await categoryOf(db, address)).id, Number(position), OPERATOR);
        return moved.changed ? `moved "${moved.name}" to position ${moved.position}` : `nothing changed: "${moved.name}" is already at position ${moved.position}`;
      };
    },
  },
  'category-remove': {
    args: ['SLUG'],
    options: ['move-to'],
    action: ([slug], { 'move-to': moveTo }) => {
      const address = categorySlugOf(slug!);
      const target = moveTo === undefined ? undefined : categorySlugOf(moveTo);
      return async (db) => {
        const category = await categoryOf(db, address);
        const into = target === undefined ? null : (await categoryOf(db, target)).id;
        const removed = await removeCategory({ db }, category.id, into, OPERATOR);
        if (removed.alreadyRemoved) return `nothing changed: /c/${address} was already removed`;
        return removed.into === null ? `removed the category "${removed.name}"` : `removed the category "${removed.name}"; ${removed.threadsMoved} thread(s) moved to "${removed.into}"`;
      };
    },
  },
  coordinators: {
    args: ['AGENCY_ID'],
    action: ([id]) => {
      const agencyId = toId(id);
      return async (db) => {
        const coordinators = await listCoordinators(db, agencyId);
        if (coordinators.length === 0) return `agency ${agencyId} has no coordinator`;
        return formatTable([['EMAIL', 'NAME', 'APPOINTED', 'COORDINATING'], ...coordinators.map((c) => [c.canonicalEmail, c.displayName, c.appointedAt.toISOString(), c.coordinating ? 'yes' : 'no'])]);
      };
    },
  },
  'coordinator-appoint': {
    args: ['AGENCY_ID', 'EMAIL'],
    action: ([id, email]) => {
      const agencyId = toId(id);
      return async (db) => {
        const appointed = await appointCoordinator({ db }, agencyId, await memberIdOf(db, email!), OPERATOR);
        return `${appointed.displayName} now coordinates agency ${appointed.agencyId} (${appointed.agencyName})`;
      };
    },
  },
  'coordinator-remove': {
    args: ['AGENCY_ID', 'EMAIL'],
    action: ([id, email]) => {
      const agencyId = toId(id);
      return async (db) => {
        const removed = await removeCoordinator({ db }, agencyId, await memberIdOf(db, email!), OPERATOR);
        return `${removed.displayName} no longer coordinates agency ${removed.agencyId} (${removed.agencyName})`;
      };
    },
  },
};

/**
 * The command line as an action to run, or a UsageError. Everything that can be checked without
 * the database is checked here, eagerly, so a typo never waits for (or locks) the data directory.
 */
function parseCommandLine(argv: string[]): Action {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(OPTION_NAMES.map((option) => [option, { type: 'string' as const }])),
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const [name, ...args] = parsed.positionals;
  if (name === undefined) throw new UsageError('');
  const spec = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!spec) throw new UsageError(`unknown command: ${name}`);
  if (args.length !== spec.args.length) throw new UsageError(`${name} takes ${spec.args.length === 0 ? 'no arguments' : spec.args.join(' ')}`);
  const given = Object.keys(parsed.values) as Array<keyof Options>;
  const stray = given.find((option) => !spec.options?.includes(option));
  if (stray) throw new UsageError(`${name} takes no --${stray}`);
  return spec.action(args, parsed.values);
}

async function listRules(db: Kysely<DB>): Promise<string> {
  const rules = await listDomainRuleDetails(db);
  if (rules.length === 0) return 'no domain rules: nobody can join until one allows a domain (Commons adds ALLOWED_EMAIL_DOMAINS, gov.au by default, when it first starts)';
  // `*.gov.au`: a rule that admits addresses under its domain but not at it.
  const shown = (rule: DomainRuleListing) => (rule.effect === 'allow' && !rule.admitsOwnDomain ? `*.${rule.domain}` : rule.domain);
  return `${formatTable([['domain', 'effect', 'agency', 'note'], ...rules.map((rule) => [shown(rule), rule.effect, rule.agencyName ?? '—', rule.note ?? ''])])}\n(*.DOMAIN: addresses under DOMAIN may join, not those at DOMAIN itself)`;
}

async function listAgencyTable(db: Kysely<DB>): Promise<string> {
  const agencies = await listAgencies(db);
  if (agencies.length === 0) return 'no agencies yet';
  return formatTable([
    ['id', 'name', 'jurisdiction', 'type', 'status', 'members'],
    ...agencies.map((agency) => [String(agency.id), agency.name, agency.jurisdiction ?? '—', agency.agencyType ?? '—', agency.provisional ? 'provisional' : 'mapped', String(agency.members)]),
  ]);
}

async function listCategoryTable(db: Kysely<DB>): Promise<string> {
  const categories = await listCategoryListings(db);
  if (categories.length === 0) return 'no categories yet';
  return formatTable([
    ['position', 'slug', 'name', 'seen by', 'threads started by', 'threads'],
    ...categories.map((category) => [String(category.position), category.slug, category.name, category.visibleTo, category.threadsStartedBy, String(category.threadsHeld)]),
  ]);
}

function describeCategory(settings: CategorySettings): string {
  return `name "${settings.name}", seen by ${settings.visibleTo}, threads started by ${settings.threadsStartedBy}`;
}

function describeRoleChange(change: RoleChange): string {
  return `${change.canonicalEmail}: ${change.from} → ${change.to} (their sessions get the ${change.to === 'member' ? 'member' : 'staff'} time limits at their next request)`;
}

function describeOwnDomain(rule: { domain: string; admitsOwnDomain: boolean }): string {
  return rule.admitsOwnDomain ? `addresses at ${rule.domain} itself are admitted too` : `addresses at ${rule.domain} itself are not admitted (--own-domain yes admits them)`;
}

/** --jurisdiction and --type, read by the schema the /admin form uses. */
function toClassification({ jurisdiction, type }: Options): ClassificationInput {
  const parsed = AgencyClassification.partial().safeParse({ jurisdiction, agency_type: type });
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]!.message);
  return parsed.data;
}

function toYesNo(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== 'yes' && value !== 'no') throw new UsageError(`--own-domain is yes or no, not "${value}"`);
  return value === 'yes';
}

function withHint(line: string, hint: string | undefined): string {
  return hint ? `${line}\nnote: ${hint}` : line;
}

async function memberIdOf(db: Kysely<DB>, email: string): Promise<number> {
  const parsed = parseWorkEmail(email);
  if (!parsed.ok) throw new Refused(C.invalidEmail(email, parsed.reason));
  const id = await findMemberIdByEmail(db, parsed.canonical);
  if (id === undefined) throw new Refused(C.unknownMember(parsed.canonical));
  return id;
}

function ruleDomainOf(input: string): { domain: string; admitsOwnDomain: boolean } {
  const parsed = RuleDomain.safeParse(input);
  if (!parsed.success) throw new Refused(C.invalidDomain(input, parsed.error.issues[0]!.message));
  return parsed.data;
}

async function ruleIdOf(db: Kysely<DB>, input: string, effect: RuleEffect): Promise<number> {
  const { domain } = ruleDomainOf(input);
  const id = await findDomainRuleId(db, domain, effect);
  if (id === undefined) throw new Refused(C.unknownRule(domain, effect));
  return id;
}

/** --agency NAME_OR_ID; "" is no agency. */
async function agencyIdOf(db: Kysely<DB>, reference: string | undefined): Promise<number | null> {
  if (reference === undefined || reference.trim() === '') return null;
  const agency = await findAgencyByReference(db, reference);
  if (!agency) throw new Refused(C.unknownAgency(reference));
  return agency.id;
}

function noteOf(input: string): string | null {
  const parsed = RuleNote.safeParse(input);
  if (!parsed.success) throw new Refused(parsed.error.issues[0]!.message);
  return parsed.data;
}

function categorySlugOf(input: string): string {
  const parsed = CategorySlug.safeParse(input);
  if (!parsed.success) throw new UsageError(`not a category address: "${input}" (${parsed.error.issues[0]!.message})`);
  return parsed.data;
}

type CategoryField = 'name' | 'description' | 'visible_to' | 'threads_started_by';

/** The settings as the /admin form checks them; a refusal names the option it is about. */
function categorySettingsOf(input: Record<CategoryField, string>): CategorySettings {
  const parsed = CategorySettingsInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const option = { name: 'NAME', description: '--description', visible_to: '--visible', threads_started_by: '--starters' }[String(issue.path[0]) as CategoryField];
    throw new UsageError(`${option}: ${issue.message}`);
  }
  return { name: parsed.data.name, description: parsed.data.description, visibleTo: parsed.data.visible_to, threadsStartedBy: parsed.data.threads_started_by };
}

async function categoryOf(db: Kysely<DB>, slug: string) {
  const category = (await listCategoryListings(db)).find((listed) => listed.slug === slug);
  if (!category) throw new Refused(C.unknownCategory(slug));
  return category;
}

function agencyNameOf(input: string): string {
  const parsed = AgencyName.safeParse(input);
  if (!parsed.success) throw new Refused(parsed.error.issues[0]!.message);
  return parsed.data;
}

function toEffect(value: string | undefined): RuleEffect {
  if (value !== 'allow' && value !== 'block') throw new UsageError(`a rule's effect is allow or block, not "${value}"`);
  return value;
}

function toId(value: string | undefined): number {
  if (!value || !/^\d{1,15}$/.test(value) || Number(value) < 1) throw new UsageError(`not an agency id: "${value}" (list them with: npm run admin -- agencies)`);
  return Number(value);
}

const argv = process.argv.slice(2);
let action: Action | undefined;
try {
  if (argv[0] === 'help' || argv.includes('--help') || argv.includes('-h')) console.log(USAGE);
  else action = parseCommandLine(argv);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(error.message ? `${error.message}\n\n${USAGE}` : USAGE);
  process.exitCode = 2;
}

if (action) {
  const run = action;
  await runCommand(async (database, config) => {
    const pending = await pendingMigrations(database.db);
    if (pending.length > 0) {
      console.error(`The database is not up to date (${pending.length} migration(s) pending): run npm run migrate, or start Commons once, first`);
      return 1;
    }
    try {
      console.log(await run(database.db, config));
      return 0;
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      console.error(error.message);
      return 1;
    }
  });
}
