import { z } from 'zod';
import { textField } from '../../../lib/forms.js';
import { SECOND_FACTOR_MESSAGES as M } from './messages.js';

const csrf = z.string();

// Spaces are allowed (apps show "123 456"), and hyphens in a recovery code.
const typedCode = (message: string) =>
  z.preprocess((value) => value ?? '', z.string({ error: message }).max(64, message).transform((value) => value.replace(/[\s-]/g, '')));

/** The code at set-up: six digits from the app being set up. */
export const TotpSetupForm = z.strictObject({ _csrf: csrf, code: typedCode(M.setupCodeShape).pipe(z.string().regex(/^[0-9]{6}$/, M.setupCodeShape)) });

/** A code at the second step or step-up: six digits, or a 20-character recovery code. */
export const SecondFactorCodeForm = z.strictObject({
  _csrf: csrf,
  code: typedCode(M.codeShape).pipe(z.string().min(1, M.codeRequired).regex(/^(?:[0-9]{6}|[A-Za-z2-7]{20})$/, M.codeShape)),
  next: z.string().optional(),
});

export const PASSKEY_NAME_MAX = 60;
// A WebAuthn response is a few hundred bytes of JSON; an attestation with certificates, a few KB.
const PASSKEY_RESPONSE_MAX = 16_000;

export const PasskeyRegistrationForm = z.strictObject({
  _csrf: csrf,
  name: textField({ label: 'Passkey name', max: PASSKEY_NAME_MAX, required: M.passkeyNameRequired }),
  response: z.string({ error: M.passkeyResponseMissing }).min(1, M.passkeyResponseMissing).max(PASSKEY_RESPONSE_MAX, M.passkeyFailed),
});

export const PasskeyAssertionForm = z.strictObject({
  _csrf: csrf,
  response: z.string({ error: M.passkeyResponseMissing }).min(1, M.passkeyResponseMissing).max(PASSKEY_RESPONSE_MAX, M.passkeyFailed),
  next: z.string().optional(),
});

export const ConfirmPasswordForm = z.strictObject({ _csrf: csrf, password: z.unknown(), next: z.string().optional() });
