import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../deps.js';
import { NotFound } from '../../lib/errors.js';
import { parseParams, parseQuery } from '../../lib/forms.js';
import { excerpt } from '../../lib/markdown.js';
import { redirectTo } from '../../lib/next-path.js';
import { paginate } from '../../lib/pagination.js';
import { formatDate } from '../../lib/time.js';
import { queryOf } from '../discussions/routes/paths.js';
import { PageQuery } from '../discussions/schemas.js';
import { MEMBER_MESSAGES } from './messages.js';
import { countActiveMembers, countPostsVisibleTo, findProfileByHandle, listActiveMembers, listAgenciesWithActiveMembers, listPostsVisibleTo, type AgencyChoice } from './queries.js';
import { MEMBER_SEARCH_MAX, MemberListQuery, MEMBERS_PER_PAGE, PROFILE_POST_PAGES, PROFILE_POSTS_PER_PAGE, ProfileParams } from './schemas.js';

// One line on a phone, two on a desktop: enough to recognise the post.
const POST_EXCERPT_CHARS = 160;

const JURISDICTIONS = [
  ['commonwealth', 'Australian Government'],
  ['state', 'State governments'],
  ['territory', 'Territory governments'],
  ['local', 'Local governments'],
  [null, 'Other agencies'],
] as const;

/** The agency list's choices, grouped by level of government (views/partials/field.hbs). */
function agencyGroups(agencies: AgencyChoice[]) {
  return JURISDICTIONS.map(([jurisdiction, label]) => ({
    label,
    options: agencies.filter((agency) => agency.jurisdiction === jurisdiction).map((agency) => ({ value: String(agency.id), label: agency.name })),
  })).filter((group) => group.options.length > 0);
}

/** Profiles and the member directory: for signed-in members (the site's default access). */
const memberRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/members', async (request, reply) => {
    const query = parseQuery(MemberListQuery, request.query);
    const page = query.page ?? 1;
    const filter = { search: query.q, agencyId: query.agency };
    const total = await countActiveMembers(deps.db, filter);
    const pageCount = Math.max(1, Math.ceil(total / MEMBERS_PER_PAGE));
    if (page > pageCount) throw new NotFound();
    const members = await listActiveMembers(deps.db, filter, { limit: MEMBERS_PER_PAGE, offset: (page - 1) * MEMBERS_PER_PAGE });
    const values = { q: query.q, agency: query.agency === undefined ? '' : String(query.agency) };
    const filtered = query.q !== '' || query.agency !== undefined;
    return reply.view('members/list', {
      title: page > 1 ? `Members (page ${page})` : 'Members',
      members,
      values,
      agencyGroups: agencyGroups(await listAgenciesWithActiveMembers(deps.db)),
      limits: { search: MEMBER_SEARCH_MAX },
      summary: MEMBER_MESSAGES.memberCount(total, filtered),
      emptyMessage: MEMBER_MESSAGES.noMembersMatch,
      pagination: paginate('/members', page, pageCount, Object.fromEntries(Object.entries(values).filter(([, value]) => value !== ''))),
    });
  });

  app.get('/u/:handle', async (request, reply) => {
    const { handle } = parseParams(ProfileParams, request.params);
    const { page = 1 } = parseQuery(PageQuery, request.query);
    const viewer = request.member!;
    const profile = await findProfileByHandle(deps.db, viewer, handle);
    if (!profile) throw new NotFound();
    // One address per profile: `/u/JANE_DOE` is Jane's page, shown at her handle as she wrote it.
    if (profile.handle !== handle) return redirectTo(reply, `/u/${profile.handle}${queryOf(request.url)}`);
    const listed = PROFILE_POST_PAGES * PROFILE_POSTS_PER_PAGE;
    // One past what is listed, to know whether there is more than the list shows.
    const postCount = await countPostsVisibleTo(deps.db, viewer, profile.id, listed + 1);
    const pageCount = Math.max(1, Math.ceil(Math.min(postCount, listed) / PROFILE_POSTS_PER_PAGE));
    if (page > pageCount) throw new NotFound();
    const posts = await listPostsVisibleTo(deps.db, viewer, profile.id, { limit: PROFILE_POSTS_PER_PAGE, offset: (page - 1) * PROFILE_POSTS_PER_PAGE });
    return reply.view('members/profile', {
      title: page > 1 ? `${profile.displayName} (page ${page})` : profile.displayName,
      profile,
      isSelf: profile.id === viewer.id,
      joinedOn: formatDate(profile.joinedAt, viewer.timeZone ?? deps.settings.current.TIME_ZONE),
      posts: posts.map((post) => ({ ...post, excerpt: excerpt(post.sourceStart, POST_EXCERPT_CHARS) })),
      emptyMessage: MEMBER_MESSAGES.noPosts,
      olderPostsNote: page === pageCount && postCount > listed ? MEMBER_MESSAGES.olderPostsNotListed(listed) : undefined,
      pagination: paginate(`/u/${profile.handle}`, page, pageCount),
    });
  });
};

export default memberRoutes;
