import { listFailedEmails, retryFailedEmails } from '../mail/outbox.js';
import { runCommand } from './run.js';

const USAGE = `usage:
  npm run mail -- failed           list emails that used up their attempts
  npm run mail -- retry            queue every failed email again
  npm run mail -- retry ID [ID…]   queue the given failed emails again`;

const [command, ...args] = process.argv.slice(2);

await runCommand(async (database) => {
  if (command === 'failed') {
    const failed = await listFailedEmails(database.db);
    if (failed.length === 0) console.log('no failed emails');
    for (const email of failed) {
      console.log(`${email.id}\t${email.failedAt?.toISOString() ?? ''}\t${email.kind}\t${email.to}\t${email.subject}\t(${email.attempts} attempts: ${email.lastError ?? 'no error recorded'})`);
    }
    return 0;
  }
  if (command === 'retry') {
    const ids = args.map(Number);
    if (ids.some((id) => !Number.isSafeInteger(id) || id < 1)) {
      console.error(`not an email id: ${args.join(' ')}\n${USAGE}`);
      return 2;
    }
    const queued = await retryFailedEmails(database.db, ids.length > 0 ? ids : undefined);
    console.log(`queued ${queued} failed email(s) again; a running Commons sends them within its poll interval`);
    return 0;
  }
  console.error(USAGE);
  return 2;
});
