import type { Kysely, Transaction } from 'kysely';
import type { DB } from './schema.js';

/** What queries take: the database, or a transaction on it. */
export type Db = Kysely<DB> | Transaction<DB>;

/** A member's role; the members table's check constraint holds the same three. */
export type Role = 'member' | 'moderator' | 'administrator';
