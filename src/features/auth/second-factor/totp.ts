import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

/**
 * TOTP as RFC 6238 and every authenticator app have it: SHA-1, six digits, 30-second steps,
 * a 160-bit secret. A code from the step before or after is accepted, for a phone's clock that
 * is a little out; which step it matched is returned so that step can be spent.
 */
const PERIOD_SECONDS = 30;
const ACCEPTED_DRIFT_STEPS = 1;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totpFor(secret: string, label = '', issuer = '') {
  return new TOTP({ secret: Secret.fromBase32(secret), issuer, label, algorithm: 'SHA1', digits: 6, period: PERIOD_SECONDS });
}

/** The time-step the code belongs to, or undefined when it matches none near `at`. */
export function matchingTotpStep(secret: string, code: string, at: Date): number | undefined {
  const delta = totpFor(secret).validate({ token: code, timestamp: at.getTime(), window: ACCEPTED_DRIFT_STEPS });
  return delta === null ? undefined : Math.floor(at.getTime() / 1000 / PERIOD_SECONDS) + delta;
}

/** The code for `at` (tests, and the browser test's "authenticator app"). */
export function totpCode(secret: string, at: Date): string {
  return totpFor(secret).generate({ timestamp: at.getTime() });
}

/** The set-up QR code, drawn here as SVG: no script, and the secret never leaves for a QR service. */
export async function totpQrSvg(secret: string, label: string, issuer: string): Promise<string> {
  return QRCode.toString(totpFor(secret, label, issuer).toString(), { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
}

/** The secret in groups of four, easier to type into an app that cannot scan. */
export function groupedSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

/**
 * Recovery codes: 100 random bits each, as four groups of five base32 letters. Stored as SHA-256
 * alone: at 100 bits a code cannot be found from its hash, so no slow hash is needed.
 */
export const RECOVERY_CODE_COUNT = 10;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(20);
    const letters = [...bytes].map((byte) => BASE32[byte & 31]).join('');
    return letters.replace(/(.{5})(?=.)/g, '$1-');
  });
}

/** A code as a person may type it back: any case, with or without the hyphens and spaces. */
export function normaliseRecoveryCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, '');
}

export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(normaliseRecoveryCode(code)).digest('base64url');
}
