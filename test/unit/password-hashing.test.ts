import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit, PRODUCTION_HASH_SETTINGS, PasswordHasher } from '../../src/features/auth/password-hashing.js';
import { normalisePassword } from '../../src/features/auth/password-policy.js';
import { Overloaded } from '../../src/lib/errors.js';

const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
const password = 'correct horse battery staple';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets queued continuations run without relying on timers. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('PasswordHasher with the production settings', () => {
  it('defaults to argon2id with m = 64 MiB, t = 3, p = 1', async () => {
    expect(PRODUCTION_HASH_SETTINGS).toEqual({ memoryCost: 65536, timeCost: 3, parallelism: 1 });
    const hasher = new PasswordHasher();
    const hash = await hasher.hash(password);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=1\$/);
    expect(hasher.needsRehash(hash)).toBe(false);
  });

  it('asks for a rehash of a hash made with cheaper settings', async () => {
    const cheapHash = await new PasswordHasher(CHEAP).hash(password);
    expect(new PasswordHasher(PRODUCTION_HASH_SETTINGS).needsRehash(cheapHash)).toBe(true);
  });
});

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(CHEAP, new ConcurrencyLimit(2, 4));

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hasher.hash(password);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    await expect(hasher.verify(hash, password)).resolves.toBe(true);
    await expect(hasher.verify(hash, 'correct horse battery stapler')).resolves.toBe(false);
  });

  it('verifies a password typed in full-width characters against the hash of its ASCII form', async () => {
    const hash = await hasher.hash(normalisePassword(password));
    await expect(hasher.verify(hash, normalisePassword('ｃｏｒｒｅｃｔ　ｈｏｒｓｅ　ｂａｔｔｅｒｙ　ｓｔａｐｌｅ'))).resolves.toBe(true);
  });

  it('keeps leading and trailing spaces: a password with a leading space does not verify without it', async () => {
    const hash = await hasher.hash(` ${password}`);
    await expect(hasher.verify(hash, ` ${password}`)).resolves.toBe(true);
    await expect(hasher.verify(hash, password)).resolves.toBe(false);
    await expect(hasher.verify(hash, ` ${password} `)).resolves.toBe(false);
  });

  it('hashes and verifies emoji', async () => {
    const emoji = '🦘🐨🦆🌿🔥🌊🪃🏏🦘🐨🦆🌿🔥🌊🪃';
    await expect(hasher.verify(await hasher.hash(emoji), emoji)).resolves.toBe(true);
  });

  it('answers false, never throws, for a malformed or missing stored hash', async () => {
    const good = await hasher.hash(password);
    for (const stored of ['', 'not a hash', '$argon2id$v=19$m=1024,t=1,p=1$', good.slice(0, -10), '$2b$10$abcdefghijklmnopqrstuv', null as unknown as string]) {
      await expect(hasher.verify(stored, password)).resolves.toBe(false);
    }
  });

  it('asks for a rehash of a malformed hash or another algorithm instead of throwing', () => {
    expect(hasher.needsRehash('not a hash')).toBe(true);
    expect(hasher.needsRehash('$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g')).toBe(true);
  });

  it('refuses a 1 MB password without hashing it', async () => {
    const huge = 'x'.repeat(1024 * 1024);
    await expect(hasher.hash(huge)).rejects.toThrow(RangeError);
    await expect(hasher.verify(await hasher.hash(password), huge)).resolves.toBe(false);
  });

  it('verifyDummy always answers false: the dummy is made from random bytes', async () => {
    await expect(hasher.verifyDummy(password)).resolves.toBe(false);
    await expect(hasher.verifyDummy('')).resolves.toBe(false);
  });

  it('makes the dummy hash once, with its own settings', async () => {
    const dummy = await hasher.prepare();
    expect(dummy).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    await hasher.verifyDummy(password);
    await expect(hasher.prepare()).resolves.toBe(dummy);
  });

  it('runs at most two of six simultaneous hashes at once; the rest queue and all finish', async () => {
    const limit = new ConcurrencyLimit(2, 4);
    const limited = new PasswordHasher(CHEAP, limit);
    const hashes = Array.from({ length: 6 }, (_, i) => limited.hash(`${password} ${i}`));
    expect(limit.active).toBe(2);
    expect(limit.waiting).toBe(4);
    const results = await Promise.all(hashes);
    expect(new Set(results).size).toBe(6);
    expect(limit.active).toBe(0);
  });

  it('throws Overloaded from verify when the queue is full, rather than answering "wrong password"', async () => {
    const limit = new ConcurrencyLimit(1, 0);
    const limited = new PasswordHasher(CHEAP, limit);
    const hash = await limited.hash(password);
    const gate = deferred();
    const held = limit.run(() => gate.promise);
    await expect(limited.verify(hash, password)).rejects.toBeInstanceOf(Overloaded);
    await expect(limited.verifyDummy(password)).rejects.toBeInstanceOf(Overloaded);
    gate.resolve();
    await held;
    await expect(limited.verify(hash, password)).resolves.toBe(true);
  });
});

describe('ConcurrencyLimit', () => {
  it('runs up to its maximum at once and starts the next when one finishes, in arrival order', async () => {
    const limit = new ConcurrencyLimit(2, 3);
    const gates = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    const runs = gates.map((gate, i) => limit.run(async () => (started.push(i), await gate.promise, i)));

    await settle();
    expect(started).toEqual([0, 1]);
    expect([limit.active, limit.waiting]).toEqual([2, 3]);

    gates[1]!.resolve();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    expect([limit.active, limit.waiting]).toEqual([2, 2]);

    for (const gate of gates) gate.resolve();
    await expect(Promise.all(runs)).resolves.toEqual([0, 1, 2, 3, 4]);
    expect([limit.active, limit.waiting]).toEqual([0, 0]);
  });

  it('frees the slot when a task fails, and passes the failure to its caller', async () => {
    const limit = new ConcurrencyLimit(1, 1);
    const failing = limit.run(() => Promise.reject(new Error('boom')));
    const next = limit.run(async () => 'next');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
    expect(limit.active).toBe(0);
  });

  it('refuses a maximum below one', () => {
    expect(() => new ConcurrencyLimit(0, 1)).toThrow(RangeError);
    expect(() => new ConcurrencyLimit(1.5, 1)).toThrow(RangeError);
    expect(() => new ConcurrencyLimit(1, -1)).toThrow(RangeError);
  });

  it('refuses at once with 503 and Retry-After past its queue, and takes work again once the queue moves', async () => {
    const limit = new ConcurrencyLimit(2, 2);
    const gates = Array.from({ length: 4 }, deferred);
    const runs = gates.map((gate, i) => limit.run(async () => (await gate.promise, i)));
    await settle();
    expect([limit.active, limit.waiting]).toEqual([2, 2]);

    const refused = limit.run(async () => 'never run');
    await expect(refused).rejects.toBeInstanceOf(Overloaded);
    await expect(refused).rejects.toMatchObject({ statusCode: 503, headers: { 'retry-after': expect.stringMatching(/^[1-9]\d*$/) } });
    expect([limit.active, limit.waiting]).toEqual([2, 2]);

    gates[0]!.resolve();
    await settle();
    expect([limit.active, limit.waiting]).toEqual([2, 1]);
    const taken = limit.run(async () => 'taken');
    for (const gate of gates) gate.resolve();
    await expect(Promise.all(runs)).resolves.toEqual([0, 1, 2, 3]);
    await expect(taken).resolves.toBe('taken');
    expect([limit.active, limit.waiting]).toEqual([0, 0]);
  });
});
