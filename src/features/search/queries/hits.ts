import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../../db/types.js';
import { isStaff, type Viewer } from '../../discussions/access.js';
import { countedPost, firstPostHeld } from '../../discussions/queries/counts.js';
import { shownName } from '../../members/names.js';
import { queryLexemes, snippetText, wordsPattern } from '../snippets.js';
import type { HitKind, SearchHitRef } from './candidates.js';
import { MARK_START, MARK_STOP, tsquery } from './words.js';

/* The page's results as shown: titles and snippets highlighted, for the twenty found (candidates.ts). */

const SNIPPET_OPTIONS = `StartSel=${MARK_START}, StopSel=${MARK_STOP}, MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`;
const TITLE_OPTIONS = `StartSel=${MARK_START}, StopSel=${MARK_STOP}, HighlightAll=true`;

/** A result as the page shows it; the *_marked texts hold MARK_START/MARK_STOP around matches. */
export interface SearchHit {
  kind: HitKind;
  id: number;
  title_marked: string;
  snippet_marked: string;
  createdAt: Date;
  authorName: string;
  /** The category's, for threads and posts; the resource's kind, for resources. */
  placeName: string;
  categorySlug: string | null;
  /** The thread's slug, for threads and posts. */
  slug: string | null;
  /** For posts: where they are (the thread page at the post). */
  threadId: number | null;
  position: number | null;
  hidden: boolean;
  /** Waiting for a moderator (a held post, or a thread whose first post is held): staff only find it. */
  held: boolean;
}

interface HitRow {
  kind: HitKind;
  id: number;
  title_marked: string;
  /** Plain text the snippet starts with (a resource's summary), then Markdown. */
  plain_source: string;
  markdown_source: string;
  created_at: Date;
  author_name: string;
  place_name: string;
  category_slug: string | null;
  slug: string | null;
  thread_id: string | null;
  position: number | null;
  hidden: boolean;
  held: boolean;
  query_tree: string;
}

// The sentinels are taken out of the text first, so only ts_headline's own mark anything.
function plain(column: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`translate(${column}, ${MARK_START + MARK_STOP}::text, '')`;
}

/**
 * The page's items with their highlighted titles and snippets: ts_headline runs on these twenty
 * rows only. The caller found them visible a moment ago (searchContent); each is looked up by
 * its key. Snippets are highlighted in a second statement, over the text the reader sees: the
 * Markdown rendered to text here by the parser that renders it for the page (readableText), as
 * PostgreSQL cannot read Markdown and the stored HTML would need its tags stripped and its
 * entities decoded in SQL. Whole sources are read, as the words may be anywhere in them; only a
 * piece of each around the words is parsed and highlighted (snippets.ts).
 */
export async function listSearchHits(db: Db, viewer: Viewer, text: string, refs: SearchHitRef[]): Promise<SearchHit[]> {
  const ids = (kind: HitKind) => refs.filter((ref) => ref.kind === kind).map((ref) => ref.id);
  const q = tsquery(text);
  // A thread's snippet is its first post, which may be deleted (the thread kept for its replies)
  // or hidden while the thread is shown: then there is no snippet, not the post.
  const firstPostShown = isStaff(viewer.role) ? sql`fp.deleted_at is null` : countedPost('fp');
  // The query's lexemes (querytree: what the index looks for, exclusions left out) come with each row, for snippetSource.
  const { rows } = await sql<HitRow>`
    select hits.*, querytree(${q}) as query_tree from (
    select 'thread' as kind, t.id, ts_headline('english', ${plain(sql`t.title`)}, ${q}, ${TITLE_OPTIONS}) as title_marked,
      '' as plain_source, coalesce(fp.body_source, '') as markdown_source,
      t.created_at, ${shownName('a')} as author_name, c.name as place_name, c.slug as category_slug, t.slug, null::bigint as thread_id, null::int as position,
      t.hidden_at is not null as hidden, ${firstPostHeld('t')} as held
    from threads t join categories c on c.id = t.category_id join members a on a.id = t.author_id
      left join posts fp on fp.thread_id = t.id and fp.position = 1 and ${firstPostShown}
    where t.id = any(${ids('thread')}::bigint[])
    union all
    select 'post', p.id, ts_headline('english', ${plain(sql`t.title`)}, ${q}, ${TITLE_OPTIONS}),
      '', p.body_source,
      p.created_at, ${shownName('a')}, c.name, c.slug, t.slug, p.thread_id, p.position, p.hidden_at is not null or t.hidden_at is not null,
      p.held_at is not null or ${firstPostHeld('t')}
    from posts p join threads t on t.id = p.thread_id join categories c on c.id = t.category_id join members a on a.id = p.author_id
    where p.id = any(${ids('post')}::bigint[])
    union all
    select 'resource', r.id, ts_headline('english', ${plain(sql`r.title`)}, ${q}, ${TITLE_OPTIONS}),
      -- The summary is plain text; the description and case-study sections are Markdown, each a block of its own.
      r.summary, concat_ws(E'\n\n', r.body_source, r.context_source, r.approach_source, r.outcome_source, r.lessons_source),
      r.created_at, ${shownName('a')}, r.kind, null, null, null, null, r.hidden_at is not null, false
    from resources r join members a on a.id = r.sharer_id
    where r.id = any(${ids('resource')}::bigint[])
    ) hits
  `.execute(db);
  const byKey = new Map(rows.map((row) => [`${row.kind}:${row.id}`, row]));
  const found = refs.flatMap((ref) => byKey.get(`${ref.kind}:${ref.id}`) ?? []);
  const words = wordsPattern(queryLexemes(rows[0]?.query_tree ?? ''));
  const snippets = await highlightSnippets(db, q, found.map((row) => snippetText(row.plain_source, row.markdown_source, words)));
  return found.map((row, index) => ({
    kind: row.kind,
    id: Number(row.id),
    title_marked: row.title_marked,
    snippet_marked: snippets[index]!,
    createdAt: row.created_at,
    authorName: row.author_name,
    placeName: row.place_name,
    categorySlug: row.category_slug,
    slug: row.slug,
    threadId: row.thread_id === null ? null : Number(row.thread_id),
    position: row.position,
    hidden: row.hidden,
    held: row.held,
  }));
}

// ts_headline's parser reads `<…>` as an HTML tag and leaves it out of a fragment, but in plain
// text it is what the reader sees (`a <script> tag`, `x<y`): it stands in as another control
// character while the headline is made.
const LESS_THAN_STAND_IN = '\u0003';

/** ts_headline over each text, in one statement, in the order given. */
async function highlightSnippets(db: Db, q: RawBuilder<unknown>, texts: string[]): Promise<string[]> {
  if (texts.length === 0) return [];
  const standIn = sql`translate(texts.text, ${`<${MARK_START}${MARK_STOP}${LESS_THAN_STAND_IN}`}::text, ${LESS_THAN_STAND_IN}::text)`;
  const { rows } = await sql<{ snippet_marked: string }>`
    select translate(ts_headline('english', ${standIn}, ${q}, ${SNIPPET_OPTIONS}), ${LESS_THAN_STAND_IN}::text, '<') as snippet_marked
    from unnest(${texts}::text[]) with ordinality as texts(text, n)
    order by texts.n
  `.execute(db);
  return rows.map((row) => row.snippet_marked);
}
