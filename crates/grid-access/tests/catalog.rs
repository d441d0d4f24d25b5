//! The grants in the catalog against the matrix written down in
//! `tests/fixtures/expected_grants.txt`: every relation of schema `public`, every role, the
//! sequences behind what a role inserts, the security-definer functions, and the hypertable's
//! chunks (which must carry the hypertable's grants, including chunks made later).

mod common;

use std::collections::BTreeMap;

use common::*;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use grid_access::{Role, RoleNames};
use grid_testdb::{Mode, TestDb};
use grid_timescale::RollupKind;

const ROLES: [Role; 5] = [
    Role::Writer,
    Role::Poller,
    Role::Analyst,
    Role::Reader,
    Role::Regional,
];

const FIXTURE: &str = include_str!("fixtures/expected_grants.txt");

fn expected(kind: RollupKind) -> BTreeMap<String, Vec<String>> {
    FIXTURE
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#') && !l.starts_with("columns "))
        .map(|l| {
            let mut f = l.split_whitespace();
            let relation = f.next().unwrap().to_owned();
            let privileges = f
                .map(|p| match (p, kind) {
                    ("rollup", RollupKind::Tables) => "SIUD".to_owned(),
                    ("rollup", RollupKind::ContinuousAggregates) => "S".to_owned(),
                    (p, _) => p.to_owned(),
                })
                .collect();
            (relation, privileges)
        })
        .collect()
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Yes {
    #[diesel(sql_type = Bool)]
    yes: bool,
}

fn ask(conn: &mut PgConnection, sql: &str, role: &str, object: &str) -> bool {
    diesel::sql_query(sql)
        .bind::<Text, _>(role)
        .bind::<Text, _>(object)
        .get_result::<Yes>(conn)
        .unwrap_or_else(|e| panic!("{sql} for {role} on {object}: {e}"))
        .yes
}

fn table_privilege(conn: &mut PgConnection, role: &str, relation: &str, privilege: &str) -> bool {
    ask(
        conn,
        &format!("SELECT has_table_privilege($1, $2, '{privilege}') AS yes"),
        role,
        relation,
    )
}

/// The privileges `role` holds on `relation`, in the fixture's notation.
fn actual(conn: &mut PgConnection, role: &str, relation: &str) -> String {
    let mut s = String::new();
    for (p, letter) in [
        ("SELECT", 'S'),
        ("INSERT", 'I'),
        ("UPDATE", 'U'),
        ("DELETE", 'D'),
    ] {
        if table_privilege(conn, role, relation, p) {
            s.push(letter);
        } else if matches!(p, "INSERT" | "UPDATE")
            && ask(
                conn,
                &format!("SELECT has_any_column_privilege($1, $2, '{p}') AS yes"),
                role,
                relation,
            )
        {
            s.push(letter.to_ascii_lowercase());
        }
    }
    for p in ["TRUNCATE", "REFERENCES", "TRIGGER"] {
        if table_privilege(conn, role, relation, p) {
            s.push_str(&format!("+{p}"));
        }
    }
    if s.is_empty() { "-".into() } else { s }
}

fn names(conn: &mut PgConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<Name>(conn)
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect()
}

#[test]
fn the_grants_on_every_relation_are_the_expected_matrix() {
    let db = TestDb::new(&ACCESS);
    let conn = &mut db.conn();
    let kind = grid_timescale::state(conn).unwrap().rollups;
    let expected = expected(kind);
    let relations = grid_access::relations(conn).unwrap();
    let unexpected: Vec<&String> = relations
        .iter()
        .filter(|r| !expected.contains_key(*r))
        .collect();
    assert!(
        unexpected.is_empty(),
        "relations missing from the expected matrix: {unexpected:?}"
    );
    let missing: Vec<&String> = expected.keys().filter(|r| !relations.contains(r)).collect();
    assert!(
        missing.is_empty(),
        "expected relations not in the database: {missing:?}"
    );

    let mut wrong = Vec::new();
    for (relation, privileges) in &expected {
        for (role, want) in ROLES.iter().zip(privileges) {
            let got = actual(conn, &role_name(*role), relation);
            if &got != want {
                wrong.push(format!("{relation} {role:?}: want {want}, got {got}"));
            }
        }
        let owner = actual(conn, &role_name(Role::Owner), relation);
        if owner != "SIUD+TRUNCATE+REFERENCES+TRIGGER" {
            wrong.push(format!("{relation} Owner: got {owner}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "grants differ from the matrix:\n{}",
        wrong.join("\n")
    );
}

/// Column-level grants: exactly the fixture's columns for each `i` and `u` of the matrix,
/// and no column privilege elsewhere beyond what the table-level grants give.
#[test]
fn column_grants_are_exactly_the_listed_columns() {
    let db = TestDb::new(&ACCESS);
    let conn = &mut db.conn();
    let kind = grid_timescale::state(conn).unwrap().rollups;
    let mut listed: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    for l in FIXTURE.lines().filter(|l| l.starts_with("columns ")) {
        let f: Vec<&str> = l.split_whitespace().collect();
        let mut cols: Vec<String> = f[4].split(',').map(str::to_owned).collect();
        cols.sort();
        listed.insert((f[1].into(), f[2].into(), f[3].into()), cols);
    }
    let mut wrong = Vec::new();
    for (relation, privileges) in expected(kind) {
        for (role, letters) in ROLES.iter().zip(&privileges) {
            for (letter, p) in [('i', "INSERT"), ('u', "UPDATE")] {
                let key = (
                    relation.clone(),
                    format!("{role:?}").to_lowercase(),
                    p.to_owned(),
                );
                let want = listed.remove(&key);
                if !letters.contains(letter) {
                    if want.is_some() {
                        wrong.push(format!("{key:?} listed but the matrix has {letters}"));
                    }
                    continue;
                }
                let got = names(
                    conn,
                    &format!(
                        "SELECT attname AS name FROM pg_attribute
                          WHERE attrelid = '{relation}'::regclass AND attnum > 0
                            AND NOT attisdropped
                            AND has_column_privilege('{}', attrelid, attnum, '{p}')
                          ORDER BY 1",
                        role_name(*role)
                    ),
                );
                if Some(&got) != want.as_ref() {
                    wrong.push(format!("{key:?}: want {want:?}, got {got:?}"));
                }
            }
        }
    }
    assert!(
        listed.is_empty(),
        "column lines without their letter: {listed:?}"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn role_name(role: Role) -> String {
    RoleNames::default().of(role)
}

#[test]
fn sequences_functions_and_chunks_follow_the_matrix() {
    let db = TestDb::new(&ACCESS);
    let conn = &mut db.conn();
    // A sequence's USAGE goes with INSERT on its table.
    let sequences = names(
        conn,
        "SELECT s.relname || ' ' || t.relname AS name FROM pg_class s
           JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
           JOIN pg_class t ON t.oid = d.refobjid
          WHERE s.relkind = 'S' AND s.relnamespace = 'public'::regnamespace",
    );
    assert!(!sequences.is_empty());
    for pair in &sequences {
        let (seq, table) = pair.split_once(' ').unwrap();
        for role in ROLES {
            let name = role_name(role);
            // INSERT on the table or on some of its columns.
            let inserts = ask(
                conn,
                "SELECT has_any_column_privilege($1, $2, 'INSERT') AS yes",
                &name,
                table,
            );
            let usage = ask(
                conn,
                "SELECT has_sequence_privilege($1, $2, 'USAGE') AS yes",
                &name,
                seq,
            );
            assert_eq!(usage, inserts, "{role:?} on {seq} (of {table})");
        }
    }

    // Our functions (not the extension's): none runs as its definer but the listed ones,
    // and those only for their roles.
    let definers = names(
        conn,
        "SELECT p.oid::regprocedure::text AS name FROM pg_proc p
          WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef
            AND NOT EXISTS (SELECT 1 FROM pg_depend d
                             WHERE d.objid = p.oid AND d.deptype = 'e')",
    );
    let listed: Vec<String> = grid_access::grants::DEFINER_FUNCTIONS
        .iter()
        .flat_map(|(f, _)| {
            names(
                conn,
                &format!("SELECT to_regprocedure('{f}')::text AS name WHERE to_regprocedure('{f}') IS NOT NULL"),
            )
        })
        .collect();
    for f in &definers {
        assert!(
            listed.contains(f),
            "an unlisted security-definer function: {f}"
        );
    }
    // The chunk probe exists where there are chunks; the security-event fold and the token
    // lookup everywhere.
    assert_eq!(
        definers.len(),
        2 + usize::from(db.mode() != Mode::Plain),
        "{definers:?}"
    );
    for f in &definers {
        let allowed: &[Role] = if f.starts_with("grid_security_event_fold") {
            &[Role::Poller]
        } else if f.starts_with("grid_user_by_token") {
            &[Role::Reader, Role::Regional]
        } else {
            &[Role::Writer, Role::Poller]
        };
        for role in ROLES {
            let may = ask(
                conn,
                "SELECT has_function_privilege($1, $2, 'EXECUTE') AS yes",
                &role_name(role),
                f,
            );
            assert_eq!(may, allowed.contains(&role), "{role:?} on {f}");
        }
    }

    if db.mode() != Mode::Plain {
        // Chunks carry the hypertable's grants, those made after apply too.
        let grid = grid(conn);
        ingest(conn, readings(&grid, day_one(), 10));
        ingest(
            conn,
            readings(&grid, day_one() + chrono::Duration::days(9), 10),
        );
        let chunks = names(
            conn,
            "SELECT c::text AS name FROM show_chunks('sensor_readings') c",
        );
        assert!(chunks.len() >= 2, "{chunks:?}");
        for chunk in &chunks {
            for role in ROLES {
                let name = role_name(role);
                for p in ["SELECT", "INSERT", "UPDATE", "DELETE"] {
                    assert_eq!(
                        table_privilege(conn, &name, chunk, p),
                        table_privilege(conn, &name, "sensor_readings", p),
                        "{role:?} {p} on {chunk}"
                    );
                }
            }
        }
    }
}
