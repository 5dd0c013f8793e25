import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeSchema } from '../db/describe-schema.js';
import { withScratchDatabase } from '../db/scratch.js';

// Run as `npm run db:types` from the repository root after adding a migration.
const target = path.resolve('src/db/schema.ts');
const source = await withScratchDatabase(os.tmpdir(), describeSchema);
fs.writeFileSync(target, source);
console.log(`wrote ${target}`);
