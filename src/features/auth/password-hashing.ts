import { randomBytes } from 'node:crypto';
import * as argon2 from 'argon2';
import { Overloaded } from '../../lib/errors.js';
import { PASSWORD_LIMITS, normalisePassword } from './password-policy.js';

export interface HashSettings {
  /** KiB */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** ../shared/SECURITY.md bar item 2 and OWASP's argon2id row: m = 64 MiB, t = 3, p = 1. */
export const PRODUCTION_HASH_SETTINGS: Readonly<HashSettings> = Object.freeze({ memoryCost: 65536, timeCost: 3, parallelism: 1 });

/** Hash and verify refuse strings no password could be, without doing any work on them. */
const RAW_LENGTH_CAP = 4 * PASSWORD_LIMITS.max;

/** How long a client told "busy" is asked to wait: a few hashes' time. */
const BUSY_RETRY_AFTER_SECONDS = 5;

/**
 * A first-in, first-out semaphore: at most `max` tasks run at once and at most `maxWaiting`
 * wait their turn. Past that, `run` refuses at once with Overloaded (503 with Retry-After):
 * a queue without a bound turns a flood into minutes of waiting for everyone.
 */
export class ConcurrencyLimit {
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(
    readonly max: number,
    readonly maxWaiting: number,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('ConcurrencyLimit needs a whole number of at least 1');
    if (!Number.isInteger(maxWaiting) || maxWaiting < 0) throw new RangeError('ConcurrencyLimit needs a whole number of waiting places');
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(): Promise<void> {
    if (this.#active < this.max) {
      this.#active += 1;
      return Promise.resolve();
    }
    if (this.#waiting.length >= this.maxWaiting) return Promise.reject(new Overloaded(BUSY_RETRY_AFTER_SECONDS));
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    // The slot passes straight to the next caller, so a newcomer cannot overtake the queue.
    if (next) next();
    else this.#active -= 1;
  }
}

/**
 * Hashes and verifies share two slots per app (one app per process). Each argon2 run holds
 * 64 MiB and a core for ~0.3 s; unbounded, a burst of sign-ins would take memory and CPU from
 * everything else (and is an easy denial of service). Callers past the second wait in line,
 * up to PASSWORD_HASH_QUEUE of them (the default here serves the commands and tests).
 */
export const HASHES_AT_ONCE = 2;
const DEFAULT_HASH_QUEUE = 16;

/**
 * node-argon2 0.45 writes `m=…,p=…,t=…` (ranisalt/node-argon2#559, open). The PHC string format
 * requires m,t,p, and libargon2 and libsodium refuse any other order, so reorder to keep stored
 * hashes portable. node-argon2 reads either order; once it is fixed this matches nothing.
 */
function phcParameterOrder(hash: string): string {
  return hash.replace(/^(\$argon2id\$v=\d+\$)m=(\d+),p=(\d+),t=(\d+)\$/, '$1m=$2,t=$4,p=$3$$');
}

export class PasswordHasher {
  readonly settings: Readonly<HashSettings>;
  readonly #limit: ConcurrencyLimit;
  #dummyHash: Promise<string> | undefined;

  constructor(settings: HashSettings = PRODUCTION_HASH_SETTINGS, limit: ConcurrencyLimit = new ConcurrencyLimit(HASHES_AT_ONCE, DEFAULT_HASH_QUEUE)) {
    this.settings = Object.freeze({ ...settings });
    this.#limit = limit;
  }

  /** Takes the password as typed or already normalised (NFKC is idempotent). */
  async hash(password: string): Promise<string> {
    if (password.length > RAW_LENGTH_CAP) throw new RangeError('Password is longer than any accepted password; check it with checkPassword first');
    const normalised = normalisePassword(password);
    const hash = await this.#limit.run(() => argon2.hash(normalised, { ...this.settings, type: argon2.argon2id }));
    return phcParameterOrder(hash);
  }

  /**
   * False for a wrong password, an impossible one, or a stored hash that cannot be read.
   * Throws Overloaded when the queue is full: "busy" is not a wrong password.
   */
  async verify(hash: string, password: string): Promise<boolean> {
    if (typeof hash !== 'string' || !hash.startsWith('$argon2')) return false;
    if (typeof password !== 'string' || password.length > RAW_LENGTH_CAP) return false;
    const normalised = normalisePassword(password);
    return this.#limit.run(() => argon2.verify(hash, normalised).catch(() => false));
  }

  /** True when the hash was made with other settings or another algorithm: rehash at sign-in. */
  needsRehash(hash: string): boolean {
    if (typeof hash !== 'string' || !hash.startsWith('$argon2id$')) return true;
    try {
      return argon2.needsRehash(hash, this.settings);
    } catch {
      return true;
    }
  }

  /**
   * Does the work of a real verify and always answers false, so signing in with an unknown
   * address takes as long as with a member's (no membership oracle from timing).
   */
  async verifyDummy(password: string): Promise<false> {
    await this.verify(await this.prepare(), password);
    return false;
  }

  /**
   * Makes the dummy hash (once, with these settings). Call at start-up so the first unknown
   * address does not pay for it; otherwise the first verifyDummy does.
   */
  prepare(): Promise<string> {
    this.#dummyHash ??= this.hash(randomBytes(32).toString('base64url')).catch((error: unknown) => {
      this.#dummyHash = undefined;
      throw error;
    });
    return this.#dummyHash;
  }
}
