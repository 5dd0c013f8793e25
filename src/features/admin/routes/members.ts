import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { BadRequest, NotFound } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, parseParams } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { ButtonForm } from '../../auth/schemas.js';
import { administratorOf } from '../actor.js';
import { deactivateMember, reactivateMember } from '../members.js';
import { ADMIN_MESSAGES as M } from '../messages.js';
import { findMemberStatus } from '../queries.js';
import { AdminItemParams } from '../schemas.js';

/**
 * Deactivating and reactivating a member from the browser, through the same service as
 * `npm run admin -- deactivate`: a confirm page, then the POST. A deactivated member's posts
 * stay, shown as a former member's.
 */
const CHANGES = {
  deactivate: { verb: 'Deactivate', run: deactivateMember, done: M.deactivatedInBrowser },
  reactivate: { verb: 'Reactivate', run: reactivateMember, done: M.reactivatedInBrowser },
} as const;

const memberRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function memberFor(request: FastifyRequest) {
    const { id } = parseParams(AdminItemParams, request.params);
    const member = await findMemberStatus(deps.db, id);
    if (!member) throw new NotFound();
    return member;
  }

  for (const [change, { verb, run, done }] of Object.entries(CHANGES)) {
    app.get(`/admin/members/:id/${change}`, async (request, reply: FastifyReply) => {
      const member = await memberFor(request);
      return reply.view('admin/member-status', { title: `${verb} ${member.display_name}?`, member, change, verb, deactivating: change === 'deactivate', alreadyDone: (change === 'deactivate') === (member.deactivated_at !== null) });
    });

    app.post(`/admin/members/:id/${change}`, async (request, reply) => {
      const form = parseForm(ButtonForm, request.body);
      if (!form.ok) throw new BadRequest(form.errors._form);
      const member = await memberFor(request);
      // Already as asked (a second press): refused with 409, said on the page, nothing written.
      await run(deps, member.id, administratorOf(request));
      setFlash(request, done(member.display_name));
      return redirectTo(reply, `/admin/members/${member.id}/${change === 'deactivate' ? 'reactivate' : 'deactivate'}`);
    });
  }
};

export default memberRoutes;
