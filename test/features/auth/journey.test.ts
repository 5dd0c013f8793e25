import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_MESSAGES } from '../../../src/features/auth/messages.js';
import { smtpTransport, type MailTransport } from '../../../src/mail/transport.js';
import { Browser, buildTestApp, hiddenFields, type TestApp } from '../../support/app.js';
import { pathOf, signIn } from '../../support/members.js';
import { startSmtpServer, type TestSmtpServer } from '../../support/smtp.js';

// The whole membership journey from emails received by a real SMTP server in this process.
const FROM = 'Commons <no-reply@commons.test>';
const FIRST_PASSWORD = 'kettle-harbour-violet-57-ledger';
const NEW_PASSWORD = 'lantern-orchard-copper-83-meadow';

let smtp: TestSmtpServer;
let transport: MailTransport;
let t: TestApp;

beforeAll(async () => {
  smtp = await startSmtpServer();
  transport = smtpTransport(smtp.url, FROM);
  t = await buildTestApp({ transport });
});
afterAll(async () => {
  await t?.close();
  await transport?.close();
  await smtp?.stop();
});

/** Sends everything queued, as the worker would, and returns how many went. */
async function deliver(): Promise<number> {
  let sent = 0;
  for (let claimed = await t.app.mailWorker.runOnce(); claimed > 0; claimed = await t.app.mailWorker.runOnce()) sent += claimed;
  return sent;
}

function decodeQuotedPrintable(text: string): string {
  const unfolded = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < unfolded.length; i += 1) {
    const hex = unfolded.slice(i + 1, i + 3);
    if (unfolded[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(unfolded[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

interface Received {
  subject: string;
  text: string;
  links: string[];
}

// Domains are case-insensitive, and nodemailer lower-cases them in the envelope.
function isFor(recipients: string[], address: string): boolean {
  return recipients.some((r) => r.toLowerCase() === address.toLowerCase());
}

/** The one message received for an address since the last look: its subject, decoded text and links. */
function receivedBy(address: string, seen: Set<string>): Received {
  const fresh = smtp.received.filter((m) => isFor(m.recipients, address) && !seen.has(m.raw));
  expect(fresh).toHaveLength(1);
  const raw = fresh[0]!.raw;
  seen.add(raw);
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  expect(headers).toMatch(/^Content-Type: text\/plain/im);
  const encoding = /^Content-Transfer-Encoding:\s*(\S+)/im.exec(headers)?.[1]?.toLowerCase() ?? '7bit';
  const text = encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : encoding === 'base64' ? Buffer.from(body, 'base64').toString('utf8') : body;
  return {
    subject: /^Subject: (.*)$/im.exec(headers)?.[1] ?? '',
    text,
    links: [...text.matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0]),
  };
}

function linkTo(message: Received, prefix: string): string {
  const link = message.links.find((l) => pathOf(l).startsWith(prefix));
  expect(link, `a ${prefix} link in ${JSON.stringify(message.links)}`).toBeDefined();
  expect(new URL(link!).origin).toBe(t.config.publicUrl.origin);
  return pathOf(link!);
}

async function isSignedIn(browser: Browser): Promise<boolean> {
  const response = await browser.get('/settings');
  return response.statusCode === 200;
}

describe('the membership journey over SMTP', () => {
  it('decodes quoted-printable soft line breaks and escapes', () => {
    expect(decodeQuotedPrintable('http://127.0.0.1:3000/verify/abc=\r\ndef?x=3Dy caf=C3=A9')).toBe('http://127.0.0.1:3000/verify/abcdef?x=y café');
  });

  it('joins, signs out and in, resets the password and unlocks sign-in, all from received emails', async () => {
    const address = `Journey.${randomBytes(4).toString('hex')}@Finance.gov.au`;
    const handle = `journey_${randomBytes(3).toString('hex')}`;
    const seen = new Set<string>();
    smtp.reset();

    // Sign up, step 1: the verify email arrives over SMTP.
    const browser = new Browser(t.app);
    const signupForm = await browser.openForm('/signup');
    expect((await browser.post('/signup', { ...signupForm, email: address, accept_guidelines: 'yes' })).statusCode).toBe(200);
    expect(await deliver()).toBe(1);
    const verify = receivedBy(address, seen);
    expect(verify.subject).toBe(AUTH_MESSAGES.verifySubject(t.config.siteName));
    const verifyPath = linkTo(verify, '/verify/');

    // Step 2 from the link (opened first, as a mail scanner would).
    expect((await new Browser(t.app).get(verifyPath)).statusCode).toBe(200);
    const stepTwo = await browser.openForm(verifyPath);
    const joined = await browser.post(verifyPath, { ...stepTwo, display_name: 'Journey Person', handle, job_title: 'Service designer', password: FIRST_PASSWORD });
    expect(joined.statusCode).toBe(303);
    const home = await browser.get('/');
    expect(home.body).toContain('Welcome, Journey Person');

    // Sign out with the header's button, then sign in again.
    const signedOut = await browser.post('/logout', { _csrf: hiddenFields(home.body)._csrf! });
    expect(signedOut.statusCode).toBe(303);
    expect(await isSignedIn(browser)).toBe(false);
    expect((await signIn(browser, address, FIRST_PASSWORD)).statusCode).toBe(303);
    expect(await isSignedIn(browser)).toBe(true);

    // Forgotten password: the reset email, then a new password from another browser.
    const elsewhere = new Browser(t.app);
    const forgotForm = await elsewhere.openForm('/password/forgot');
    expect((await elsewhere.post('/password/forgot', { ...forgotForm, email: address })).statusCode).toBe(200);
    expect(await deliver()).toBe(1);
    const reset = receivedBy(address, seen);
    expect(reset.subject).toBe(AUTH_MESSAGES.resetSubject(t.config.siteName));
    const resetPath = linkTo(reset, '/password/reset/');
    expect((await new Browser(t.app).get(resetPath)).statusCode).toBe(200);
    const resetForm = await elsewhere.openForm(resetPath);
    expect((await elsewhere.post(resetPath, { ...resetForm, password: NEW_PASSWORD })).statusCode).toBe(303);
    expect(await isSignedIn(elsewhere)).toBe(true);
    expect(await isSignedIn(browser)).toBe(false);

    // Five failures lock the address; the unlock email lifts the lock.
    for (let i = 0; i < 5; i += 1) expect((await signIn(new Browser(t.app), address, FIRST_PASSWORD)).statusCode).toBe(422);
    const locked = await signIn(new Browser(t.app), address, NEW_PASSWORD);
    expect(locked.statusCode).toBe(422);
    expect(locked.body).toContain(AUTH_MESSAGES.signInLocked);
    expect(await deliver()).toBe(1);
    const unlock = receivedBy(address, seen);
    expect(unlock.subject).toBe(AUTH_MESSAGES.unlockSubject(t.config.siteName));
    const unlockPath = linkTo(unlock, '/unlock/');
    const unlocker = new Browser(t.app);
    const unlockForm = await unlocker.openForm(unlockPath);
    const unlocked = await unlocker.post(unlockPath, unlockForm);
    expect(unlocked.statusCode).toBe(303);
    expect(unlocked.headers.location).toBe('/login');
    expect((await signIn(unlocker, address, NEW_PASSWORD)).statusCode).toBe(303);
    expect(await isSignedIn(unlocker)).toBe(true);

    // Everything went out, and no usable link stays in the queue.
    const rows = await t.db.selectFrom('outbound_emails').select(['kind', 'status', 'text_body', 'html_body']).where('to_address', '=', address).orderBy('id').execute();
    expect(rows).toEqual(['auth.verify', 'auth.reset', 'auth.unlock'].map((kind) => ({ kind, status: 'sent', text_body: null, html_body: null })));
    expect(smtp.received.filter((m) => isFor(m.recipients, address))).toHaveLength(3);
  });
});
