import { expect } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { totpCode } from '../../src/features/auth/second-factor/totp.js';
import type { Browser } from './app.js';

/** Sets up an authenticator app through the settings pages; returns its secret and the recovery codes shown. */
export async function setUpTotp(browser: Browser): Promise<{ secret: string; codes: string[] }> {
  const page = await browser.get('/settings/security/totp');
  expect(page.statusCode).toBe(200);
  const secret = secretOnPage(page.body);
  const hidden = hiddenOf(page.body);
  const response = await browser.post('/settings/security/totp', { ...hidden, code: totpCode(secret, browser.now()) });
  expect(response.statusCode).toBe(200);
  const codes = [...response.body.matchAll(/<li><code>([A-Z2-7-]+)<\/code><\/li>/g)].map((m) => m[1]!);
  expect(codes).toHaveLength(10);
  return { secret, codes };
}

export function secretOnPage(html: string): string {
  const match = /<p class="secret"><code>([A-Z2-7 ]+)<\/code><\/p>/.exec(html);
  expect(match, 'the secret shown as text').not.toBeNull();
  return match![1]!.replace(/ /g, '');
}

function hiddenOf(html: string): Record<string, string> {
  return { _csrf: /name="_csrf" value="([^"]+)"/.exec(html)![1]! };
}

/** Everything a second-factor form can write, to show that a refused one wrote nothing. */
export async function secondFactorRows(db: Database['db']) {
  const count = async (table: 'totp_factors' | 'recovery_codes' | 'passkeys' | 'audit_events') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  const usedCodes = Number((await db.selectFrom('recovery_codes').select((eb) => eb.fn.countAll<string>().as('n')).where('used_at', 'is not', null).executeTakeFirstOrThrow()).n);
  const signedIn = Number((await db.selectFrom('sessions').select((eb) => eb.fn.countAll<string>().as('n')).where('member_id', 'is not', null).executeTakeFirstOrThrow()).n);
  const steps = await db.selectFrom('totp_factors').select(['member_id', 'last_used_step']).orderBy('member_id').execute();
  return { totp: await count('totp_factors'), codes: await count('recovery_codes'), usedCodes, passkeys: await count('passkeys'), audit: await count('audit_events'), signedIn, steps };
}
