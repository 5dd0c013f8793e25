import Fastify from 'fastify';
import Handlebars from 'handlebars';
import pg from 'pg';

/**
 * The discussions benchmark's yardstick (issue 8): a bare Fastify route that runs one SELECT
 * of the 20 posts on page 1 of a thread, with their authors, and renders them with Handlebars.
 * No session, no layout helpers, no access checks. bench/forum.ts starts it in a process of
 * its own (as it does the app) with REFERENCE_DATABASE_URL, REFERENCE_PORT and REFERENCE_THREAD_ID.
 */

const page = Handlebars.compile(`<!doctype html>
<html lang="en-AU">
<head><meta charset="utf-8"><title>Thread {{threadId}}</title><link rel="stylesheet" href="/static/css/site.css"></head>
<body>
<main>
{{#each posts}}
<article class="post" id="post-{{id}}">
  <header class="post__header"><p class="post__author">{{authorName}}{{#if jobTitle}}, {{jobTitle}}{{/if}}{{#if agencyName}}, {{agencyName}}{{/if}}</p>
  <p class="post__meta"><a href="/p/{{id}}"><time datetime="{{createdAt}}">{{createdAt}}</time></a></p></header>
  <div class="post__body">{{{bodyHtml}}}</div>
</article>
{{/each}}
</main>
</body>
</html>`);

const threadId = Number(process.env.REFERENCE_THREAD_ID);
const pool = new pg.Pool({ connectionString: process.env.REFERENCE_DATABASE_URL, max: 10 });
const app = Fastify();

app.get('/thread', async (_request, reply) => {
  const { rows } = await pool.query<{ id: string; createdAt: Date; bodyHtml: string; authorName: string; jobTitle: string | null; agencyName: string | null }>(
    `select p.id, p.created_at as "createdAt", p.body_html as "bodyHtml", m.display_name as "authorName", m.job_title as "jobTitle", a.name as "agencyName"
     from posts p join members m on m.id = p.author_id left join agencies a on a.id = m.agency_id
     where p.thread_id = $1 and p.position between 1 and 20 order by p.position limit 20`,
    [threadId],
  );
  return reply.type('text/html; charset=utf-8').send(page({ threadId, posts: rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString() })) }));
});

process.once('SIGTERM', () => {
  void app.close().then(() => pool.end());
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.REFERENCE_PORT) });
