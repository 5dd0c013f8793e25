import { RENDERER_VERSION, renderMarkdown } from '../../lib/markdown.js';
import { slugify } from '../discussions/slug.js';
import type { RenderedContent } from './queries/resources.js';
import type { CaseStudySections } from './schemas.js';

/** A resource's Markdown as stored: each source beside its sanitised HTML, as posts are. */
export function renderContent(body: string, sections: CaseStudySections | null): RenderedContent {
  const section = (source: string | undefined) => (source === undefined ? { source: null, html: null } : { source, html: renderMarkdown(source) });
  const context = section(sections?.context);
  const approach = section(sections?.approach);
  const outcome = section(sections?.outcome);
  const lessons = section(sections?.lessons);
  return {
    body_source: body,
    body_html: renderMarkdown(body),
    context_source: context.source,
    context_html: context.html,
    approach_source: approach.source,
    approach_html: approach.html,
    outcome_source: outcome.source,
    outcome_html: outcome.html,
    lessons_source: lessons.source,
    lessons_html: lessons.html,
    renderer_version: RENDERER_VERSION,
  };
}

/**
 * Text shown as itself inside Markdown (a title in a link's text): every ASCII punctuation mark
 * escaped, so nothing in it becomes emphasis, a link, a mention or the end of the link.
 */
export function markdownText(text: string): string {
  return text.replace(/[!-/:-@[-`{-~]/g, '\\$&');
}

// Words a resource's own pages take after its id: a title that slugs to one of them gets a
// suffix, or /resources/:id/edit would be its page and its edit form at once.
const PAGE_WORDS = new Set(['edit', 'history', 'remove', 'helpful', 'feature', 'flag']);

/** A resource's page, with the readable part of its address from its title. */
export function resourcePath(resource: { id: number; title: string }): string {
  const slug = slugify(resource.title);
  return `/resources/${resource.id}/${PAGE_WORDS.has(slug) ? `${slug}-resource` : slug}`;
}
