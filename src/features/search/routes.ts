import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Deps } from '../../deps.js';
import { parseFilterQuery } from '../../lib/forms.js';
import { listAgencyChoices, listInitiativeTypes } from '../resources/queries/choices.js';
import type { Viewer } from '../discussions/access.js';
import { listCategoryChoices } from './queries/lookups.js';
import { FILTER_KEYS, SEARCH_MAX, SearchQuery } from './schemas.js';
import { fixedChoices, searchSite } from './service.js';

const FIELDS = ['q', ...FILTER_KEYS, 'sort'] as const;

/** Search, for signed-in members (the site's default access): the header's box leads here. */
const searchRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function render(reply: FastifyReply, viewer: Viewer, status: number, values: Record<string, string>, page: Record<string, unknown>) {
    const [categories, initiatives, agencies] = await Promise.all([listCategoryChoices(deps.db, viewer), listInitiativeTypes(deps.db), listAgencyChoices(deps.db)]);
    const choices = {
      ...fixedChoices(),
      categories,
      initiatives: initiatives.map((type) => ({ value: type.slug, label: type.name })),
      agencies: agencies.map((agency) => ({ value: String(agency.id), label: agency.name })),
    };
    const title = values.q ? `Search: ${values.q}` : 'Search';
    return reply.code(status).view('search/results', { title, values, choices, limits: { q: SEARCH_MAX }, ...page });
  }

  app.get('/search', async (request, reply) => {
    const viewer = request.member!;
    const parsed = parseFilterQuery(SearchQuery, request.query, FIELDS);
    if (!parsed.ok) return render(reply, viewer, 400, parsed.typed, { errors: { [parsed.field]: parsed.message }, errorMessage: parsed.message });
    const query = parsed.data;
    const values = Object.fromEntries(FIELDS.map((key) => [key, query[key] === undefined ? '' : String(query[key])]));
    const outcome = await searchSite(deps, viewer, query);
    switch (outcome.kind) {
      case 'explained':
        return render(reply, viewer, 200, values, { explanation: outcome.message });
      case 'refused':
        return render(reply, viewer, 400, values, { errors: { [outcome.field]: outcome.message }, errorMessage: outcome.message });
      case 'results':
        return render(reply, viewer, 200, values, { results: outcome.view, searched: true });
    }
  });
};

export default searchRoutes;
