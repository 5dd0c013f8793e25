import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import { logHandler, type LogPage } from '../../moderation/routes/log.js';
import { AUDIT_ACTION_NAMES } from '../messages.js';

/**
 * /admin/audit: the moderation log's query, filters and page, naming besides moderation's the
 * actions of administration, sign-in and membership, and the things administration acts on.
 */
const AUDIT_LOG: LogPage = {
  path: '/admin/audit',
  title: 'Audit log',
  lead: 'Every recorded event, newest first: administration, moderation, sign-ins and membership. The log cannot be changed.',
  actionNames: AUDIT_ACTION_NAMES,
  onlyNamedActions: false,
};

const ADMINISTRATION_TARGETS = { agency: 'Agency', domain_rule: 'Domain rule', initiative_type: 'Initiative type', outbound_email: 'Email' };

const auditRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get(AUDIT_LOG.path, logHandler(deps, AUDIT_LOG, ADMINISTRATION_TARGETS));
};

export default auditRoutes;
