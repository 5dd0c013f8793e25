/**
 * The community guidelines in force. Members accept a version when they join; a change to
 * views/pages/guidelines.hbs that changes what members agree to must bump the version.
 */
export const GUIDELINES = {
  version: '1.0',
  inEffectFrom: '22 November 2026',
} as const;
