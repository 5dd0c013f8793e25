import fp from 'fastify-plugin';
import type { FastifyReply } from 'fastify';
import type { Config } from '../config.js';
import { unreadCountText } from '../features/discussions/notifications.js';
import { EMAIL_BOUNCE_BANNER } from '../features/eligibility/messages.js';
import { takeFlash } from '../lib/flash.js';
import { ROLE_NAMES } from '../lib/messages.js';
import type { TemplateData, Templates } from '../lib/templates.js';
import type { SiteSettings } from '../site-settings.js';

declare module 'fastify' {
  interface FastifyReply {
    /** Renders views/<template>.hbs inside the layout and sends it as HTML. */
    view(template: string, data?: TemplateData): FastifyReply;
    /**
     * Renders views/<template>.hbs alone, for a page body kept and shown to other members: its
     * templates see the site and the member's time zone (a kept body's key must hold it) but not
     * the member, their CSRF token or their notice. Send it with `viewRendered`.
     */
    renderShared(template: string, data: TemplateData): string;
    /** Sends a body from `renderShared` inside the layout, as `view` sends a page. */
    viewRendered(bodyHtml: string, data?: TemplateData): FastifyReply;
  }
  interface FastifyInstance {
    templates: Templates;
  }
}

export interface ViewOptions {
  config: Config;
  settings: SiteSettings;
  templates: Templates;
  /** The app's clock, for "5 minutes ago". */
  now: () => Date;
}

/** What any template may read about the site and the request; of the member, only their time zone. */
function sharedData(config: Config, settings: SiteSettings, reply: FastifyReply, now: () => Date): TemplateData {
  const request = reply.request;
  const site = settings.current;
  return {
    siteName: config.siteName,
    operatorName: site.OPERATOR_NAME,
    phaseBanner: site.PHASE_BANNER,
    currentPath: request.url.split('?')[0],
    // Times (the `time` helper, lib/templates.ts) in the member's own zone, or the site's.
    timeZone: request.member?.timeZone ?? site.TIME_ZONE,
    now: now(),
  };
}

/** The layout's data: the site's, the member's, and the page's own. */
function pageData(config: Config, settings: SiteSettings, reply: FastifyReply, data: TemplateData, now: () => Date): TemplateData {
  const request = reply.request;
  const member = request.member ?? null;
  return {
    ...sharedData(config, settings, reply, now),
    // A member held to one page (awaiting approval, or past their re-confirmation date) sees no
    // links or search box in the header: each would only lead back to that page.
    member: member && { ...member, roleName: ROLE_NAMES[member.role], unreadShown: unreadCountText(member.unreadNotifications), held: member.awaitingApproval || member.reconfirmationDue },
    // Every page says so while the member's address refuses email (features/eligibility/bounces.ts);
    // not to one awaiting approval, who is sent no notification email to miss.
    emailBounce: member?.emailBounce && !member.awaitingApproval ? { ...member.emailBounce, ...EMAIL_BOUNCE_BANNER } : null,
    // The sign-out button in the header is a form: every signed-in page needs a token, and a
    // page with forms of its own passes its token (views/partials/csrf.hbs reads @root.csrfToken).
    csrfToken: data.csrfToken ?? (member && typeof reply.generateCsrf === 'function' ? reply.generateCsrf() : undefined),
    requestId: request.id,
    notice: takeFlash(request),
    ...data,
  };
}

/** A page in the layout, as HTML. Also used where Fastify answers before any decorator exists. */
export function renderPage(templates: Templates, config: Config, settings: SiteSettings, reply: FastifyReply, template: string, data: TemplateData, now = () => new Date()): string {
  const page = pageData(config, settings, reply, data, now);
  return templates.render('layouts/main', { ...page, body_html: templates.render(template, page) });
}

export default fp<ViewOptions>(
  async (app, { config, settings, templates, now }) => {
    app.decorate('templates', templates);
    app.decorateReply('view', function view(this: FastifyReply, template: string, data: TemplateData = {}) {
      return this.type('text/html; charset=utf-8').send(renderPage(templates, config, settings, this, template, data, now));
    });
    app.decorateReply('renderShared', function renderShared(this: FastifyReply, template: string, data: TemplateData) {
      return templates.render(template, { ...sharedData(config, settings, this, now), ...data });
    });
    app.decorateReply('viewRendered', function viewRendered(this: FastifyReply, bodyHtml: string, data: TemplateData = {}) {
      return this.type('text/html; charset=utf-8').send(templates.render('layouts/main', { ...pageData(config, settings, this, data, now), body_html: bodyHtml }));
    });
  },
  { name: 'view' },
);
