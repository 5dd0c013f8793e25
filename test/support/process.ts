import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/lib/paths.js';

/** Commons as an operator runs it: the built server (dist/, made by the global setup) in its own process. */
export interface ServerProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The environment a fresh machine has: none of the developer's database or mail settings. */
export function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of ['DATABASE_URL', 'SMTP_URL', 'SESSION_SECRET', 'PUBLIC_URL', 'NODE_ENV', 'REDIS_URL', 'HOST', 'PORT', 'DATA_DIR']) delete base[name];
  return { ...base, ...env };
}

export function runNode(script: string, env: Record<string, string>, args: string[] = []): ServerProcess {
  return run(process.execPath, [path.join(PROJECT_ROOT, 'dist/src', script), ...args], env);
}

/** An npm command in the project, as an operator or a supervisor runs it. */
export function runNpm(args: string[], env: Record<string, string>): ServerProcess {
  return run('npm', args, env);
}

function run(command: string, args: string[], env: Record<string, string>): ServerProcess {
  const child = spawn(command, args, { cwd: PROJECT_ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * Starts server.js on a free port. The port is free when freePort looks, but the server binds it
 * seconds later (the embedded database starts first), and a socket of a test running alongside
 * can take it meanwhile: that start is retried on another port.
 */
export async function startServer(env: Record<string, string>, running: ServerProcess[], timeoutMs = 30_000): Promise<{ server: ServerProcess; port: number }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const server = runNode('server.js', { ...env, PORT: String(port) });
    running.push(server);
    try {
      await waitForOutput(server, 'Commons is ready', timeoutMs);
      return { server, port };
    } catch (error) {
      if (attempt >= 3 || !server.output().includes('EADDRINUSE')) throw error;
      await server.exited;
    }
  }
}

export async function waitForOutput(server: ServerProcess, text: string, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!server.output().includes(text)) {
    if (server.child.exitCode !== null) throw new Error(`exited (${server.child.exitCode}) before saying "${text}":\n${server.output()}`);
    if (Date.now() - started > timeoutMs) throw new Error(`did not say "${text}" within ${timeoutMs} ms:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
