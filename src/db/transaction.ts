import type { Kysely, Transaction } from 'kysely';
import type { DB } from './schema.js';
import type { Db } from './types.js';

/**
 * Transactions with work to do once they commit: nudging the mail worker about an email that
 * is now visible to it, say. Done inside the transaction, the worker could look before the
 * commit and find nothing; done after a rollback, it would look for an email that never was.
 */
const afterCommitCallbacks = new WeakMap<Transaction<DB>, Array<() => void>>();

export async function inTransaction<T>(db: Kysely<DB>, work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  const callbacks: Array<() => void> = [];
  const result = await db.transaction().execute((trx) => {
    afterCommitCallbacks.set(trx, callbacks);
    return work(trx);
  });
  for (const callback of callbacks) callback();
  return result;
}

/** Runs `callback` once `db` has committed: at once outside a transaction. */
export function afterCommit(db: Db, callback: () => void): void {
  if (!db.isTransaction) {
    callback();
    return;
  }
  const callbacks = afterCommitCallbacks.get(db as Transaction<DB>);
  // A transaction not begun by inTransaction would drop the callback without a word.
  if (!callbacks) throw new Error('afterCommit needs a transaction begun with inTransaction()');
  callbacks.push(callback);
}
