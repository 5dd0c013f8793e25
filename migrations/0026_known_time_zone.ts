import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // A member's zone is checked against Node's list when saved, and PostgreSQL's tz data may be
  // older (Europe/Kyiv on a server that knows only Europe/Kiev): one such zone would make every
  // digest statement fail, for every member. The digest's SQL reads zones through this, which
  // gives the fallback (the site's zone) for a zone PostgreSQL does not know.
  await sql`
    create function known_time_zone_or(zone text, fallback text) returns text
    language plpgsql stable
    as $$
    begin
      if zone is null then
        return fallback;
      end if;
      perform now() at time zone zone;
      return zone;
    exception when invalid_parameter_value then
      return fallback;
    end
    $$
  `.execute(db);
}
