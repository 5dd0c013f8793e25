import { isLoopbackHost } from '../config.js';
import { migrateToLatest } from '../db/migrate.js';
import { createDeps } from '../deps.js';
import { DEMO_AGENCIES, seedDemoData } from '../features/admin/demo-data.js';
import { seedDemoForum } from '../features/admin/demo-forum.js';
import { seedDemoLibrary } from '../features/admin/demo-library.js';
import { runCommand } from './run.js';
import { formatTable } from './table.js';

/**
 * `npm run seed`: demo agencies, domain rules and members, and a forum of their conversations, so
 * a visitor can look around. The members' passwords are printed once and stored nowhere but as hashes. Development only: the
 * check comes before the settings are read or any database is opened, so a production
 * environment is never touched.
 */
if (process.env.NODE_ENV === 'production') {
  console.error('npm run seed adds demo members and is for development only; refused because NODE_ENV=production');
  process.exitCode = 1;
} else if (process.env.DATABASE_URL && !isLoopbackDatabase(process.env.DATABASE_URL)) {
  // Demo members have known passwords: never on a database that lives on another machine.
  console.error('npm run seed adds demo members with known passwords; refused because DATABASE_URL is not on this machine');
  process.exitCode = 1;
} else {
  await runCommand(async (database, config) => {
    // As `npm start` does by default: a fresh clone can seed before it has ever started.
    const applied = await migrateToLatest(database.db);
    if (applied.length > 0) console.log(`applied migrations: ${applied.join(', ')}`);
    // No mail worker runs here; nothing the seed does sends email (notifications stay in the app).
    const deps = createDeps({ db: database.db, config });
    // The demo's times are on the site's clock, which /admin/settings may have changed.
    await deps.settings.refresh();
    const report = await seedDemoData(deps, { actorLabel: 'seed' });

    if (report.agenciesAdded.length > 0) console.log(`added agencies: ${report.agenciesAdded.join(', ')}`);
    if (report.rulesAdded.length > 0) console.log(`added allow rules: ${report.rulesAdded.join(', ')}`);
    if (report.membersAdded.length > 0) {
      console.log(`\n${formatTable([['email', 'role', 'password'], ...report.membersAdded.map((m) => [m.email, m.role, m.password])])}\n`);
      console.log('These passwords are shown this once and kept nowhere else (only their hashes are stored): copy them now.');
      console.log(`Sign in at ${new URL('/login', config.publicUrl).toString()}`);
    }
    if (report.membersSkipped.length > 0) {
      console.log(`already there, left alone (passwords not shown; use "Forgotten your password?" on the sign-in page to set a new one): ${report.membersSkipped.join(', ')}`);
    }
    if (report.agenciesAdded.length + report.rulesAdded.length + report.membersAdded.length === 0) {
      console.log(`the demo members are already there (${DEMO_AGENCIES.length} agencies under services.example); none added`);
    }
    const forum = await seedDemoForum(deps);
    if (forum.kind === 'added') console.log(`added the demo forum: ${forum.threads} threads and ${forum.replies} replies`);
    if (forum.kind === 'already-there') console.log('the demo forum is already there; nothing added');
    if (forum.kind === 'missing') {
      console.error(`the demo forum was not added: missing ${forum.missing.join(', ')}`);
      return 1;
    }
    const library = await seedDemoLibrary(deps, { actorLabel: 'seed' });
    if (library.kind === 'added') console.log(`added the demo library: ${library.resources} resources and ${library.files} files`);
    if (library.kind === 'already-there') console.log('the demo library is already there; nothing added');
    if (library.kind === 'missing') {
      console.error(`the demo library was not added: missing ${library.missing.join(', ')}`);
      return 1;
    }
    return 0;
  });
}

function isLoopbackDatabase(url: string): boolean {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || parsed.searchParams.get('host') || '';
    return host.startsWith('/') || isLoopbackHost(host);
  } catch {
    return false;
  }
}
