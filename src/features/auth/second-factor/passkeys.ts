import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { inTransaction } from '../../../db/transaction.js';
import type { Deps } from '../../../deps.js';
import { insertAuditEvent } from '../../../lib/audit.js';
import { deletePasskey, insertPasskey, listPasskeyCredentials, updatePasskeyUse } from './queries.js';
import { dropCodesIfNoFactorLeft } from './service.js';

/**
 * Passkeys (WebAuthn, through @simplewebauthn/server): bound to this site's origin, so a
 * look-alike site cannot relay them. Each ceremony's challenge waits in the session and is
 * spent by the first answer, right or wrong.
 */
declare module 'fastify' {
  interface Session {
    passkeyChallenge?: string;
  }
}

// A person finding their security key or unlocking their phone.
const CEREMONY_TIMEOUT_MS = 5 * 60 * 1000;

function relyingParty(deps: Deps) {
  return { rpID: deps.config.publicUrl.hostname, origin: deps.config.publicUrl.origin };
}

/** A stable handle for the member that says nothing about them (WebAuthn asks that it hold no personal data). */
function webauthnUserId(memberId: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(`commons member ${memberId}`).digest().subarray(0, 16));
}

function takeChallenge(request: FastifyRequest): string | undefined {
  const challenge = request.session.get('passkeyChallenge');
  request.session.set('passkeyChallenge', undefined);
  return challenge;
}

function parseJson<T>(text: string): T | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

export async function passkeyRegistrationOptions(deps: Deps, request: FastifyRequest, member: { id: number; handle: string; displayName: string }): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await listPasskeyCredentials(deps.db, member.id);
  const options = await generateRegistrationOptions({
    rpName: deps.config.siteName,
    rpID: relyingParty(deps).rpID,
    userName: member.handle,
    userDisplayName: member.displayName,
    userID: webauthnUserId(member.id),
    timeout: CEREMONY_TIMEOUT_MS,
    attestationType: 'none',
    excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
  request.session.set('passkeyChallenge', options.challenge);
  return options;
}

/** Checks the browser's answer and keeps the new passkey, audited; false when it does not verify. */
export async function registerPasskey(deps: Deps, request: FastifyRequest, memberId: number, name: string, responseJson: string): Promise<boolean> {
  const challenge = takeChallenge(request);
  const response = parseJson<RegistrationResponseJSON>(responseJson);
  if (!challenge || !response) return false;
  const { rpID, origin } = relyingParty(deps);
  const verification = await verifyRegistrationResponse({ response, expectedChallenge: challenge, expectedOrigin: origin, expectedRPID: rpID, requireUserVerification: false }).catch(() => undefined);
  if (!verification?.verified) return false;
  const { credential } = verification.registrationInfo;
  return inTransaction(deps.db, async (trx) => {
    if (!(await insertPasskey(trx, memberId, { credentialId: credential.id, publicKey: credential.publicKey, counter: credential.counter, transports: credential.transports ?? [], name }))) return false;
    await insertAuditEvent(trx, { actorMemberId: memberId, action: 'second_factor.added', targetType: 'member', targetId: memberId, ipAddress: request.clientAddress, details: { after: 'passkey', name } });
    return true;
  });
}

export async function passkeyAssertionOptions(deps: Deps, request: FastifyRequest, memberId: number): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const passkeys = await listPasskeyCredentials(deps.db, memberId);
  const options = await generateAuthenticationOptions({
    rpID: relyingParty(deps).rpID,
    allowCredentials: passkeys.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
    userVerification: 'preferred',
    timeout: CEREMONY_TIMEOUT_MS,
  });
  request.session.set('passkeyChallenge', options.challenge);
  return options;
}

/** Whether the browser's answer was signed by one of the member's passkeys (its counter moved on). */
export async function verifyPasskeyAssertion(deps: Deps, request: FastifyRequest, memberId: number, responseJson: string): Promise<boolean> {
  const challenge = takeChallenge(request);
  const response = parseJson<AuthenticationResponseJSON>(responseJson);
  if (!challenge || !response || typeof response.id !== 'string') return false;
  const passkey = (await listPasskeyCredentials(deps.db, memberId)).find((candidate) => candidate.credentialId === response.id);
  if (!passkey) return false;
  const { rpID, origin } = relyingParty(deps);
  const verification = await verifyAuthenticationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    credential: { id: passkey.credentialId, publicKey: passkey.publicKey, counter: passkey.counter, transports: passkey.transports },
    requireUserVerification: false,
  }).catch(() => undefined);
  if (!verification?.verified) return false;
  await updatePasskeyUse(deps.db, passkey.id, verification.authenticationInfo.newCounter, deps.now());
  return true;
}

export async function removePasskey(deps: Deps, memberId: number, passkeyId: number, ipAddress: string): Promise<boolean> {
  return inTransaction(deps.db, async (trx) => {
    const name = await deletePasskey(trx, memberId, passkeyId);
    if (name === undefined) return false;
    await dropCodesIfNoFactorLeft(trx, memberId);
    await insertAuditEvent(trx, { actorMemberId: memberId, action: 'second_factor.removed', targetType: 'member', targetId: memberId, ipAddress, details: { before: 'passkey', name } });
    return true;
  });
}
