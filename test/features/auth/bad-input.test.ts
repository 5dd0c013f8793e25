import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, buildTestApp, encodeForm, type TestApp } from '../../support/app.js';
import { verifyPathFor } from '../../support/membership.js';

/**
 * SECURITY.md's bad input, thrown at every field of every membership form: each gets a page
 * of ours (400, 413, 422, or the form's ordinary answer), never a 500, and no member appears.
 */
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());

const VALUES: [string, string][] = [
  ['empty', ''],
  ['a NUL byte', 'a%00b'],
  ['invalid UTF-8', '%C3%28'],
  ['a lone surrogate', '%ED%A0%80'],
  ['script', encodeURIComponent('<script>alert(1)</script>')],
  ['SQL', encodeURIComponent(`' OR 1=1 --"; DROP TABLE members; %_\\`)],
  ['100 KB', 'x'.repeat(100 * 1024)],
  ['CR/LF with a header', encodeURIComponent('a@finance.gov.au\r\nBcc: x@evil.example')],
];
const ALLOWED = new Set([200, 303, 400, 413, 422]);

/** `form` is a path, or a function giving a fresh one for each post (a link is spent after a few refused tries). */
async function sweep(form: string | (() => Promise<string>), fields: Record<string, string>, browser = new Browser(t.app)) {
  for (const field of Object.keys(fields)) {
    for (const [name, raw] of VALUES) {
      for (const repeated of [false, true]) {
        const path = typeof form === 'string' ? form : await form();
        const hidden = await browser.openForm(path);
        const others = encodeForm({ ...hidden, ...Object.fromEntries(Object.entries(fields).filter(([key]) => key !== field)) });
        const value = `${field}=${raw}`;
        const response = await browser.postRaw(path, `${others}&${value}${repeated ? `&${value}` : ''}`);
        expect(ALLOWED.has(response.statusCode), `${path} ${field} ${name}${repeated ? ' (twice)' : ''}: ${response.statusCode}`).toBe(true);
        expect(response.body).not.toContain('<script>alert(1)');
      }
    }
  }
}

async function memberCount(): Promise<number> {
  return Number((await t.db.selectFrom('members').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
}

describe('bad input on the membership forms', () => {
  it('never answers 500 on sign-up, sign-in or forgotten password', async () => {
    await sweep('/signup', { email: 'sweep@finance.gov.au', accept_guidelines: 'yes' });
    await sweep('/login', { email: 'sweep@finance.gov.au', password: 'not-the-password-at-all', next: '/settings' });
    await sweep('/password/forgot', { email: 'sweep@finance.gov.au' });
    expect(await memberCount()).toBe(0);
    expect(t.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });

  it('never answers 500 on step 2 of joining, and joins nobody with bad input', async () => {
    // Handle and password both empty, so whichever one field is swept, the form stays refused.
    // Each value gets a link of its own: a link is spent after a few refused tries.
    const fields = { display_name: 'Step Two', handle: '', job_title: 'Tester', password: '' };
    let joiners = 0;
    await sweep(() => verifyPathFor(t.app, t.db, `step.two.${(joiners += 1)}@finance.gov.au`), fields);
    expect(await memberCount()).toBe(0);
    expect(t.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});
