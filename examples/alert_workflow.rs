//! The alert lifecycle: raise, acknowledge, start work, resolve, close — and a forbidden
//! transition refused with a typed error. Every step is kept in the alert's history.
//!
//! ```text
//! cargo run --example alert_workflow      # a throwaway PostgreSQL, or DATABASE_URL
//! ```

use chrono::{Duration, Utc};
use grid_model::*;
use grid_store::{AlertRepository, StoreError, SubstationRepository};

fn main() -> anyhow::Result<()> {
    let (_server, url) = grid_testdb::database_url_or_throwaway()?;
    let mut conn = grid_store::establish(&url)?;
    grid_store::migrations::run_pending(&mut conn)?;

    let draft = SubstationDraft::new(
        "Kipevu Substation",
        "AW-KIP",
        GridZone::Mombasa,
        (-4.0434, 39.6463),
        132,
        120.0,
    );
    let substation = conn.insert_substation(&NewSubstation::new(draft)?)?;

    // The condition began 40 minutes ago (an alarm recorded after the fact).
    let began = Utc::now() - Duration::minutes(40);
    let mut d = AlertDraft::new(
        AlertKind::Overheating,
        AlertSeverity::Critical,
        "T1 top oil above 95 °C",
    );
    d.substation_id = Some(substation.id);
    d.current_value = Some(97.4);
    d.threshold_value = Some(95.0);
    d.raised_at = began;
    d.raised_by = Some("alerting-rule".into());
    let alert = conn.raise_alert(&NewAlert::new(d)?)?;
    println!(
        "raised      {} ({}) at {}",
        alert.title, alert.severity, alert.created_at
    );

    let steps = [
        AlertTransition::now(AlertAction::Acknowledge, "amina").at(began + Duration::minutes(3)),
        AlertTransition::now(
            AlertAction::StartWork {
                assignee: "crew 4".into(),
            },
            "amina",
        )
        .at(began + Duration::minutes(10)),
        AlertTransition::now(
            AlertAction::Resolve {
                notes: Some("cooling fan replaced".into()),
            },
            "crew 4",
        )
        .at(began + Duration::minutes(35)),
        AlertTransition::now(AlertAction::Close, "supervisor")
            .with_note("reviewed at shift change"),
    ];
    for step in &steps {
        let a = conn.transition_alert(alert.id, step)?;
        println!(
            "{:<11} by {} at {}",
            a.status.to_string(),
            step.actor,
            step.at
        );
    }

    // A closed alert cannot be acknowledged again: the lifecycle says no, with a typed error.
    let again = AlertTransition::now(AlertAction::Acknowledge, "baraka");
    match conn.transition_alert(alert.id, &again) {
        Err(StoreError::Transition(e)) => println!("refused:    {e}"),
        other => anyhow::bail!("expected a refused transition, got {other:?}"),
    }

    println!("history:");
    for h in conn.alert_history(alert.id)? {
        let from = h
            .from_status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "—".into());
        println!(
            "  {from:>12} → {:<12} {:<14} {}",
            h.to_status.to_string(),
            h.actor.unwrap_or_default(),
            h.occurred_at
        );
    }
    Ok(())
}
