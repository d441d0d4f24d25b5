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
    let sql = include_str!("schema_facts.sql");
    diesel::sql_query(sql)
        .load::<Fact>(conn)
        .expect("reading the catalog")
        .into_iter()
        .map(|f| f.fact)
        .collect()
}

/// [`schema_facts`] plus the functions, triggers, types and CHECK definitions of the public
/// schema that no extension owns: what "nothing of ours left" and "up, down, up is clean" compare.
pub fn schema_snapshot(conn: &mut PgConnection) -> std::collections::BTreeSet<String> {
    #[derive(QueryableByName)]
    struct Fact {
        #[diesel(sql_type = Text)]
        fact: String,
    }
    let mut facts = schema_facts(conn);
    let extra: Vec<Fact> = diesel::sql_query(include_str!("schema_functions.sql"))
        .load(conn)
        .unwrap();
    facts.extend(extra.into_iter().map(|f| f.fact));
    facts
}
