//! Shared by the store's integration tests: the migrated template and small fixtures.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use grid_model::*;
use grid_store::{SensorRepository, SubstationRepository, TransformerRepository};
use grid_testdb::{Template, TestDb};

/// A database with every migration applied.
pub const MIGRATED: Template = Template {
    name: "migrated",
    setup: |conn| {
        grid_store::migrations::run_pending(conn)?;
        Ok(())
    },
};

pub fn db() -> TestDb {
    TestDb::new(&MIGRATED)
}

pub fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

pub fn substation_draft(code: &str, zone: GridZone) -> SubstationDraft {
    let mut d = SubstationDraft::new(
        format!("{code} Substation"),
        code,
        zone,
        (-1.28, 36.82),
        132,
        90.0,
    );
    d.customers_served = 25_000;
    d
}

pub fn add_substation(conn: &mut PgConnection, code: &str, zone: GridZone) -> Substation {
    conn.insert_substation(&NewSubstation::new(substation_draft(code, zone)).unwrap())
        .unwrap()
}

pub fn add_transformer(
    conn: &mut PgConnection,
    substation: &Substation,
    name: &str,
) -> Transformer {
    let d = TransformerDraft::new(substation.id, name, 45.0, 132.0, 33.0);
    conn.insert_transformer(&NewTransformer::new(d).unwrap())
        .unwrap()
}

pub fn add_sensor(
    conn: &mut PgConnection,
    substation: &Substation,
    tag: &str,
    kind: SensorType,
) -> Sensor {
    let d = SensorDraft::new(substation.id, tag, kind);
    conn.insert_sensor(&NewSensor::new(d).unwrap()).unwrap()
}

/// Every fact of the public schema, in the fixture's notation (see
/// `fixtures/reference_schema.txt`).
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
