import { isLoopbackHost } from '../src/config.js';
import { runCommand } from '../src/cli/run.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { FORUM_PASSWORD, FORUM_SIZES, seedForum, type ForumSizeName } from './forum-seed.js';
import { progress } from './site.js';

/**
 * `npm run bench:seed [-- full|small]`: the discussions benchmark's forum (bench/forum-seed.ts)
 * in the configured database, to look around in or to measure by hand. It migrates first and
 * refuses a database that already has members or threads. Every member's password is the same
 * and printed: development only, and only on this machine.
 */
const sizeName = (process.argv[2] ?? 'full') as ForumSizeName;
const databaseUrl = process.env.DATABASE_URL?.trim();
if (!(sizeName in FORUM_SIZES)) {
  console.error(`usage: npm run bench:seed -- [${Object.keys(FORUM_SIZES).join('|')}]`);
  process.exitCode = 1;
} else if (process.env.NODE_ENV === 'production') {
  console.error('npm run bench:seed adds members with a known password and is for development only; refused because NODE_ENV=production');
  process.exitCode = 1;
} else if (databaseUrl && !isLoopbackHost(new URL(databaseUrl).hostname)) {
  console.error('npm run bench:seed adds members with a known password; refused because DATABASE_URL is not on this machine');
  process.exitCode = 1;
} else {
  await runCommand(async (database) => {
    await migrateToLatest(database.db);
    const forum = await seedForum(database.db, FORUM_SIZES[sizeName], progress);
    console.log(`Seeded in ${forum.seconds.toFixed(1)} s: ${Object.entries(forum.counts).map(([name, count]) => `${count.toLocaleString('en-AU')} ${name}`).join(', ')}`);
    console.log(`The long thread: /t/${forum.longThread.id}/${forum.longThread.slug} (${forum.longThread.postCount} posts). Every member's password: ${FORUM_PASSWORD}`);
    return 0;
  });
}
