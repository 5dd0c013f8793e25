/**
 * Who an administrative change is recorded against in audit_events: a member (a future admin
 * page) or a label for the shell. Spread into insertAuditEvent's entry.
 */
export type Actor = { actorMemberId: number } | { actorLabel: string };

export const OPERATOR: Actor = { actorLabel: 'operator (npm run admin)' };
