import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { NotFound } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { formValues, parseForm, parseParams, refusalAsFieldErrors, type FieldErrors } from '../../../lib/forms.js';
import { ButtonForm } from '../../auth/schemas.js';
import { redirectTo } from '../../../lib/next-path.js';
import { administratorOf } from '../actor.js';
import { addDomainRule, blockDomainRule, changeDomainRule, listDomainRuleDetails, listMembersNoLongerAdmitted, removeDomainRule } from '../domain-rules.js';
import { deactivateMembersNoLongerAdmitted } from '../members.js';
import { ADMIN_MESSAGES as M } from '../messages.js';
import { findDomainRule, listAgencyNames, type DomainRuleRow } from '../queries.js';
import { AdminItemParams, DeactivateMembersForm, DOMAIN_RULE_LIMITS, EditDomainRuleForm, MAX_MEMBERS_PER_DEACTIVATION, NewDomainRuleForm } from '../schemas.js';

const LIST = '/admin/domain-rules';
const REVIEW = '/admin/domain-rules/review';
const DOMAIN_HINT = 'finance.gov.au admits addresses at finance.gov.au and under it; *.gov.au admits only addresses under gov.au.';
const NOTE_HINT = `Optional, for other administrators. At most ${DOMAIN_RULE_LIMITS.note} characters, on one line.`;

/** Who a rule covers, in words: a block covers its own domain too. */
function coverage(rule: Pick<DomainRuleRow, 'domain' | 'effect' | 'admitsOwnDomain'>): string {
  if (rule.effect === 'block') return `Addresses at ${rule.domain} and under it`;
  return rule.admitsOwnDomain ? `Addresses at ${rule.domain} and under it` : `Only addresses under ${rule.domain}`;
}

async function agencyChoices(deps: Deps) {
  return (await listAgencyNames(deps.db)).map((agency) => ({ value: String(agency.id), label: agency.name }));
}

async function showList(deps: Deps, reply: FastifyReply, add: { values?: Record<string, string>; errors?: FieldErrors } = {}): Promise<FastifyReply> {
  const rules = await listDomainRuleDetails(deps.db);
  return reply.view('admin/domain-rules', {
    title: 'Domain rules',
    rules: rules.map((rule) => ({ ...rule, coverage: coverage(rule), blocking: rule.effect === 'block' })),
    csrfToken: reply.generateCsrf(),
    values: add.values ?? { effect: 'allow' },
    errors: add.errors,
    agencies: await agencyChoices(deps),
    effects: [
      { value: 'allow', label: 'Allow: addresses there may join', checked: (add.values?.effect ?? 'allow') === 'allow' },
      { value: 'block', label: 'Block: nobody may join from there', checked: add.values?.effect === 'block' },
    ],
    domainHint: DOMAIN_HINT,
    noteHint: NOTE_HINT,
    limits: DOMAIN_RULE_LIMITS,
  });
}

async function showRule(deps: Deps, reply: FastifyReply, rule: DomainRuleRow, values: Record<string, string>, errors?: FieldErrors): Promise<FastifyReply> {
  return reply.view('admin/domain-rule', {
    title: `Domain rule: ${rule.effect} ${rule.domain}`,
    rule: { ...rule, coverage: coverage(rule), allowing: rule.effect === 'allow' },
    csrfToken: reply.generateCsrf(),
    values,
    errors,
    agencies: await agencyChoices(deps),
    ownDomainChoices: [
      { value: 'yes', label: `Addresses at ${rule.domain} and under it`, checked: values.own_domain === 'yes' },
      { value: 'no', label: `Only addresses under ${rule.domain}, as for a namespace such as gov.au`, checked: values.own_domain === 'no' },
    ],
    noteHint: NOTE_HINT,
    limits: DOMAIN_RULE_LIMITS,
  });
}

function valuesOf(rule: DomainRuleRow): Record<string, string> {
  return { agency_id: rule.agencyId === null ? '' : String(rule.agencyId), note: rule.note ?? '', own_domain: rule.admitsOwnDomain ? 'yes' : 'no' };
}

/**
 * After a rule is removed or made a block: to the members the rules no longer admit when there
 * are any, so they are reviewed while the change is fresh; otherwise back to the list.
 */
async function afterNarrowing(deps: Deps, request: FastifyRequest, reply: FastifyReply, done: string, allowRulesLeft?: number): Promise<FastifyReply> {
  const review = await membersToReview(deps, request);
  setFlash(request, [done, allowRulesLeft === 0 && M.noAllowRulesLeft, review.length > 0 && M.membersToReview(review.length)].filter(Boolean).join(' '));
  return redirectTo(reply, review.length > 0 ? REVIEW : LIST);
}

/** Who the review page lists: everyone the rules no longer admit but the administrator looking, who cannot deactivate themselves there. */
async function membersToReview(deps: Deps, request: FastifyRequest) {
  return (await listMembersNoLongerAdmitted(deps.db)).filter((member) => member.id !== request.member!.id);
}

/** The members to review, as many as one form deactivates at once; the rest follow on the next visit. */
async function showReview(deps: Deps, request: FastifyRequest, reply: FastifyReply, errors?: FieldErrors): Promise<FastifyReply> {
  const everyone = await membersToReview(deps, request);
  const members = everyone.slice(0, MAX_MEMBERS_PER_DEACTIVATION);
  return reply.view('admin/domain-rule-review', {
    title: 'Members the domain rules no longer admit',
    members,
    more: everyone.length > members.length,
    moreMessage: M.moreToReview(everyone.length - members.length),
    deactivateButton: M.deactivateListed(members.length),
    csrfToken: reply.generateCsrf(),
    errors,
  });
}

const domainRuleRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function ruleFor(request: FastifyRequest): Promise<DomainRuleRow> {
    const { id } = parseParams(AdminItemParams, request.params);
    const rule = await findDomainRule(deps.db, id);
    if (!rule) throw new NotFound(M.ruleGone);
    return rule;
  }

  app.get(LIST, async (_request, reply) => showList(deps, reply));

  app.post(LIST, async (request, reply) => {
    const form = parseForm(NewDomainRuleForm, request.body);
    if (!form.ok) return showList(deps, reply.code(422), form);
    const { domain, effect, agency_id: agencyId, note } = form.data;
    try {
      const rule = await addDomainRule(deps, { ...domain, effect, agencyId, note }, administratorOf(request));
      setFlash(request, M.ruleAdded(rule.effect, rule.domain));
      return redirectTo(reply, LIST);
    } catch (error) {
      return showList(deps, reply.code(422), { values: formValues(request.body), errors: refusalAsFieldErrors(error) });
    }
  });

  app.get(REVIEW, async (request, reply) => showReview(deps, request, reply));

  app.post(REVIEW, async (request, reply) => {
    const form = parseForm(DeactivateMembersForm, request.body);
    if (!form.ok) return showReview(deps, request, reply.code(422), form.errors);
    const count = await deactivateMembersNoLongerAdmitted(deps, form.data.member, administratorOf(request));
    setFlash(request, count > 0 ? M.membersDeactivated(count) : M.noMembersDeactivated);
    return redirectTo(reply, REVIEW);
  });

  app.get(`${LIST}/:id`, async (request, reply) => {
    const rule = await ruleFor(request);
    return showRule(deps, reply, rule, valuesOf(rule));
  });

  app.post(`${LIST}/:id`, async (request, reply) => {
    const rule = await ruleFor(request);
    const form = parseForm(EditDomainRuleForm, request.body);
    if (!form.ok) return showRule(deps, reply.code(422), rule, { ...valuesOf(rule), ...form.values }, form.errors);
    const { agency_id: agencyId, note, own_domain: admitsOwnDomain } = form.data;
    try {
      // A block covers its own domain whatever the field says.
      const change = await changeDomainRule(deps, rule.id, { agencyId, note, admitsOwnDomain: rule.effect === 'allow' ? admitsOwnDomain : undefined }, administratorOf(request));
      setFlash(request, change.changed ? M.ruleSaved(rule.domain) : M.ruleUnchanged(rule.domain));
      return redirectTo(reply, LIST);
    } catch (error) {
      return showRule(deps, reply.code(422), rule, { ...valuesOf(rule), ...formValues(request.body) }, refusalAsFieldErrors(error));
    }
  });

  app.post(`${LIST}/:id/block`, async (request, reply) => {
    const form = parseForm(ButtonForm, request.body);
    const rule = await ruleFor(request);
    if (!form.ok) return showRule(deps, reply.code(422), rule, valuesOf(rule), form.errors);
    const { domain } = await blockDomainRule(deps, rule.id, administratorOf(request));
    return afterNarrowing(deps, request, reply, M.ruleBlocked(domain));
  });

  app.post(`${LIST}/:id/remove`, async (request, reply) => {
    const form = parseForm(ButtonForm, request.body);
    const rule = await ruleFor(request);
    if (!form.ok) return showRule(deps, reply.code(422), rule, valuesOf(rule), form.errors);
    const removed = await removeDomainRule(deps, rule.id, administratorOf(request));
    return afterNarrowing(deps, request, reply, M.ruleRemoved(removed.effect, removed.domain), removed.allowRulesLeft);
  });
};

export default domainRuleRoutes;
