//! Small questions tests ask the database: a count, a text, the SQLSTATE a statement
//! fails with, and the facts of its schema.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// Counts the rows of a query returning one `bigint` column named `n`: a small helper tests
/// use to assert on what the database holds.
pub fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .get_result::<N>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

/// Reads one text value (column `v`) from a query.
pub fn text(conn: &mut PgConnection, sql: &str) -> String {
    #[derive(QueryableByName)]
    struct V {
        #[diesel(sql_type = Text)]
        v: String,
    }
    diesel::sql_query(sql)
        .get_result::<V>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .v
}

/// Runs `sql` and returns the SQLSTATE it failed with, or `None` if it succeeded. Diesel does
/// not expose SQLSTATE codes, so the statement runs inside a PL/pgSQL block that catches the
/// error (and therefore inside a transaction: use forms that allow one).
pub fn sqlstate_of(conn: &mut PgConnection, sql: &str) -> Option<String> {
    conn.batch_execute(
        "CREATE OR REPLACE FUNCTION pg_temp.gs_try(q text) RETURNS text LANGUAGE plpgsql AS $$
         BEGIN EXECUTE q; RETURN NULL;
         EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ' ' || SQLERRM; END $$",
    )
    .expect("creating pg_temp.gs_try");
    #[derive(QueryableByName)]
    struct R {
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        r: Option<String>,
    }
    diesel::sql_query("SELECT pg_temp.gs_try($1) AS r")
        .bind::<Text, _>(sql)
        .get_result::<R>(conn)
        .expect("calling pg_temp.gs_try")
        .r
}

/// Every fact of the public schema: enums, tables, columns (normalised type, nullability),
/// primary keys, indexes (method, columns, unique, partial), foreign keys with their ON DELETE
/// action, and CHECK constraints; one string each, in the notation of grid-store's reference
/// fixture. Tests compare schemas with it.
pub fn schema_facts(conn: &mut PgConnection) -> std::collections::BTreeSet<String> {
    #[derive(QueryableByName)]
    struct Fact {
        #[diesel(sql_type = Text)]
        fact: String,
    }
    let sql = r#"
WITH rels AS (
    SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
       AND c.relname <> '__diesel_schema_migrations'
), cols AS (
    SELECT a.attrelid, a.attnum, a.attname,
           CASE format_type(a.atttypid, a.atttypmod)
             WHEN 'double precision' THEN 'float8' WHEN 'integer' THEN 'int4'
             WHEN 'bigint' THEN 'int8' WHEN 'boolean' THEN 'bool'
             WHEN 'timestamp without time zone' THEN 'timestamp'
             WHEN 'timestamp with time zone' THEN 'timestamptz'
             ELSE regexp_replace(format_type(a.atttypid, a.atttypmod),
                                 '^character varying', 'varchar') END AS ty,
           a.attnotnull
      FROM pg_attribute a JOIN rels r ON r.oid = a.attrelid
     WHERE a.attnum > 0 AND NOT a.attisdropped
)
SELECT 'enum ' || t.typname || ': ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS fact
  FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
  JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = 'public' GROUP BY t.typname
UNION ALL
SELECT 'table ' || relname FROM rels
UNION ALL
SELECT 'column ' || r.relname || '.' || c.attname || ' ' || c.ty
       || CASE WHEN c.attnotnull THEN ' notnull' ELSE ' null' END
  FROM cols c JOIN rels r ON r.oid = c.attrelid
UNION ALL
SELECT 'pk ' || r.relname || ' (' ||
       (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
          FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) || ')'
  FROM pg_constraint con JOIN rels r ON r.oid = con.conrelid WHERE con.contype = 'p'
UNION ALL
SELECT 'index ' || r.relname || ' ' || i.relname || ' ' || am.amname || ' (' ||
       (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
          FROM unnest(ix.indkey[0:ix.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum) || ')'
       || CASE WHEN ix.indisunique THEN ' unique' ELSE '' END
       || CASE WHEN ix.indpred IS NOT NULL THEN ' where' ELSE '' END
  FROM pg_index ix JOIN rels r ON r.oid = ix.indrelid
  JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_am am ON am.oid = i.relam
UNION ALL
SELECT 'fk ' || r.relname || '.' ||
       (SELECT string_agg(a.attname, ',') FROM pg_attribute a
         WHERE a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)) ||
       ' -> ' || con.confrelid::regclass::text || ' ON DELETE ' ||
       CASE con.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT'
         WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END
  FROM pg_constraint con JOIN rels r ON r.oid = con.conrelid WHERE con.contype = 'f'
UNION ALL
SELECT 'check ' || r.relname || ' ' || con.conname
  FROM pg_constraint con JOIN rels r ON r.oid = con.conrelid WHERE con.contype = 'c'
"#;
    diesel::sql_query(sql)
        .load::<Fact>(conn)
        .expect("reading the catalog")
        .into_iter()
        .map(|f| f.fact)
        .collect()
}

/// [`schema_facts`] plus the functions, triggers and types of the public schema that no
/// extension owns: what "nothing of ours left" and "up, down, up is clean" compare.
pub fn schema_snapshot(conn: &mut PgConnection) -> std::collections::BTreeSet<String> {
    #[derive(QueryableByName)]
    struct Fact {
        #[diesel(sql_type = Text)]
        fact: String,
    }
    let mut facts = schema_facts(conn);
    let extra: Vec<Fact> = diesel::sql_query(
        "SELECT 'function ' || p.oid::regprocedure::text AS fact
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = 'public'
            AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
         UNION ALL
         SELECT 'trigger ' || c.relname || ' ' || t.tgname || ' ' || pg_get_triggerdef(t.oid)
           FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND NOT t.tgisinternal
         UNION ALL
         SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
          WHERE n.nspname = 'public' AND t.typtype IN ('e', 'c', 'd')
            AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
            AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid)",
    )
    .load(conn)
    .unwrap();
    facts.extend(extra.into_iter().map(|f| f.fact));
    facts
}
