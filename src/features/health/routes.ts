import type { FastifyPluginAsync } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { pendingMigrations } from '../../db/migrate.js';

/**
 * /healthz answers while the process runs (no database, no session, no rate limit), for a
 * liveness probe. /readyz answers 200 only when the database answers and is migrated, within
 * a second, for a load balancer deciding whether to send traffic here.
 */
const READY_TIMEOUT_MS = 1000;

// Not subject to the event-loop pressure 503: a busy instance is still alive.
const alwaysAnswer = () => undefined;

async function checkReady(db: Kysely<DB>): Promise<string | undefined> {
  await sql`select 1`.execute(db);
  const pending = await pendingMigrations(db);
  return pending.length > 0 ? `${pending.length} migration(s) not applied` : undefined;
}

const healthRoutes: FastifyPluginAsync<{ db: Kysely<DB> }> = async (app, { db }) => {
  let migrated = false;
  const config = { access: 'public' as const, pressureHandler: alwaysAnswer };

  app.get('/healthz', { config }, async (_request, reply) => reply.type('text/plain; charset=utf-8').send('ok\n'));

  app.get('/readyz', { config }, async (request, reply) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('the database did not answer within 1 s'), READY_TIMEOUT_MS);
    });
    let problem: string | undefined;
    try {
      problem = await Promise.race([migrated ? sql`select 1`.execute(db).then(() => undefined) : checkReady(db), timeout]);
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed');
      problem = 'the database is unreachable';
    } finally {
      clearTimeout(timer);
    }
    if (problem === undefined) migrated = true;
    return reply
      .code(problem ? 503 : 200)
      .headers(problem ? { 'retry-after': '5' } : {})
      .type('text/plain; charset=utf-8')
      .send(problem ? `not ready: ${problem}\n` : 'ready\n');
  });
};

export default healthRoutes;
