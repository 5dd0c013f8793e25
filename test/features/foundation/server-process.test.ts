import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { hiddenFields } from '../../support/app.js';
import { freePort, runNode, waitForOutput, type ServerProcess } from '../../support/process.js';
import { useTempDirs } from '../../support/temp-dirs.js';

/**
 * What a new user does: start Commons with nothing configured, use it, Ctrl-C, start it again.
 * The embedded database must be locked to one process and keep its data across restarts.
 */
const dataDir = useTempDirs('process')();
const running: ServerProcess[] = [];
afterAll(() => {
  for (const server of running) server.child.kill('SIGKILL');
});

async function start(port: number): Promise<ServerProcess> {
  const server = runNode('server.js', { DATA_DIR: dataDir, PORT: String(port) });
  running.push(server);
  await waitForOutput(server, 'Commons is ready');
  return server;
}

async function sendContactMessage(origin: string): Promise<void> {
  const page = await fetch(`${origin}/contact`);
  const cookie = page.headers.getSetCookie()[0]!.split(';')[0]!;
  const hidden = hiddenFields(await page.text());
  const response = await fetch(`${origin}/contact`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...hidden, name: 'Alex', email: 'alex@finance.gov.au', subject: 'Kept?', message: 'Is this kept across restarts?' }).toString(),
  });
  expect(response.status).toBe(303);
}

describe('npm start on the embedded database', () => {
  it('serves the landing page, refuses a second process on the same data, and keeps data across Ctrl-C', async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const first = await start(port);
    expect(first.output()).toContain('embedded PostgreSQL (PGlite)');
    expect(first.output()).toContain('on-disk mailbox');

    const landing = await fetch(`${origin}/`);
    expect(landing.status).toBe(200);
    expect(await landing.text()).toContain('Join with your work email');

    const second = runNode('server.js', { DATA_DIR: dataDir, PORT: String(await freePort()) });
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`Another Commons process (pid ${first.child.pid}) is using the data directory`);

    const command = runNode('cli/mail.js', { DATA_DIR: dataDir }, ['failed']);
    expect(await command.exited).toBe(1);
    expect(command.output()).toContain('Another Commons process');

    await sendContactMessage(origin);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('"msg":"stopped"');
    expect(fs.existsSync(path.join(dataDir, 'commons.lock'))).toBe(false);

    const restarted = await start(port);
    expect((await fetch(`${origin}/readyz`)).status).toBe(200);
    // The acknowledgement may have gone out before Ctrl-C or be sent by the restarted process
    // from the kept queue; either way it arrives exactly once.
    const mailDir = path.join(dataDir, 'mail');
    await expect.poll(() => (fs.existsSync(mailDir) ? fs.readdirSync(mailDir).length : 0), { timeout: 30_000 }).toBe(1);
    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toBe(0);
    expect(fs.readdirSync(mailDir)).toHaveLength(1);

    const migrate = runNode('cli/migrate.js', { DATA_DIR: dataDir });
    expect(await migrate.exited).toBe(0);
    expect(migrate.output()).toContain('the database is up to date');

    const pglite = await PGlite.create({ dataDir: path.join(dataDir, 'pgdata') });
    try {
      const { rows } = await pglite.query<{ subject: string }>('select subject from contact_messages');
      expect(rows).toEqual([{ subject: 'Kept?' }]);
    } finally {
      await pglite.close();
    }
  }, 120_000);
});
