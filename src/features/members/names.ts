import { sql, type RawBuilder } from 'kysely';

export const FORMER_MEMBER = 'Former member';

/**
 * The name a member's content is shown under, read from the members row joined as `alias`: their
 * display name, or "Former member" once an administrator has deactivated them (their posts and
 * resources stay; their name goes). Every query that shows an author's name reads it through here.
 */
export function shownName<T extends string | null = string>(alias: string): RawBuilder<T> {
  return sql<T>`case when ${sql.ref(`${alias}.deactivated_at`)} is null then ${sql.ref(`${alias}.display_name`)} else ${FORMER_MEMBER} end`;
}

/**
 * What else shown beside a member's content says who they are (their handle, for the link to
 * their profile; their job title; their agency's name, from `column`): null once they are shown as
 * "Former member", so nothing next to their content still points at them.
 */
export function shownWhileActive(alias: string, column: string): RawBuilder<string | null> {
  return sql<string | null>`case when ${sql.ref(`${alias}.deactivated_at`)} is null then ${sql.ref(column)} end`;
}
