/**
 * What a person reads about their password: the rule shown beside the field and each refusal.
 * Kept apart from the auth feature's messages.ts so the password policy stands on its own.
 */
const count = (n: number) => n.toLocaleString('en-AU');

export const PASSWORD_MESSAGES = {
  rule: (min: number, max: number) =>
    `Use ${count(min)} to ${count(max)} characters. Spaces, emoji and any language are fine; a few unrelated words make a good password.`,
  required: 'Enter a password.',
  tooShort: (min: number) => `Use at least ${count(min)} characters.`,
  tooLong: (max: number) => `Use no more than ${count(max)} characters.`,
  invalidCharacter: 'Your password contains a character that cannot be used (a NUL or a broken character). Remove it and try again.',
  containsEmail: 'Choose a password that does not contain the name part of your email address.',
  containsName: 'Choose a password that does not contain your handle or display name.',
  tooGuessable: (warning?: string | null) =>
    ['This password would be easy to guess.', warning, 'Try a few unrelated words, or a longer phrase.'].filter(Boolean).join(' '),
} as const;
