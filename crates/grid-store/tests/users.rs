//! Users and their bearer tokens: a token works until revoked, expired or its user
//! disabled; only its SHA-256 is kept; names are checked.

mod common;

use chrono::{Duration, Utc};
use grid_model::{GridZone, UserRole};
use grid_store::{StoreError, users};
use grid_testdb::inspect::count;

#[test]
fn a_token_works_until_revoked_expired_or_its_user_disabled() {
    let db = common::db();
    let conn = &mut db.conn();
    let u = users::add(conn, "wanjiku.k", UserRole::Operator, &[GridZone::Nairobi]).unwrap();
    assert_eq!(
        (u.role, u.zones.as_slice()),
        (UserRole::Operator, &[GridZone::Nairobi][..])
    );
    assert!(matches!(
        users::add(conn, "wanjiku.k", UserRole::Viewer, &[]),
        Err(StoreError::Conflict { .. })
    ));
    for bad in ["", "a b", "-x", "x\0y"] {
        assert!(
            matches!(
                users::add(conn, bad, UserRole::Viewer, &[]),
                Err(StoreError::Invalid(_))
            ),
            "{bad:?}"
        );
    }

    let token = users::issue_token(conn, "wanjiku.k", None).unwrap();
    assert!(
        token.starts_with(users::TOKEN_PREFIX) && token.len() == 47,
        "{token}"
    );
    let found = users::by_token(conn, &token).unwrap().unwrap();
    assert_eq!((found.id, found.name.as_str()), (u.id, "wanjiku.k"));
    assert_eq!(found.created_at, u.created_at);
    // Only the digest is stored.
    assert_eq!(
        count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM grid_user_tokens
                  WHERE position('{token}'::bytea IN token_sha256) > 0"
            )
        ),
        0
    );
    // Anything else is nobody.
    for other in ["", "gst_", "Bearer x", &token[..46], &format!("{token}x")] {
        assert_eq!(users::by_token(conn, other).unwrap(), None, "{other:?}");
    }

    // Expired: nobody.
    let soon =
        users::issue_token(conn, "wanjiku.k", Some(Utc::now() + Duration::seconds(1))).unwrap();
    diesel::RunQueryDsl::execute(
        diesel::sql_query(
            "UPDATE grid_user_tokens SET created_at = now() - interval '2 days',
                    expires_at = now() - interval '1 day' WHERE expires_at IS NOT NULL",
        ),
        conn,
    )
    .unwrap();
    assert_eq!(users::by_token(conn, &soon).unwrap(), None);

    // Revoked: nobody; a new one works.
    assert_eq!(users::revoke_tokens(conn, "wanjiku.k").unwrap(), 2);
    assert_eq!(users::by_token(conn, &token).unwrap(), None);
    let again = users::issue_token(conn, "wanjiku.k", None).unwrap();
    assert!(users::by_token(conn, &again).unwrap().is_some());

    // Disabled: every token stops, and no new one is issued.
    let d = users::disable(conn, "wanjiku.k").unwrap();
    assert!(d.disabled_at.is_some());
    assert_eq!(users::by_token(conn, &again).unwrap(), None);
    assert!(matches!(
        users::issue_token(conn, "wanjiku.k", None),
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        users::disable(conn, "nobody"),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(users::list(conn).unwrap().len(), 1);
}
