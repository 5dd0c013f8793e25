// Written by `npm run db:types` from the migrated schema. Do not edit: add a migration and run it again.
import type { ColumnType, Generated, GeneratedAlways } from 'kysely';

export interface AuditEvents {
  id: GeneratedAlways<number>;
  occurred_at: ColumnType<Date, Date | string | undefined, Date | string>;
  actor_member_id: number | null;
  actor_label: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip_address: string | null;
  details: ColumnType<unknown, string | undefined, string>;
}

export interface ContactMessages {
  id: GeneratedAlways<number>;
  form_token: string;
  name: string;
  email: string;
  subject: string;
  message: string;
  ip_address: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface OutboundEmails {
  id: GeneratedAlways<number>;
  to_address: string;
  subject: string;
  text_body: string | null;
  html_body: string | null;
  headers: ColumnType<unknown, string | undefined, string>;
  kind: string;
  status: Generated<string>;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_error: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  sent_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  failed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface Sessions {
  id_hash: string;
  data: ColumnType<unknown, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

export interface DB {
  audit_events: AuditEvents;
  contact_messages: ContactMessages;
  outbound_emails: OutboundEmails;
  sessions: Sessions;
}
