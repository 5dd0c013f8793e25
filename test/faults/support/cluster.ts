import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../support/process.js';

/**
 * A PostgreSQL server of the fault suite's own: initdb into a temporary directory, its own port
 * and socket directory, so a test can crash it (`pg_ctl stop -m immediate`) and start it again
 * without disturbing the machine's server or any other test file.
 */
export interface Cluster {
  /** A connection URL for the `postgres` database; swap the path for another database. */
  url: string;
  port: number;
  dataDir: string;
  /**
   * Kills the server as a power cut would: no checkpoint, crash recovery at the next start.
   * Asynchronous, like `start`, so the test's own clients go on timing their answers meanwhile.
   */
  crash(): Promise<void>;
  start(): Promise<void>;
  destroy(): void;
}

const BIN_DIR = process.env.PG_BIN_DIR ?? execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();

// initdb and postgres refuse to run as root; CI runs as root, a developer usually does not.
const asServerUser = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];

function commandLine(program: string, args: string[]): [string, string[]] {
  const [command, ...rest] = [...asServerUser, path.join(BIN_DIR, program), ...args];
  return [command!, rest];
}

function run(program: string, args: string[], { check = true } = {}): void {
  const result = spawnSync(...commandLine(program, args), { encoding: 'utf8', cwd: os.tmpdir() });
  if (check && result.status !== 0) throw new Error(`${program} ${args.join(' ')} failed (${result.status}):\n${result.stdout}${result.stderr}`);
}

const execFileAsync = promisify(execFile);

/** As `run`, without blocking this process's event loop while the program runs; throws if it fails. */
async function runInBackground(program: string, args: string[]): Promise<void> {
  await execFileAsync(...commandLine(program, args), { encoding: 'utf8', cwd: os.tmpdir() });
}

export async function startCluster(): Promise<Cluster> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-faults-pg-'));
  if (asServerUser.length > 0) execFileSync('chown', ['postgres:', root]);
  const dataDir = path.join(root, 'data');
  const port = await freePort();
  run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale', 'C.UTF-8', '--no-instructions']);
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=32MB`;
  const stopArgs = ['stop', '-D', dataDir, '-m', 'immediate', '-w'];
  const startArgs = ['start', '-D', dataDir, '-w', '-t', '60', '-l', path.join(root, 'server.log'), '-o', options];
  await runInBackground('pg_ctl', startArgs);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    crash: () => runInBackground('pg_ctl', stopArgs),
    start: () => runInBackground('pg_ctl', startArgs),
    destroy: () => {
      run('pg_ctl', stopArgs, { check: false });
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
