import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation.js';
import * as m0002 from './0002_membership.js';
import * as m0003 from './0003_rules_own_domain.js';
import * as m0004 from './0004_member_time_zone.js';
import * as m0005 from './0005_account_abuse.js';
import * as m0006 from './0006_discussions.js';
import * as m0007 from './0007_threads_category_recent.js';
import * as m0008 from './0008_resource_library.js';
import * as m0009 from './0009_resource_library_version.js';
import * as m0010 from './0010_moderation.js';
import * as m0011 from './0011_audit_subject.js';
import * as m0012 from './0012_site_wide_pins.js';
import * as m0013 from './0013_moderation_visibility.js';
import * as m0014 from './0014_second_factor.js';
import * as m0015 from './0015_setting_overrides.js';
import * as m0016 from './0016_eligibility.js';
import * as m0017 from './0017_address_change.js';
import * as m0018 from './0018_agency_coordinators.js';
import * as m0019 from './0019_usage_indexes.js';
import * as m0020 from './0020_notification_email.js';
import * as m0021 from './0021_deactivation_reasons_again.js';
import * as m0022 from './0022_digest.js';
import * as m0023 from './0023_digest_due_and_threading.js';
import * as m0024 from './0024_outbox_priority_and_bounces.js';
import * as m0025 from './0025_search.js';
import * as m0026 from './0026_known_time_zone.js';
import * as m0027 from './0027_search_newest_first.js';
import * as m0028 from './0028_search_tags_on_update.js';
import * as m0029 from './0029_search_indexes_without_pending_lists.js';

/**
 * Every migration, in order. Listed by hand so the same code runs from the sources and from
 * dist/ (a test checks that no file in this folder is missing from the list).
 */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_membership': m0002,
  '0003_rules_own_domain': m0003,
  '0004_member_time_zone': m0004,
  '0005_account_abuse': m0005,
  '0006_discussions': m0006,
  '0007_threads_category_recent': m0007,
  '0008_resource_library': m0008,
  '0009_resource_library_version': m0009,
  '0010_moderation': m0010,
  '0011_audit_subject': m0011,
  '0012_site_wide_pins': m0012,
  '0013_moderation_visibility': m0013,
  '0014_second_factor': m0014,
  '0015_setting_overrides': m0015,
  '0016_eligibility': m0016,
  '0017_address_change': m0017,
  '0018_agency_coordinators': m0018,
  '0019_usage_indexes': m0019,
  '0020_notification_email': m0020,
  '0021_deactivation_reasons_again': m0021,
  '0022_digest': m0022,
  '0023_digest_due_and_threading': m0023,
  '0024_outbox_priority_and_bounces': m0024,
  '0025_search': m0025,
  '0026_known_time_zone': m0026,
  '0027_search_newest_first': m0027,
  '0028_search_tags_on_update': m0028,
  '0029_search_indexes_without_pending_lists': m0029,
};
