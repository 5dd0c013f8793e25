import { afterEach, describe, expect, it, vi } from 'vitest';
import { PASSWORD_MESSAGES } from '../../src/features/auth/password-messages.js';
import { PASSWORD_LIMITS, checkPassword, normalisePassword } from '../../src/features/auth/password-policy.js';

/** Deterministic random-looking text, so the strength estimator has nothing to object to. */
function randomLooking(length: number, seed = 7): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789#%&*+=?';
  let state = seed;
  let text = '';
  for (let i = 0; i < length; i += 1) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    text += alphabet[state % alphabet.length];
  }
  return text;
}

const codePoints = (text: string) => [...text].length;
const context = { email: 'jane.citizen+commons@finance.gov.au', displayName: 'Jane Citizen', handle: 'janec' };
const tooShort = PASSWORD_MESSAGES.tooShort(PASSWORD_LIMITS.min);
const tooLong = PASSWORD_MESSAGES.tooLong(PASSWORD_LIMITS.max);

describe('checkPassword: length', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('sets the limits at 15 and 1,024 code points', () => {
    expect(PASSWORD_LIMITS).toEqual({ min: 15, max: 1024 });
  });

  it('refuses 14 code points, naming the minimum', () => {
    expect(checkPassword(randomLooking(14), context)).toEqual({ ok: false, reason: tooShort });
    expect(tooShort).toContain('15');
  });

  it('accepts exactly 15 code points', () => {
    const password = randomLooking(15);
    expect(checkPassword(password, context)).toEqual({ ok: true, password });
  });

  it('accepts exactly 1,024 code points', () => {
    const password = randomLooking(1024);
    expect(checkPassword(password, context)).toEqual({ ok: true, password });
  });

  it('refuses 1,025 code points, naming the maximum', () => {
    expect(checkPassword(randomLooking(1025), context)).toEqual({ ok: false, reason: tooLong });
    expect(tooLong).toContain('1,024');
  });

  it('counts code points, not UTF-16 units (8 emoji are 16 units but too short)', () => {
    const eight = '🦘🐨🦆🌿🔥🌊🪃🏏';
    expect(eight.length).toBe(16);
    expect(checkPassword(eight, context)).toEqual({ ok: false, reason: tooShort });
  });

  it('counts after NFKC, so a ligature that expands to enough letters is long enough', () => {
    // U+FB03 "ﬃ" is one code point that NFKC turns into "ffi".
    const raw = `${randomLooking(13)}\uFB03`;
    expect(codePoints(raw)).toBe(14);
    expect(checkPassword(raw, context)).toEqual({ ok: true, password: `${randomLooking(13)}ffi` });
  });

  it('refuses a 1 MB password with the length reason before normalising or estimating it', () => {
    const normalize = vi.spyOn(String.prototype, 'normalize');
    const huge = randomLooking(1024).repeat(1024);
    expect(checkPassword(huge, context)).toEqual({ ok: false, reason: tooLong });
    expect(normalize).not.toHaveBeenCalled();
    checkPassword(randomLooking(15), context);
    expect(normalize).toHaveBeenCalled();
  });

  it('refuses anything that is not a string, and the empty string', () => {
    for (const value of [undefined, null, 123, ['a'.repeat(20)], { length: 20 }, '']) {
      expect(checkPassword(value, context)).toEqual({ ok: false, reason: PASSWORD_MESSAGES.required });
    }
  });
});

describe('checkPassword: characters', () => {
  it('keeps leading and trailing spaces', () => {
    const password = `  ${randomLooking(15)} `;
    expect(checkPassword(password, context)).toEqual({ ok: true, password });
  });

  it('accepts emoji and other scripts', () => {
    for (const password of ['🦘🐨🦆🌿🔥🌊🪃🏏🦘🐨🦆🌿🔥🌊🪃', 'кенгуру любит 🌿 эвкалипт']) {
      expect(checkPassword(password, context)).toEqual({ ok: true, password });
    }
  });

  it('returns the NFKC form, so full-width typing gives the ASCII password', () => {
    const fullWidth = 'ｃｏｒｒｅｃｔ　ｈｏｒｓｅ　ｂａｔｔｅｒｙ　ｓｔａｐｌｅ';
    expect(checkPassword(fullWidth, context)).toEqual({ ok: true, password: 'correct horse battery staple' });
    expect(normalisePassword(fullWidth)).toBe('correct horse battery staple');
  });

  it('refuses a NUL and a lone surrogate', () => {
    for (const password of [`${randomLooking(15)}\0`, `${randomLooking(15)}\uD800`]) {
      expect(checkPassword(password, context)).toEqual({ ok: false, reason: PASSWORD_MESSAGES.invalidCharacter });
    }
  });

  it('has no composition rules: a lower-case passphrase passes', () => {
    expect(checkPassword('correct horse battery staple', context).ok).toBe(true);
  });
});

describe('checkPassword: guessable passwords', () => {
  it('refuses Password12345678 with the estimator’s warning', () => {
    const result = checkPassword('Password12345678', context);
    expect(result).toEqual({ ok: false, reason: PASSWORD_MESSAGES.tooGuessable('This is similar to a commonly used password.') });
  });

  it('refuses a long but repetitive password', () => {
    expect(checkPassword('a'.repeat(20), context).ok).toBe(false);
  });

  it('refuses a password containing the email’s local part, in any case, ignoring the +tag', () => {
    const result = checkPassword(`${randomLooking(10)}JANE.Citizen${randomLooking(5, 3)}`, context);
    expect(result).toEqual({ ok: false, reason: PASSWORD_MESSAGES.containsEmail });
  });

  it('refuses a password equal to the email address', () => {
    expect(checkPassword('jane.citizen@finance.gov.au', context)).toEqual({ ok: false, reason: PASSWORD_MESSAGES.containsEmail });
  });

  it('ignores a local part shorter than 3 characters', () => {
    const password = `jo${randomLooking(15)}`;
    expect(checkPassword(password, { email: 'jo@finance.gov.au' })).toEqual({ ok: true, password });
  });

  it('refuses a password containing the handle or the display name', () => {
    const withHandle = `${randomLooking(12)}JaneC${randomLooking(4, 5)}`;
    const withName = `${randomLooking(12)}jane citizen${randomLooking(4, 5)}`;
    expect(checkPassword(withHandle, context)).toEqual({ ok: false, reason: PASSWORD_MESSAGES.containsName });
    expect(checkPassword(withName, { displayName: 'Jane Citizen' })).toEqual({ ok: false, reason: PASSWORD_MESSAGES.containsName });
  });

  it('ignores a handle shorter than 4 characters', () => {
    const password = `${randomLooking(15)}jcz`;
    expect(checkPassword(password, { handle: 'jcz' })).toEqual({ ok: true, password });
  });

  it('passes the member’s details to the estimator, so their pieces of name count as guessable', () => {
    const password = 'hvandermeernesbitt1';
    expect(checkPassword(password, {}).ok).toBe(true);
    expect(checkPassword(password, { email: 'h.vandermeer-nesbitt@finance.gov.au' })).toEqual({
      ok: false,
      reason: PASSWORD_MESSAGES.tooGuessable('There should not be any personal or page related data.'),
    });
  });
});
