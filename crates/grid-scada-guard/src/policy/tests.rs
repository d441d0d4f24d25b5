//! Policies read, matched and refused by field.

use super::*;
use chrono::TimeZone;

pub(crate) const POLICY: &str = r#"
[guard]
time_zone = "Africa/Nairobi"

[[device]]
name = "rtu-1"
listen = "127.0.0.1:15020"
upstream = "127.0.0.1:5020"

[[device.client]]
name = "poller"
addresses = ["127.0.0.1"]
functions = [3, 4]
read = [{ table = "holding", from = 0, to = 9 }]

[[device.client]]
name = "eng"
addresses = ["10.1.5.0/24"]
functions = [3, 6]
read = [{ table = "holding", from = 0, to = 99 }]
write = [{ table = "holding", from = 10, to = 19, min = 0, max = 5000, window = "22:00-04:00" }]
"#;

#[test]
fn a_policy_reads_and_its_clients_match() {
    let p = GuardPolicy::from_toml(POLICY).unwrap();
    let d = &p.devices[0];
    assert_eq!(d.unit_ids, [1]);
    assert_eq!(
        d.client("127.0.0.1".parse().unwrap()).unwrap().name,
        "poller"
    );
    assert_eq!(d.client("10.1.5.77".parse().unwrap()).unwrap().name, "eng");
    assert!(d.client("10.1.6.1".parse().unwrap()).is_none());
    // The window crosses midnight, in Nairobi time (UTC+3): 20:00 UTC is 23:00 there.
    let rule = &d.clients[1].write[0];
    let at = |h| Utc.with_ymd_and_hms(2026, 3, 10, h, 0, 0).unwrap();
    assert!(rule.open_at(at(20), p.zone()));
    assert!(!rule.open_at(at(9), p.zone()));
}

#[test]
fn bad_policies_name_the_field_or_line() {
    let cases = [
        (
            POLICY.replace("[3, 4]", "[3, 8]"),
            "device[0].client[0].functions",
        ),
        (
            POLICY.replace("[3, 4]", "[3, 21]"),
            "device[0].client[0].functions",
        ),
        (
            POLICY.replace("[3, 4]", "[3, 7]"),
            "device[0].client[0].functions",
        ),
        (
            POLICY.replace("\"127.0.0.1\"]", "\"nowhere\"]"),
            "device[0].client[0].addresses",
        ),
        (
            POLICY
                .replace("[3, 6]", "[3, 6, 16]")
                .replace("write = [", "writ = ["),
            "",
        ),
        (
            POLICY
                .replace("max = 5000", "max = 5000, min = 6000")
                .replace("min = 0, ", ""),
            "device[0].client[1].write[0].max",
        ),
        (
            POLICY.replace("time_zone = \"Africa/Nairobi\"", ""),
            "device[0].client[1].write[0].window",
        ),
        (
            POLICY.replace(
                "time_zone = \"Africa/Nairobi\"",
                "time_zone = \"Mars/Olympus\"",
            ),
            "guard.time_zone",
        ),
        (
            POLICY.replace(
                "upstream = \"127.0.0.1:5020\"",
                "upstream = \"127.0.0.1:5020\"\nunit_ids = [0, 1]",
            ),
            "device[0].unit_ids",
        ),
    ];
    for (text, field) in cases {
        match GuardPolicy::from_toml(&text) {
            Err(ConfigError::Invalid { field: f, .. }) => assert_eq!(f, field, "{text}"),
            Err(ConfigError::Syntax { line, .. }) if field.is_empty() => assert!(line > 0),
            other => panic!("{field}: {other:?}"),
        }
    }
}
