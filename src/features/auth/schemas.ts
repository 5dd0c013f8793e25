import { z } from 'zod';
import { textField } from '../../lib/forms.js';
import { isTimeZone, TIME_ZONES } from '../../lib/time.js';
import { parseWorkEmail } from './email-address.js';
import { AUTH_MESSAGES } from './messages.js';

export const PROFILE_LIMITS = { displayName: 80, handle: 30, jobTitle: 120, bio: 1000 } as const;

// Handles are for @mentions and /u/:handle: plain ASCII, so no two can look alike.
export const HANDLE = /^[A-Za-z0-9_]{3,30}$/;
const RESERVED_HANDLES = new Set(['admin', 'administrator', 'moderator', 'mod', 'commons', 'system', 'support', 'operator', 'operators', 'root', 'staff', 'everyone', 'here']);
// Bidirectional overrides and other invisible controls would let a name masquerade as another.
const INVISIBLE_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const csrf = z.string();

export const workEmail = z.unknown().transform((value, ctx) => {
  const parsed = parseWorkEmail(value ?? '');
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.reason });
    return z.NEVER;
  }
  return parsed;
});

const displayName = textField({ label: 'Display name', max: PROFILE_LIMITS.displayName, required: 'Enter the name other members will see' }).refine(
  (value) => !INVISIBLE_CONTROLS.test(value),
  AUTH_MESSAGES.displayNameControls,
);

const handle = z.preprocess(
  (value) => (typeof value === 'string' ? value.trim() : value ?? ''),
  z
    .string({ error: AUTH_MESSAGES.handleShape })
    .min(1, AUTH_MESSAGES.handleRequired)
    .regex(HANDLE, AUTH_MESSAGES.handleShape)
    .refine((value) => !RESERVED_HANDLES.has(value.toLowerCase()), AUTH_MESSAGES.handleReserved),
);

const optionalText = (label: string, max: number, multiline = false) => textField({ label, max, optional: true, multiline }).transform((value) => (value === '' ? null : value));

export const SignupForm = z.strictObject({
  _csrf: csrf,
  email: workEmail,
  accept_guidelines: z.literal('yes', { error: AUTH_MESSAGES.acceptGuidelines }),
});

export const CompleteSignupForm = z.strictObject({
  _csrf: csrf,
  display_name: displayName,
  handle,
  job_title: optionalText('Job title', PROFILE_LIMITS.jobTitle),
  password: z.unknown(),
});

export const SigninForm = z.strictObject({
  _csrf: csrf,
  email: z.unknown(),
  password: z.unknown(),
  next: z.string().optional(),
});

export const ForgotPasswordForm = z.strictObject({ _csrf: csrf, email: workEmail });

export const NewPasswordForm = z.strictObject({ _csrf: csrf, password: z.unknown() });

export const ButtonForm = z.strictObject({ _csrf: csrf });

// Empty is "the site's time zone"; anything else must be a zone Intl knows.
const timeZone = z.preprocess(
  (value) => value ?? '',
  z
    .string({ error: AUTH_MESSAGES.timeZoneUnknown })
    .refine((value) => value === '' || isTimeZone(value), AUTH_MESSAGES.timeZoneUnknown)
    .transform((value) => (value === '' ? null : value)),
);

/** The time zone list on the settings page: Australia's first, then the world's. */
export const TIME_ZONE_CHOICES = [
  { label: 'Australia', zones: TIME_ZONES.filter((zone) => zone.startsWith('Australia/')) },
  { label: 'Other time zones', zones: TIME_ZONES.filter((zone) => !zone.startsWith('Australia/')) },
].map((group) => ({ label: group.label, options: group.zones.map((zone) => ({ value: zone, label: zone.replaceAll('_', ' ') })) }));

export const ProfileForm = z.strictObject({
  _csrf: csrf,
  display_name: displayName,
  job_title: optionalText('Job title', PROFILE_LIMITS.jobTitle),
  bio: optionalText('About you', PROFILE_LIMITS.bio, true),
  time_zone: timeZone,
});

export const EmailChangeForm = z.strictObject({ _csrf: csrf, email: workEmail });

export const PasswordChangeForm = z.strictObject({ _csrf: csrf, current_password: z.unknown(), new_password: z.unknown() });

/** The id in /settings/sessions/:publicId/end; anything else is a page that does not exist. */
export const SessionPublicId = z.uuid();
