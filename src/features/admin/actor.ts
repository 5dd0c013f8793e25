/**
 * Who an administrative change is recorded against in audit_events: a member (a future admin
 * page) or a label for the shell. Always said by the caller: a change is never recorded against
 * someone by default. Spread into insertAuditEvent's entry.
 */
export type Actor = { actorMemberId: number } | { actorLabel: string };
