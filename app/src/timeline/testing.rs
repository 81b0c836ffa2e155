//! Entries and times for tests of the timeline and of what reads it.
use super::{Data, Entry, Kind, OWN_SOURCE};
use chrono::{DateTime, Duration, TimeZone, Utc};

pub(crate) fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 3, 0, 0)
        .single()
        .expect("time")
        + Duration::minutes(minutes)
}

pub(crate) fn entry(id: i64, minutes: i64, kind: Kind, text: &str) -> Entry {
    Entry {
        id,
        at: t(minutes),
        happened_at: None,
        author: "Priya".into(),
        kind,
        source: OWN_SOURCE.into(),
        text: text.into(),
        corrects: None,
        data: None,
    }
}

/// A role change with typed data, its words beside the point.
pub(crate) fn role(id: i64, minutes: i64, role: &str, to: Option<&str>) -> Entry {
    let mut e = entry(id, minutes, Kind::RoleAssigned, "words people read");
    e.data = Some(Data::Role {
        role: role.into(),
        from: None,
        to: to.map(Into::into),
    });
    e
}
