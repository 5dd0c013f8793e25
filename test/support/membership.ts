import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { AUTH_MESSAGES } from '../../src/features/auth/messages.js';
import { Browser } from './app.js';
import { linksInLatestEmail, pathOf, signIn } from './members.js';

/** Joining and getting back in, as a person does it: the forms, the emailed links, failed sign-ins. */

export const WRONG_PASSWORD = 'definitely-not-the-password-41';

/**
 * What the mail worker does first on its rounds, without sending: recorded sign-up and reset
 * requests become the emails they call for, queued (where the tests read them).
 */
export async function answerRequests(app: FastifyInstance): Promise<void> {
  await app.mailWorker.composeAll();
}

/** Asks to join, and lets the worker answer. */
export async function askToJoin(app: FastifyInstance, email: string, browser = new Browser(app)) {
  const hidden = await browser.openForm('/signup');
  const response = await browser.post('/signup', { ...hidden, email, accept_guidelines: 'yes' });
  await answerRequests(app);
  return response;
}

/** Asks to join from a new browser and returns the path of the emailed verify link. */
export async function verifyPathFor(app: FastifyInstance, db: Database['db'], email: string): Promise<string> {
  expect((await askToJoin(app, email)).statusCode).toBe(200);
  return emailedPath(db, email, '/verify/');
}

/** Asks for a reset link, and lets the worker answer. */
export async function askForReset(app: FastifyInstance, email: string, headers: Record<string, string> = {}, browser = new Browser(app)) {
  const hidden = await browser.openForm('/password/forgot');
  const response = await browser.post('/password/forgot', { ...hidden, email }, headers);
  await answerRequests(app);
  return response;
}

/** The path of the newest emailed link to `to` that contains `part`. */
export async function emailedPath(db: Database['db'], to: string, part: string): Promise<string> {
  const link = (await linksInLatestEmail(db, to)).find((l) => l.includes(part));
  expect(link, `an emailed ${part} link`).toBeDefined();
  return pathOf(link!);
}

/** Asks for a reset from a new browser and returns the emailed link's path. */
export async function resetPathFor(app: FastifyInstance, db: Database['db'], member: { email: string }): Promise<string> {
  expect((await askForReset(app, member.email)).statusCode).toBe(200);
  return emailedPath(db, member.email, '/password/reset/');
}

export async function choosePassword(app: FastifyInstance, path: string, password: string, browser = new Browser(app)) {
  const hidden = await browser.openForm(path);
  return browser.post(path, { ...hidden, password });
}

export async function failSignIns(app: FastifyInstance, email: string, times: number, browser?: Browser): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    const response = await signIn(browser ?? new Browser(app), email, WRONG_PASSWORD);
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(AUTH_MESSAGES.signInFailed);
  }
}

/** Five failures lock the address; returns the path of the unlock link emailed to the member. */
export async function lockOut(app: FastifyInstance, db: Database['db'], member: { email: string }): Promise<string> {
  await failSignIns(app, member.email, 5);
  const email = await db.selectFrom('outbound_emails').select('kind').where('to_address', '=', member.email).orderBy('id', 'desc').executeTakeFirstOrThrow();
  expect(email.kind).toBe('auth.unlock');
  return emailedPath(db, member.email, '/unlock/');
}

export async function pressUnlock(app: FastifyInstance, path: string) {
  const browser = new Browser(app);
  const hidden = await browser.openForm(path);
  return browser.post(path, hidden);
}
