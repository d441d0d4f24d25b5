//! The schema matches the reference models, transcribed by hand into
//! `fixtures/reference_schema.txt`, with every deviation listed there with its reason.

mod common;

use std::collections::BTreeSet;

/// The fact's identity for a `~` replacement: kind and name (indexes and checks: with table).
fn key(fact: &str) -> String {
    let words: Vec<&str> = fact.split_whitespace().collect();
    let n = match words[0] {
        "index" | "check" => 3,
        _ => 2,
    };
    words[..n].join(" ").trim_end_matches(':').to_owned()
}

struct Expected {
    facts: BTreeSet<String>,
    deviations: usize,
}

fn expected() -> Expected {
    let text = include_str!("fixtures/reference_schema.txt");
    let (reference, deviations) = text
        .split_once("\n== deviations\n")
        .expect("the fixture has a deviations section");
    let mut facts: BTreeSet<String> = reference
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let mut reason = String::new();
    let mut count = 0;
    for line in deviations.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(r) = line.strip_prefix("reason:") {
            reason = r.trim().to_owned();
            continue;
        }
        assert!(!reason.is_empty(), "deviation without a reason: {line}");
        let (op, fact) = line.split_at(1);
        let fact = fact.trim().to_owned();
        count += 1;
        match op {
            "-" => assert!(
                facts.remove(&fact),
                "removes a fact the reference lacks: {fact}"
            ),
            "+" => assert!(
                facts.insert(fact.clone()),
                "adds a fact the reference has: {fact}"
            ),
            "~" => {
                let k = key(&fact);
                let old: Vec<String> = facts.iter().filter(|f| key(f) == k).cloned().collect();
                assert_eq!(
                    old.len(),
                    1,
                    "~ must replace exactly one reference fact: {fact}"
                );
                assert_ne!(old[0], fact, "~ replaces a fact with itself: {fact}");
                facts.remove(&old[0]);
                facts.insert(fact);
            }
            _ => panic!("unknown deviation line: {line}"),
        }
    }
    Expected {
        facts,
        deviations: count,
    }
}

#[test]
fn the_schema_is_the_reference_with_the_documented_deviations() {
    let db = common::db();
    let mut conn = db.conn();
    let actual = grid_testdb::schema_facts(&mut conn);
    let expected = expected();
    let missing: Vec<_> = expected.facts.difference(&actual).collect();
    let unexpected: Vec<_> = actual.difference(&expected.facts).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "schema differs from reference + deviations\nmissing ({}):\n  {}\nnot documented ({}):\n  {}",
        missing.len(),
        missing
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
        unexpected.len(),
        unexpected
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
    );
    // Sanity: the comparison covers the whole reference, not a subset.
    assert_eq!(
        actual.iter().filter(|f| f.starts_with("table ")).count(),
        // the reference's 10, alert_transitions, sensor_readings_quarantine, the two
        // transformer thermal tables, the two anomaly detector state tables and the
        // customer counts with effective dates, the users and their tokens, the alarm
        // points, areas and actions
        22
    );
    assert!(expected.deviations > 100);
}
