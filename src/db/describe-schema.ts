import { sql, type Kysely } from 'kysely';

/**
 * Writes the TypeScript `DB` type from the migrated schema, so the types Kysely checks queries
 * against are the tables as they are. `npm run db:types` writes src/db/schema.ts with it and a
 * test fails when the file and the migrations drift apart.
 */

interface ColumnRow {
  table_name: string;
  column_name: string;
  udt_name: string;
  is_nullable: 'YES' | 'NO';
  column_default: string | null;
  is_identity: 'YES' | 'NO';
  /** 'ALWAYS' for a stored generated column (search vectors): read, never written. */
  is_generated: 'ALWAYS' | 'NEVER';
}

// [select, insert and update] types for each PostgreSQL type.
const TS_TYPES: Record<string, [string, string, string]> = {
  int2: ['number', 'number', 'number'],
  int4: ['number', 'number', 'number'],
  int8: ['number', 'number', 'number'],
  float4: ['number', 'number', 'number'],
  float8: ['number', 'number', 'number'],
  numeric: ['string', 'string', 'string'],
  bool: ['boolean', 'boolean', 'boolean'],
  text: ['string', 'string', 'string'],
  varchar: ['string', 'string', 'string'],
  citext: ['string', 'string', 'string'],
  uuid: ['string', 'string', 'string'],
  inet: ['string', 'string', 'string'],
  bytea: ['Buffer', 'Buffer', 'Buffer'],
  // JSON goes in as a string (JSON.stringify) and comes out parsed.
  jsonb: ['unknown', 'string', 'string'],
  json: ['unknown', 'string', 'string'],
  timestamptz: ['Date', 'Date | string', 'Date | string'],
  timestamp: ['Date', 'Date | string', 'Date | string'],
  date: ['Date', 'Date | string', 'Date | string'],
  // Full-text search vectors, as PostgreSQL writes them out ('word':1A); only ever generated.
  tsvector: ['string', 'string', 'string'],
};

function pascalCase(name: string): string {
  return name.replace(/(^|_)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
}

function columnType(column: ColumnRow): string {
  const isArray = column.udt_name.startsWith('_');
  const types = TS_TYPES[isArray ? column.udt_name.slice(1) : column.udt_name];
  if (!types) throw new Error(`describe-schema: no TypeScript type for ${column.table_name}.${column.column_name} (${column.udt_name})`);
  let [select, insert, update] = types.map((type) => (isArray ? `(${type})[]` : type)) as [string, string, string];
  if (column.is_nullable === 'YES') [select, insert, update] = [`${select} | null`, `${insert} | null`, `${update} | null`];
  if (column.is_generated === 'ALWAYS') return `GeneratedAlways<${select}>`;
  if (column.is_identity === 'YES' && column.column_default === null) return `GeneratedAlways<${select}>`;
  if (column.column_default !== null) insert = `${insert} | undefined`;
  if (insert === select && update === select) return select;
  if (insert === `${select} | undefined` && update === select) return `Generated<${select}>`;
  return `ColumnType<${select}, ${insert}, ${update}>`;
}

export async function describeSchema(db: Kysely<any>): Promise<string> {
  const { rows } = await sql<ColumnRow>`
    select c.table_name, c.column_name, c.udt_name, c.is_nullable, c.column_default, c.is_identity, c.is_generated
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and t.table_type = 'BASE TABLE' and c.table_name not like 'kysely\\_%'
    order by c.table_name, c.ordinal_position`.execute(db);

  const tables = new Map<string, ColumnRow[]>();
  for (const row of rows) tables.set(row.table_name, [...(tables.get(row.table_name) ?? []), row]);

  const out = [
    '// Written by `npm run db:types` from the migrated schema. Do not edit: add a migration and run it again.',
    "import type { ColumnType, Generated, GeneratedAlways } from 'kysely';",
    '',
  ];
  for (const [table, columns] of tables) {
    out.push(`export interface ${pascalCase(table)} {`);
    for (const column of columns) out.push(`  ${column.column_name}: ${columnType(column)};`);
    out.push('}', '');
  }
  out.push('export interface DB {');
  for (const table of tables.keys()) out.push(`  ${table}: ${pascalCase(table)};`);
  out.push('}', '');
  return out.join('\n');
}
