import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A server in a process of its own, for a bench that measures it from outside: its memory is
 * its own (read from the operating system), and the load client does not share its event loop.
 */
export interface ChildServer {
  pid: number;
  origin: string;
  /** The process, for messages when it was started with `ipc`. */
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has gone. */
  stop(graceMs?: number): Promise<void>;
}

const READY_LIMIT_MS = 60_000;

/**
 * Starts `node [nodeArgs] script` with exactly `env` (and PATH), sends its output to `output`,
 * and waits until GET `readyPath` answers 200 (for up to `readyLimitMs`, 60 s unless told).
 */
export async function startServer(options: { script: URL; nodeArgs?: string[]; env: Record<string, string>; origin: string; readyPath: string; output: Writable; ipc?: boolean; readyLimitMs?: number }): Promise<ChildServer> {
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script.pathname], {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? ['ipc' as const] : [])],
  });
  child.stdout!.pipe(options.output, { end: false });
  child.stderr!.pipe(options.output, { end: false });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });

  const stop = async (graceMs = 20_000) => {
    if (gone) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(killer);
  };

  const readyLimitMs = options.readyLimitMs ?? READY_LIMIT_MS;
  const deadline = Date.now() + readyLimitMs;
  for (;;) {
    if (gone) throw new Error(`${options.script.pathname} exited before it was ready (code ${await exited})`);
    try {
      const response = await fetch(new URL(options.readyPath, options.origin));
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${options.script.pathname} was not ready within ${readyLimitMs / 1000} s`);
    }
    await sleep(100);
  }
  return { pid: child.pid!, origin: options.origin, child, stop };
}

/** A process's resident memory in bytes (Linux: /proc; elsewhere: ps). */
export function residentBytes(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    if (kib) return Number(kib) * 1024;
  } catch {
    // Not Linux, or the process has gone.
  }
  const kib = execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  return Number(kib) * 1024;
}

/** Samples a process's resident memory while running; stop() gives the peak seen. */
export function sampleResidentMemory(pid: number, intervalMs = 100): { stop(): number } {
  let peak = residentBytes(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, residentBytes(pid));
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, residentBytes(pid));
    },
  };
}

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time (user and system) a process has used, in milliseconds; undefined where /proc cannot
 * tell (not Linux, or the process has gone). Steadier than throughput on a shared machine:
 * others' work delays a request but does not add to its CPU time.
 */
export function cpuMillis(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields from the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * The WebAssembly memories in a process, added up (Linux only; undefined elsewhere): V8 reserves
 * several GiB of address space for each and makes only its current size readable and writable,
 * so each shows in /proc/<pid>/smaps as a read-write mapping followed directly by a large
 * inaccessible one. In the app they are PGlite's: PostgreSQL's whole memory (and, while it
 * lasts, initdb's).
 */
export function wasmMemory(pid: number): { sizeBytes: number; residentBytes: number } | undefined {
  let smaps: string;
  try {
    smaps = fs.readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return undefined;
  }
  const mappings = [...smaps.matchAll(/^([0-9a-f]+)-([0-9a-f]+) (\S{4})[^\n]*\n(?:(?![0-9a-f]+-)[^\n]*\n)*?Rss:\s+(\d+) kB/gm)].map((match) => ({
    start: BigInt(`0x${match[1]}`),
    end: BigInt(`0x${match[2]}`),
    permissions: match[3]!,
    residentBytes: Number(match[4]) * 1024,
  }));
  const GUARD_MIN = 1n << 30n;
  const total = { sizeBytes: 0, residentBytes: 0 };
  for (let i = 0; i + 1 < mappings.length; i += 1) {
    const memory = mappings[i]!;
    const guard = mappings[i + 1]!;
    if (memory.permissions.startsWith('rw') && guard.permissions === '---p' && guard.start === memory.end && guard.end - guard.start >= GUARD_MIN) {
      total.sizeBytes += Number(memory.end - memory.start);
      total.residentBytes += memory.residentBytes;
    }
  }
  return total;
}
