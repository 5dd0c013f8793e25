import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // 0016 gave every member deactivated before it 'administrator', or 'rejected' if a rejection
  // was ever recorded about them: a domain review's deactivation read as an administrator's, and
  // a rejected applicant let in later and deactivated again read as rejected. The reason is what
  // the latest deactivation or rejection recorded about the member says; one with neither
  // recorded keeps the reason it has.
  await sql`
    update members m set deactivation_reason = case
        when latest.action = 'member.rejected' then 'rejected'
        when latest.reason in ('domain no longer admitted', 'domain_not_admitted') then 'domain_not_admitted'
        when latest.reason in ('bounced', 'left_agency') then latest.reason
        else 'administrator'
      end
    from members d
    cross join lateral (
      select a.action, a.details->>'reason' as reason
      from audit_events a
      where a.action in ('member.deactivated', 'member.rejected') and a.target_type = 'member' and a.target_id = d.id::text
      order by a.id desc
      limit 1
    ) latest
    where m.id = d.id and m.deactivated_at is not null
  `.execute(db);
}
