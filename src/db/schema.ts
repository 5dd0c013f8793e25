// Written by `npm run db:types` from the migrated schema. Do not edit: add a migration and run it again.
import type { ColumnType, Generated, GeneratedAlways } from 'kysely';

export interface AccountRequests {
  id: GeneratedAlways<number>;
  purpose: string;
  email: string;
  canonical_email: string;
  guidelines_version: string | null;
  device_hash: string | null;
  ip_address: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface Agencies {
  id: GeneratedAlways<number>;
  name: string;
  jurisdiction: string | null;
  parent_agency_id: number | null;
  provisional_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  agency_type: string | null;
}

export interface AgencyAttestations {
  id: Generated<number>;
  agency_id: number;
  member_id: number;
  attested_at: ColumnType<Date, Date | string | undefined, Date | string>;
  member_count: number;
  note: string | null;
}

export interface AgencyCoordinators {
  member_id: number;
  agency_id: number;
  appointed_by: number | null;
  appointed_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

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
  subject_member_id: number | null;
}

export interface Categories {
  id: GeneratedAlways<number>;
  slug: string;
  name: string;
  description: Generated<string>;
  position: Generated<number>;
  visible_to: Generated<string>;
  threads_started_by: Generated<string>;
  thread_count: Generated<number>;
  post_count: Generated<number>;
  last_posted_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface CategoryWatches {
  member_id: number;
  category_id: number;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
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

export interface DomainRules {
  id: GeneratedAlways<number>;
  domain: string;
  effect: string;
  agency_id: number | null;
  note: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  admits_own_domain: Generated<boolean>;
}

export interface EmailTokens {
  id: GeneratedAlways<number>;
  purpose: string;
  token_hash: string;
  canonical_email: string;
  member_id: number | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  used_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  failed_attempts: Generated<number>;
  email: string | null;
}

export interface FileBlobChunks {
  blob_id: number;
  seq: number;
  data: Buffer;
}

export interface FileBlobs {
  id: GeneratedAlways<number>;
  sha256: Buffer;
  byte_size: number;
  chunk_count: number;
  stored_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface FileDownloads {
  file_id: number;
  member_id: number;
  day: ColumnType<Date, Date | string, Date | string>;
}

export interface Files {
  id: GeneratedAlways<number>;
  storage_key: string;
  byte_size: number;
  content_type: string;
  name: string;
  alt_text: string | null;
  width: number | null;
  height: number | null;
  resource_id: number | null;
  post_id: number | null;
  version_of: number | null;
  replaced_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  position: Generated<number>;
  download_count: Generated<number>;
  uploaded_by: number;
  uploaded_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface Flags {
  id: GeneratedAlways<number>;
  post_id: number | null;
  resource_id: number | null;
  flagger_id: number;
  reason: string;
  note: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  resolved_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  resolved_by: number | null;
  outcome: string | null;
}

export interface InitiativeTypes {
  id: GeneratedAlways<number>;
  slug: string;
  name: string;
  position: Generated<number>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface MemberDevices {
  member_id: number;
  device_hash: string;
  first_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface MemberWarnings {
  id: GeneratedAlways<number>;
  member_id: number;
  moderator_id: number;
  reason: string;
  post_id: number | null;
  resource_id: number | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  acknowledged_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface Members {
  id: GeneratedAlways<number>;
  email: string;
  canonical_email: string;
  display_name: string;
  handle: string;
  job_title: string | null;
  bio: string | null;
  password_hash: string;
  role: Generated<string>;
  agency_id: number | null;
  guidelines_version: string;
  guidelines_accepted_at: ColumnType<Date, Date | string, Date | string>;
  verified_at: ColumnType<Date, Date | string, Date | string>;
  deactivated_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  last_signed_in_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  time_zone: string | null;
  suspended_until: ColumnType<Date | null, Date | string | null, Date | string | null>;
  suspension_reason: string | null;
  awaiting_approval_since: ColumnType<Date | null, Date | string | null, Date | string | null>;
  deactivation_reason: string | null;
  reconfirmation_reminded_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  notification_digest_hour: Generated<number>;
  notification_digest_sent_for: ColumnType<Date | null, Date | string | null, Date | string | null>;
  notification_digest_sent_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  notification_digest_version: Generated<number>;
  notification_digest_due_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  email_bounced_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  email_bounce_response: string | null;
}

export interface NotificationEmails {
  member_id: number;
  thread_id: number;
  due_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  last_sent_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  batches: Generated<number>;
  first_message_id: string | null;
}

export interface NotificationPreferences {
  member_id: number;
  kind: string;
  delivery: string;
  version: Generated<number>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface Notifications {
  id: GeneratedAlways<number>;
  member_id: number;
  kind: string;
  actor_id: number | null;
  thread_id: number;
  post_id: number;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  read_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  emailed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
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
  priority: Generated<number>;
}

export interface Passkeys {
  id: GeneratedAlways<number>;
  member_id: number;
  credential_id: string;
  public_key: Buffer;
  counter: Generated<number>;
  transports: Generated<(string)[]>;
  name: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_used_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface PostReactions {
  post_id: number;
  member_id: number;
  kind: Generated<string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface PostRevisions {
  id: GeneratedAlways<number>;
  post_id: number;
  version: number;
  body_source: string;
  written_at: ColumnType<Date, Date | string, Date | string>;
  replaced_by: number | null;
  replaced_at: ColumnType<Date, Date | string | undefined, Date | string>;
  by_moderator: Generated<boolean>;
}

export interface Posts {
  id: GeneratedAlways<number>;
  thread_id: number;
  author_id: number;
  position: number;
  reply_to_post_id: number | null;
  depth: Generated<number>;
  body_source: string;
  body_html: string;
  renderer_version: number;
  version: Generated<number>;
  form_token: string;
  helpful_count: Generated<number>;
  answered_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  answered_by: number | null;
  edited_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  hidden_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  deleted_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  deleted_by: number | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  hidden_reason: string | null;
  hidden_by: number | null;
  held_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  held_reason: string | null;
  search_vector: GeneratedAlways<string | null>;
}

export interface RecoveryCodes {
  id: GeneratedAlways<number>;
  member_id: number;
  code_hash: string;
  used_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ResourceInitiativeTypes {
  resource_id: number;
  initiative_type_id: number;
}

export interface ResourceLibraryVersion {
  one: Generated<boolean>;
  version: Generated<number>;
}

export interface ResourceReactions {
  resource_id: number;
  member_id: number;
  kind: Generated<string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ResourceRevisions {
  id: GeneratedAlways<number>;
  resource_id: number;
  version: number;
  snapshot: ColumnType<unknown, string, string>;
  replaced_by: number | null;
  replaced_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ResourceTags {
  resource_id: number;
  tag: string;
}

export interface Resources {
  id: GeneratedAlways<number>;
  kind: string;
  title: string;
  summary: string;
  body_source: Generated<string>;
  body_html: Generated<string>;
  context_source: string | null;
  context_html: string | null;
  approach_source: string | null;
  approach_html: string | null;
  outcome_source: string | null;
  outcome_html: string | null;
  lessons_source: string | null;
  lessons_html: string | null;
  renderer_version: number;
  external_url: string | null;
  sharer_id: number;
  agency_id: number | null;
  thread_id: number;
  form_token: string;
  version: Generated<number>;
  helpful_count: Generated<number>;
  download_count: Generated<number>;
  featured_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  featured_by: number | null;
  removed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  removed_by: number | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  hidden_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  hidden_reason: string | null;
  hidden_by: number | null;
  search_tags: Generated<string>;
  search_vector: GeneratedAlways<string | null>;
}

export interface Sessions {
  id_hash: string;
  data: ColumnType<unknown, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  member_id: number | null;
  public_id: string | null;
  user_agent: string | null;
  ip_address: string | null;
  last_seen_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  absolute_expires_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  second_factor_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  authenticated_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface SettingOverrides {
  name: string;
  value: string;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_by: number | null;
}

export interface SigninLocks {
  canonical_email: string;
  consecutive_failures: Generated<number>;
  lock_count: Generated<number>;
  locked_until: ColumnType<Date | null, Date | string | null, Date | string | null>;
  last_failure_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface SignupRequests {
  id: GeneratedAlways<number>;
  email: string;
  canonical_email: string;
  guidelines_version: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface SiteSettings {
  key: string;
  value: ColumnType<unknown, string, string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ThreadReads {
  member_id: number;
  thread_id: number;
  last_read_position: number;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ThreadTitleRevisions {
  id: GeneratedAlways<number>;
  thread_id: number;
  title: string;
  replaced_by: number | null;
  replaced_at: ColumnType<Date, Date | string | undefined, Date | string>;
  by_moderator: Generated<boolean>;
}

export interface ThreadWatches {
  member_id: number;
  thread_id: number;
  level: string;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface Threads {
  id: GeneratedAlways<number>;
  category_id: number;
  author_id: number;
  title: string;
  slug: string;
  form_token: string;
  post_count: Generated<number>;
  reply_count: Generated<number>;
  last_posted_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_poster_id: number | null;
  pinned_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  locked_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  hidden_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  deleted_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  title_edited_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  version: Generated<number>;
  pinned_site_wide: Generated<boolean>;
  hidden_reason: string | null;
  merged_into_id: number | null;
  hidden_with_resource: Generated<boolean>;
  search_vector: GeneratedAlways<string | null>;
}

export interface TotpFactors {
  member_id: number;
  secret: string;
  last_used_step: number | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface DB {
  account_requests: AccountRequests;
  agencies: Agencies;
  agency_attestations: AgencyAttestations;
  agency_coordinators: AgencyCoordinators;
  audit_events: AuditEvents;
  categories: Categories;
  category_watches: CategoryWatches;
  contact_messages: ContactMessages;
  domain_rules: DomainRules;
  email_tokens: EmailTokens;
  file_blob_chunks: FileBlobChunks;
  file_blobs: FileBlobs;
  file_downloads: FileDownloads;
  files: Files;
  flags: Flags;
  initiative_types: InitiativeTypes;
  member_devices: MemberDevices;
  member_warnings: MemberWarnings;
  members: Members;
  notification_emails: NotificationEmails;
  notification_preferences: NotificationPreferences;
  notifications: Notifications;
  outbound_emails: OutboundEmails;
  passkeys: Passkeys;
  post_reactions: PostReactions;
  post_revisions: PostRevisions;
  posts: Posts;
  recovery_codes: RecoveryCodes;
  resource_initiative_types: ResourceInitiativeTypes;
  resource_library_version: ResourceLibraryVersion;
  resource_reactions: ResourceReactions;
  resource_revisions: ResourceRevisions;
  resource_tags: ResourceTags;
  resources: Resources;
  sessions: Sessions;
  setting_overrides: SettingOverrides;
  signin_locks: SigninLocks;
  signup_requests: SignupRequests;
  site_settings: SiteSettings;
  thread_reads: ThreadReads;
  thread_title_revisions: ThreadTitleRevisions;
  thread_watches: ThreadWatches;
  threads: Threads;
  totp_factors: TotpFactors;
}
