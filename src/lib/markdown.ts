import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

export const RENDERER_VERSION = 1;
const markdown = new MarkdownIt({ html: false, linkify: true });

export function renderMarkdown(source: string): string {
  return sanitizeHtml(markdown.render(source), { allowedSchemes: ['http', 'https', 'mailto'] });
}

export function excerpt(source: string, maxChars: number): string {
  const text = source.replace(/\s+/g, ' ').trim();
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}

export function quoteAsMarkdown(authorName: string, source: string): string {
  return `> **${authorName}** wrote:\n${source.split('\n').map((line) => `> ${line}`).join('\n')}\n\n`;
}

export function mentionedHandles(source: string): string[] {
  return [...new Set([...source.matchAll(/(?<![\w@.])@([A-Za-z0-9_]{3,30})\b/g)].map((m) => m[1]!.toLowerCase()))];
}
