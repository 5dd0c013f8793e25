import fp from 'fastify-plugin';
import type { FastifyReply } from 'fastify';
import type { Config } from '../config.js';
import { takeFlash } from '../lib/flash.js';
import type { TemplateData, Templates } from '../lib/templates.js';

declare module 'fastify' {
  interface FastifyReply {
    /** Renders views/<template>.hbs inside the layout and sends it as HTML. */
    view(template: string, data?: TemplateData): FastifyReply;
  }
  interface FastifyInstance {
    templates: Templates;
  }
}

export interface ViewOptions {
  config: Config;
  templates: Templates;
}

export default fp<ViewOptions>(
  async (app, { config, templates }) => {
    app.decorate('templates', templates);
    app.decorateReply('view', function view(this: FastifyReply, template: string, data: TemplateData = {}) {
      const request = this.request;
      const page = {
        siteName: config.siteName,
        currentPath: request.url.split('?')[0],
        member: request.member ?? null,
        // The sign-out button in the header is a form; only signed-in pages need its token.
        signOutToken: request.member && typeof this.generateCsrf === 'function' ? this.generateCsrf() : undefined,
        requestId: request.id,
        notice: takeFlash(request),
        ...data,
      };
      const html = templates.render('layouts/main', { ...page, body_html: templates.render(template, page) });
      return this.type('text/html; charset=utf-8').send(html);
    });
  },
  { name: 'view' },
);
