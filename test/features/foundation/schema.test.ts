import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../../migrations/index.js';
import type { Database } from '../../../src/db/database.js';
import { describeSchema } from '../../../src/db/describe-schema.js';
import { pendingMigrations } from '../../../src/db/migrate.js';
import { PROJECT_ROOT } from '../../../src/lib/paths.js';
import { createTestDatabase } from '../../support/database.js';

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.close());

describe('the schema', () => {
  it('matches the DB type in src/db/schema.ts (run `npm run db:types` after a migration)', async () => {
    const checkedIn = fs.readFileSync(path.join(PROJECT_ROOT, 'src/db/schema.ts'), 'utf8');
    expect(await describeSchema(database.db)).toBe(checkedIn);
  });

  it('lists every migration file in migrations/index.ts, in order', () => {
    const files = fs
      .readdirSync(path.join(PROJECT_ROOT, 'migrations'))
      .filter((name) => name !== 'index.ts' && name.endsWith('.ts'))
      .map((name) => name.slice(0, -3))
      .sort();
    expect(Object.keys(migrations)).toEqual(files);
  });

  it('is fully migrated', async () => {
    expect(await pendingMigrations(database.db)).toEqual([]);
  });
});

describe('audit_events', () => {
  it('takes new rows and refuses UPDATE, DELETE and TRUNCATE', async () => {
    const { db } = database;
    await db.insertInto('audit_events').values({ actor_label: 'test', action: 'site.checked', target_type: 'site', target_id: '1', ip_address: '127.0.0.1' }).execute();
    await expect(db.updateTable('audit_events').set({ action: 'site.changed' }).execute()).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(db.deleteFrom('audit_events').execute()).rejects.toThrow(/append-only: DELETE refused/);
    await expect(sql`truncate audit_events`.execute(db)).rejects.toThrow(/append-only: TRUNCATE refused/);
    const rows = await db.selectFrom('audit_events').select(['action', 'actor_label']).execute();
    expect(rows).toEqual([{ action: 'site.checked', actor_label: 'test' }]);
  });

  it('names exactly one actor and a whole target', async () => {
    const { db } = database;
    await expect(db.insertInto('audit_events').values({ action: 'site.checked' }).execute()).rejects.toThrow(/audit_events_actor/);
    await expect(db.insertInto('audit_events').values({ actor_label: 'x', actor_member_id: 1, action: 'site.checked' }).execute()).rejects.toThrow(/audit_events_actor/);
    await expect(db.insertInto('audit_events').values({ actor_label: 'x', action: 'site.checked', target_type: 'site' }).execute()).rejects.toThrow(/audit_events_target/);
  });
});
