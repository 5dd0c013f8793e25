import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/**
 * Makes fresh directories under the system's temporary directory, all removed after the tests
 * of the calling scope (the file, or the describe block it is called in). Call it before any
 * afterAll that stops a process using the directories, so they are removed after it stops.
 */
export function useTempDirs(prefix: string): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `commons-${prefix}-`));
    made.push(dir);
    return dir;
  };
}
