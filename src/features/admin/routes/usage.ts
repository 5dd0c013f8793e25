import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Deps } from '../../../deps.js';
import { csvLines } from '../../../lib/csv.js';
import { parseFilterQuery } from '../../../lib/forms.js';
import { barChart, columnChart, type ChartDatum } from '../../../lib/svg-chart.js';
import { ADMIN_MESSAGES as M } from '../messages.js';
import { UsageQuery } from '../schemas.js';
import { countMembersByAgency, countMembersByAgencyType, countWeeks, listMostUsedResources, TOP_RESOURCES, WEEKS, type WeekCounts } from '../usage.js';

/**
 * /admin/usage: each chart drawn as SVG (src/lib/svg-chart.ts) beside a table of the same
 * numbers, and each downloadable as /admin/usage/<chart>.csv. The definitions of what is counted
 * are in ../usage.ts.
 */

const PAGE = '/admin/usage';
/** Agencies drawn as their own bars; the rest are one "other agencies" bar (the table and CSV list them all). */
const AGENCY_BARS = 15;
const NO_AGENCY = 'No agency';

const dayMonth = new Intl.DateTimeFormat('en-AU', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const dayMonthYear = new Intl.DateTimeFormat('en-AU', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const weekDate = (week: string) => new Date(`${week}T00:00:00Z`);

type Csv = { header: string[]; rows: Array<Array<string | number>> };

async function agencies(deps: Deps) {
  const rows = (await countMembersByAgency(deps.db)).map((row) => ({ label: row.name ?? NO_AGENCY, value: row.members }));
  const others = rows.slice(AGENCY_BARS);
  const bars: ChartDatum[] = others.length > 0 ? [...rows.slice(0, AGENCY_BARS), { label: `${others.length} other agencies`, value: others.reduce((sum, row) => sum + row.value, 0) }] : rows;
  const total = rows.reduce((sum, row) => sum + row.value, 0);
  return {
    svg_html: barChart({ id: 'chart-agencies', title: 'Active members by agency', description: rows.length === 0 ? 'No active members yet.' : `${total} active members in ${rows.length} agencies; the largest, ${rows[0]!.label}, has ${rows[0]!.value}.` }, bars),
    rows,
    csv: { header: ['Agency', 'Active members'], rows: rows.map((row) => [row.label, row.value]) } satisfies Csv,
  };
}

async function agencyTypes(deps: Deps) {
  const rows = (await countMembersByAgencyType(deps.db)).map((row) => ({ label: row.label, value: row.members }));
  const largest = [...rows].sort((a, b) => b.value - a.value)[0]!;
  return {
    svg_html: barChart({ id: 'chart-agency-types', title: 'Active members by type of agency', description: largest.value === 0 ? 'No active members yet.' : `The most active members are in agencies of type ${largest.label}: ${largest.value}.` }, rows),
    rows,
    csv: { header: ['Type of agency', 'Active members'], rows: rows.map((row) => [row.label, row.value]) } satisfies Csv,
  };
}

const WEEKLY_SERIES = [
  { key: 'newMembers', id: 'chart-new-members', title: 'New members' },
  { key: 'posts', id: 'chart-posts', title: 'Posts' },
  { key: 'activeMembers', id: 'chart-active-members', title: 'Active members' },
  { key: 'resources', id: 'chart-resources-shared', title: 'Resources shared' },
] as const satisfies ReadonlyArray<{ key: keyof Omit<WeekCounts, 'week'>; id: string; title: string }>;

async function weekly(deps: Deps) {
  const weeks = await countWeeks(deps.db, deps.now(), deps.settings.current.TIME_ZONE);
  const first = dayMonthYear.format(weekDate(weeks[0]!.week));
  const charts = WEEKLY_SERIES.map(({ key, id, title }) => {
    const total = weeks.reduce((sum, week) => sum + week[key], 0);
    const peak = weeks.reduce((best, week) => (week[key] > best[key] ? week : best), weeks[0]!);
    const description = total === 0 ? `None in the ${WEEKS} weeks from ${first}.` : `${total} in the ${WEEKS} weeks from ${first}; the most, ${peak[key]}, in the week of ${dayMonthYear.format(weekDate(peak.week))}.`;
    // A quarter apart, so four dates fit under the axis at 320 px.
    return { id, title, svg_html: columnChart({ id, title: `${title} per week`, description }, weeks.map((week) => ({ label: dayMonth.format(weekDate(week.week)), value: week[key] })), 13) };
  });
  return {
    charts,
    rows: weeks.map((week) => ({ ...week, weekName: dayMonthYear.format(weekDate(week.week)) })),
    csv: { header: ['Week starting', ...WEEKLY_SERIES.map((series) => series.title)], rows: weeks.map((week) => [week.week, ...WEEKLY_SERIES.map((series) => week[series.key])]) } satisfies Csv,
  };
}

async function resources(deps: Deps) {
  const rows = await listMostUsedResources(deps.db);
  return {
    svg_html: barChart({ id: 'chart-resources', title: `The ${TOP_RESOURCES} most downloaded resources`, description: rows.length === 0 ? 'No resource has been downloaded yet.' : `The most downloaded, ${rows[0]!.title}, by ${rows[0]!.downloads} members on different days.` }, rows.map((row) => ({ label: row.title, value: row.downloads }))),
    rows,
    csv: { header: ['Resource', 'Address', 'Downloads', 'Marked helpful'], rows: rows.map((row) => [row.title, `/resources/${row.id}`, row.downloads, row.helpful]) } satisfies Csv,
  };
}

const CSV_CHARTS = {
  agencies: async (deps: Deps) => (await agencies(deps)).csv,
  'agency-types': async (deps: Deps) => (await agencyTypes(deps)).csv,
  weekly: async (deps: Deps) => (await weekly(deps)).csv,
  resources: async (deps: Deps) => (await resources(deps)).csv,
} as const;

function refuseFilters(reply: FastifyReply, message: string) {
  return reply.code(400).view('admin/usage', { title: 'Usage', problem: { _form: M.usageFilterProblem(message) } });
}

const usageRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get(PAGE, async (request, reply) => {
    const parsed = parseFilterQuery(UsageQuery, request.query, []);
    if (!parsed.ok) return refuseFilters(reply, parsed.message);
    return reply.view('admin/usage', {
      title: 'Usage',
      weeks: WEEKS,
      topResources: TOP_RESOURCES,
      timeZone: deps.settings.current.TIME_ZONE,
      agencies: await agencies(deps),
      agencyTypes: await agencyTypes(deps),
      weekly: await weekly(deps),
      resources: await resources(deps),
    });
  });

  for (const [chart, load] of Object.entries(CSV_CHARTS)) {
    app.get(`${PAGE}/${chart}.csv`, async (request, reply) => {
      const parsed = parseFilterQuery(UsageQuery, request.query, []);
      if (!parsed.ok) return refuseFilters(reply, parsed.message);
      const { header, rows } = await load(deps);
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="usage-${chart}.csv"`).send(csvLines(header, rows));
    });
  }
};

export default usageRoutes;
