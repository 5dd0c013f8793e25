import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { deleteAccountRequest, takeAccountRequest, type AccountRequest } from './queries.js';
import { answerResetRequest } from './recovery.js';
import { answerSignupRequest } from './signup.js';

/**
 * Answers recorded sign-up and reset requests (the mail worker's compose step): up to `limit`,
 * oldest first, each in its own transaction with the email it queues. A request that cannot be
 * answered is dropped and its error passed on to be logged, so it never blocks the rest.
 * Returns how many were answered.
 */
export async function answerAccountRequests(deps: Deps, limit: number): Promise<number> {
  let answered = 0;
  while (answered < limit) {
    let taken: AccountRequest | undefined;
    try {
      taken = await inTransaction(deps.db, async (trx) => {
        const request = await takeAccountRequest(trx);
        taken = request;
        if (request?.purpose === 'reset') await answerResetRequest(deps, trx, request);
        else if (request) await answerSignupRequest(deps, trx, request);
        return request;
      });
    } catch (error) {
      if (taken) await deleteAccountRequest(deps.db, taken.id);
      throw error;
    }
    if (!taken) break;
    answered += 1;
  }
  return answered;
}
