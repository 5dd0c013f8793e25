import { createRequire } from 'node:module';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import type * as ZxcvbnCommon from '@zxcvbn-ts/language-common';
import type * as ZxcvbnEn from '@zxcvbn-ts/language-en';
import { PASSWORD_MESSAGES } from './password-messages.js';

/**
 * Password rules from NIST SP 800-63B rev. 4 and ASVS 5.0 (6.2): length counted in code points
 * after NFKC, no composition rules, never trimmed, and a check against guessable passwords
 * and the member's own details instead.
 */
export const PASSWORD_LIMITS = { min: 15, max: 1024 } as const;

/**
 * Anything longer than this, in raw UTF-16 units, is refused before it is normalised, estimated
 * or hashed, so a 1 MB "password" costs a length comparison. Four units per code point leaves
 * room for any real password typed with combining marks.
 */
const RAW_LENGTH_CAP = 4 * PASSWORD_LIMITS.max;

/** Scores 0–4; 3 means "safely unguessable" against an online attack on a slow hash. */
const MIN_SCORE = 3;

export interface PasswordContext {
  email?: string;
  displayName?: string;
  handle?: string;
}

export type PasswordCheck = { ok: true; password: string } | { ok: false; reason: string };

/**
 * NFKC so the same password typed on another keyboard (full-width Latin, composed or decomposed
 * accents) is the same password. Never trimmed: spaces are part of it.
 */
export function normalisePassword(raw: string): string {
  return raw.normalize('NFKC');
}

export function checkPassword(raw: unknown, context: PasswordContext): PasswordCheck {
  if (typeof raw !== 'string' || raw.length === 0) return refuse(PASSWORD_MESSAGES.required);
  if (raw.length > RAW_LENGTH_CAP) return refuse(PASSWORD_MESSAGES.tooLong(PASSWORD_LIMITS.max));

  const password = normalisePassword(raw);
  const length = countCodePoints(password);
  if (length < PASSWORD_LIMITS.min) return refuse(PASSWORD_MESSAGES.tooShort(PASSWORD_LIMITS.min));
  if (length > PASSWORD_LIMITS.max) return refuse(PASSWORD_MESSAGES.tooLong(PASSWORD_LIMITS.max));
  // PostgreSQL text cannot hold NUL, and argon2 would hash a lone surrogate as U+FFFD, so two
  // different strings would share one password.
  if (password.includes('\0') || /\p{Cs}/u.test(password)) return refuse(PASSWORD_MESSAGES.invalidCharacter);

  const lower = password.toLowerCase();
  const localPart = emailLocalPart(context.email);
  if (localPart.length >= 3 && lower.includes(localPart)) return refuse(PASSWORD_MESSAGES.containsEmail);
  for (const name of [context.handle, context.displayName]) {
    const word = contextValue(name);
    if (word.length >= 4 && lower.includes(word)) return refuse(PASSWORD_MESSAGES.containsName);
  }

  const result = strengthEstimator().check(password, contextWords(context));
  if (result.score < MIN_SCORE) return refuse(PASSWORD_MESSAGES.tooGuessable(result.feedback.warning));
  return { ok: true, password };
}

function refuse(reason: string): PasswordCheck {
  return { ok: false, reason };
}

function countCodePoints(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

function contextValue(value: string | undefined): string {
  return normalisePassword(value ?? '').trim().toLowerCase();
}

/** `Jane.Doe+commons@finance.gov.au` → `jane.doe`. */
function emailLocalPart(email: string | undefined): string {
  const value = contextValue(email);
  const at = value.lastIndexOf('@');
  const local = at === -1 ? value : value.slice(0, at);
  return local.split('+')[0] ?? '';
}

/**
 * The member's own details for the estimator to treat as known words: whole, run together
 * (`jane.citizen` → `janecitizen`) and in pieces.
 */
function contextWords(context: PasswordContext): string[] {
  const whole = [emailLocalPart(context.email), contextValue(context.handle), contextValue(context.displayName)];
  const joined = whole.map((value) => value.replace(/[\s._-]+/gu, ''));
  const pieces = whole.flatMap((value) => value.split(/[\s._-]+/u));
  return [...new Set([...whole, ...joined, ...pieces])].filter((word) => word.length >= 3);
}

let estimator: ZxcvbnFactory | undefined;

// Synchronous and lazy: checkPassword stays a plain function, and the dictionaries (about
// 40 MB in memory) are loaded only by an instance that checks a password.
const loadOnFirstUse = createRequire(import.meta.url);

/**
 * Built on first use: loading and ranking the dictionaries takes ~150 ms and 40 MB, which
 * start-up, most tests and an instance that only serves pages need not pay. Levenshtein
 * matching is left off (it costs ~0.2 s a check), the l33t search is capped, and only the
 * first 64 characters are estimated: unbounded, a long random password takes seconds of CPU on
 * the event loop, and a password whose first 64 characters are hard to guess is hard to guess
 * whatever follows.
 */
function strengthEstimator(): ZxcvbnFactory {
  if (estimator) return estimator;
  const zxcvbnCommon = loadOnFirstUse('@zxcvbn-ts/language-common') as typeof ZxcvbnCommon;
  const zxcvbnEn = loadOnFirstUse('@zxcvbn-ts/language-en') as typeof ZxcvbnEn;
  estimator = new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
    l33tMaxSubstitutions: 10,
    maxLength: 64,
  });
  return estimator;
}
