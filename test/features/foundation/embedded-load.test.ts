import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, buildTestApp, countRows, type TestApp } from '../../support/app.js';
import { createEmbeddedDatabase } from '../../support/database.js';
import { createMember, signedInBrowser } from '../../support/members.js';

/**
 * The embedded database is one PGlite backend behind one connection. Under a burst of mixed
 * reads, session writes, transactions and the mail worker at once, every request must still
 * get its right answer: we saw hangs and wrong rows upstream with more than one connection.
 */
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ database: await createEmbeddedDatabase(), env: { RATE_LIMIT_TRUSTED: '127.0.0.0/8' } });
});
afterAll(async () => {
  await t.close();
  await t.database.close();
});

describe('the embedded database under load', () => {
  it('answers 2,000 concurrent mixed requests with no error', async () => {
    expect(t.database.embedded).toBe(true);
    const posters = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const browser = new Browser(t.app);
        return { browser, hidden: await browser.openForm('/contact') };
      }),
    );
    // Signed in, so each of its requests reads a stored session (a visitor's reads none).
    const member = await createMember(t.db);
    const reader = await signedInBrowser(t.app, member, member.password);

    const requests: Promise<{ kind: string; status: number }>[] = [];
    for (let i = 0; i < 2000; i += 1) {
      const slot = i % 5;
      if (slot === 0) {
        const { browser, hidden } = posters[i % posters.length]!;
        const fields = { ...hidden, form_token: randomUUID(), name: `Member ${i}`, email: `m${i}@finance.gov.au`, subject: `Load ${i}`, message: `Message ${i}` };
        requests.push(browser.post('/contact', fields).then((r) => ({ kind: 'post', status: r.statusCode })));
      } else if (slot === 1) {
        requests.push(new Browser(t.app).get('/contact').then((r) => ({ kind: 'new-visitor', status: r.statusCode })));
      } else if (slot === 2) {
        requests.push(reader.get('/contact').then((r) => ({ kind: 'session-read', status: r.statusCode })));
      } else {
        requests.push(reader.get(slot === 3 ? '/' : '/guidelines').then((r) => ({ kind: 'page', status: r.statusCode })));
      }
    }
    // The mail worker shares the one connection with the requests, as it does in `npm start`.
    let draining = true;
    const worker = (async () => {
      while (draining) await t.app.mailWorker.runOnce();
    })();

    const results = await Promise.all(requests);
    draining = false;
    await worker;
    while ((await t.app.mailWorker.runOnce()) > 0);

    const unexpected = results.filter((r) => r.status !== (r.kind === 'post' ? 303 : 200));
    expect(unexpected).toEqual([]);
    expect(results).toHaveLength(2000);
    expect(await countRows(t.db, 'contact_messages')).toBe(400);
    expect(await countRows(t.db, 'outbound_emails')).toBe(400);
    const statuses = await t.db.selectFrom('outbound_emails').select('status').distinct().execute();
    expect(statuses).toEqual([{ status: 'sent' }]);
    // Every session write landed: one per post, each leaving its notice (the posts go out at
    // once, before any cookie comes back), and the reader's. The 400 new visitors wrote none
    // (issue 15, item 7: this counted a session per visitor, 421 and more, before).
    expect(await countRows(t.db, 'sessions')).toBe(401);
    expect(t.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});
