//! The people who use SmartGrid Sentinel's API and pages: who they are, what they may do,
//! which zones they work in. Who acknowledges an alarm comes from here (an authenticated
//! user), never from what a request says about itself.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{GridZone, UserRole};

impl UserRole {
    /// Whether this role may act on alarms (acknowledge, shelve, resolve).
    pub fn acts_on_alarms(self) -> bool {
        matches!(self, UserRole::Operator | UserRole::Engineer)
    }
}

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Its id.
    pub id: Uuid,
    /// Its login name: letters, digits and `._@-`, 1 to 100, starting with a letter or digit.
    pub name: String,
    /// What it may do.
    pub role: UserRole,
    /// The zones it works in; empty: every zone.
    pub zones: Vec<GridZone>,
    /// When it was disabled (its tokens then stop working).
    pub disabled_at: Option<DateTime<Utc>>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

impl User {
    /// Whether it works in `zone`.
    pub fn sees(&self, zone: GridZone) -> bool {
        self.zones.is_empty() || self.zones.contains(&zone)
    }
}

/// Whether `name` may be a user's name (the database's `ck_grid_users_name` says the same).
pub fn valid_user_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 100
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roles_and_zones() {
        assert!(valid_user_name("wanjiku.k@nbi-rcc"));
        for bad in ["", ".x", "a b", "x\0", "名前", &"a".repeat(101)] {
            assert!(!valid_user_name(bad), "{bad:?}");
        }
        assert!(!UserRole::Viewer.acts_on_alarms() && UserRole::Operator.acts_on_alarms());
        let u = User {
            id: Uuid::nil(),
            name: "x".into(),
            role: UserRole::Viewer,
            zones: vec![GridZone::Nairobi],
            disabled_at: None,
            created_at: Utc::now(),
        };
        assert!(u.sees(GridZone::Nairobi) && !u.sees(GridZone::Mombasa));
    }
}
