import fs from 'node:fs';
import { FORUM_PASSWORD } from './forum-seed.js';
import type { Client } from './load.js';
import { hiddenFields } from './site.js';

/**
 * What the benches that start the real app in a process of its own share: how `npm start` runs
 * node, and members signed in through the real /login form.
 */

// The app runs as `npm start` runs it: with that script's environment (`env NAME=value …`) and
// options for node, unless told otherwise by BENCH_APP_ENV and BENCH_APP_NODE_ARGS (space-separated,
// e.g. BENCH_APP_NODE_ARGS="--max-old-space-size=96", or BENCH_APP_ENV="" for none).
const START_SCRIPT = (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }).scripts.start;
export const APP_NODE_ARGS = (process.env.BENCH_APP_NODE_ARGS ?? /\bnode (.*?) ?dist\/src\/server\.js/.exec(START_SCRIPT)?.[1] ?? '').split(' ').filter(Boolean);
export const APP_ENV: Record<string, string> = Object.fromEntries(
  (process.env.BENCH_APP_ENV ?? /\benv ((?:\w+=\S+ )+)node\b/.exec(START_SCRIPT)?.[1] ?? '')
    .split(' ')
    .filter(Boolean)
    .map((assignment) => [assignment.slice(0, assignment.indexOf('=')), assignment.slice(assignment.indexOf('=') + 1)]),
);

export interface Member {
  id: number;
  cookie: string;
  csrf: string;
}

/** The cookies a response sets, without the ones it clears. */
function cookiesSet(headers: { 'set-cookie'?: string[] | undefined }): string {
  return (headers['set-cookie'] ?? [])
    .map((cookie) => cookie.split(';')[0]!)
    .filter((pair) => !pair.endsWith('='))
    .join('; ');
}

/** Signs a seeded member in through the real form, then reads their CSRF token from a page. */
export async function signIn(client: Client, origin: string, email: string, id: number, pagePath: string): Promise<Member> {
  const form = await client.request({ method: 'GET', path: '/login' }, true);
  const response = await client.request({
    method: 'POST',
    path: '/login',
    headers: { cookie: cookiesSet(form.headers), origin, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...hiddenFields(form.body), email, password: FORUM_PASSWORD }).toString(),
  });
  if (response.status !== 303) throw new Error(`signing in ${email} answered ${response.status}`);
  const cookie = cookiesSet(response.headers);
  const page = await client.request({ method: 'GET', path: pagePath, headers: { cookie } }, true);
  const csrf = hiddenFields(page.body)._csrf;
  if (page.status !== 200 || !csrf) throw new Error(`${pagePath} answered ${page.status} to ${email} without a form token`);
  return { id, cookie, csrf };
}
