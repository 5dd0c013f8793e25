import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { sessionSecretsFor } from '../db/data-dir.js';
import { withScratchDatabase } from '../db/scratch.js';
import { generatedDocs } from '../lib/generated-docs.js';
import { PROJECT_ROOT } from '../lib/paths.js';
import { mailboxTransport } from '../mail/transport.js';
import type { RegisteredRoute } from '../plugins/access.js';

// `npm run docs`: rewrites the generated parts of README.md, SECURITY.md and .env.example. The
// route inventory is the real app's, built on a throw-away in-memory database.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-docs-'));
try {
  const routes = await withScratchDatabase(scratch, async (db): Promise<RegisteredRoute[]> => {
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: scratch, LOG_LEVEL: 'silent' });
    const database = { db, description: 'a scratch database', embedded: true, close: async () => undefined };
    const app = await buildApp({ config, database, transport: mailboxTransport(path.join(scratch, 'mail'), config.mailFrom), sessionSecrets: sessionSecretsFor(config), runJobs: false });
    await app.ready();
    const inventory = [...app.routeInventory];
    await app.close();
    return inventory;
  });
  const files = generatedDocs(routes, (file) => fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8'));
  for (const [file, text] of Object.entries(files)) {
    const target = path.join(PROJECT_ROOT, file);
    if (fs.readFileSync(target, 'utf8') === text) continue;
    fs.writeFileSync(target, text);
    console.log(`updated ${file}`);
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
