//! Pipedream HTTP source events, one per NDJSON line: `method` and `path`
//! are required. They carry no id (deduped by a hash of the whole event)
//! and no time: a time inside a forwarded body (a Stripe `created`) is
//! used, else the import's. The REST listing's items (`id`,
//! `indexed_at_ms`, the event under `event`) are read too.
use super::record::{text_at as text, Outcome, Parsed, Source};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// One event, or the reason it is refused.
pub fn event(record: Value, received_at: DateTime<Utc>) -> Result<Parsed, String> {
    if !record.is_object() {
        return Err("is not an object".into());
    }
    // A listing item wraps the event under `event` (or `e`).
    let (inner, id, indexed) = match record.get("event").or_else(|| record.get("e")) {
        Some(e) if e.is_object() => (
            e,
            text(&record, "/id").map(str::to_owned),
            record.get("indexed_at_ms").filter(|v| !v.is_null()),
        ),
        _ => (&record, None, None),
    };
    let method = text(inner, "/method")
        .ok_or("has no \"method\"")?
        .to_uppercase();
    let path = text(inner, "/path").ok_or("has no \"path\"")?.to_owned();
    let occurred_at =
        match indexed.or_else(|| inner.pointer("/body/created").filter(|v| v.is_number())) {
            Some(t) => super::time::from_json(t).map_err(|e| format!("its time {e}"))?,
            None => received_at,
        };
    let sender = text(inner, "/headers/user-agent")
        .unwrap_or("unknown")
        .to_owned();
    let kind = text(inner, "/body/type").map(str::to_owned);
    let request_id = text(inner, "/body/request/id")
        .or_else(|| text(inner, "/headers/x-github-delivery"))
        .map(str::to_owned);
    let summary = match &kind {
        Some(kind) => format!("{method} {path} ({kind}) from {sender}"),
        None => format!("{method} {path} from {sender}"),
    };
    Ok(Parsed {
        source: Source::Pipedream,
        source_id: id,
        occurred_at,
        actor: sender,
        action: format!("http.{}", method.to_lowercase()),
        target: path,
        outcome: Outcome::Unknown,
        request_id,
        environment: None,
        summary,
        payload: record,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_100_000, 0).expect("a time")
    }

    #[test]
    fn the_fixture_reads_as_requests() {
        let all: Vec<Parsed> = super::super::fixture_records("pipedream/http-events.ndjson")
            .into_iter()
            .map(|r| event(r, now()).expect("an event"))
            .collect();
        assert_eq!(all.len(), 10);
        let stripe = &all[0];
        assert_eq!(stripe.target, "/stripe");
        assert_eq!(
            stripe.occurred_at.timestamp(),
            1_794_996_012,
            "the forwarded event's time"
        );
        assert!(stripe.source_id.is_none());
        assert!(
            all.iter().any(|e| e.occurred_at == now()),
            "others are timed by the import"
        );
    }

    #[test]
    fn a_request_needs_a_method_and_a_path() {
        assert_eq!(
            event(json!({"path": "/x"}), now()).unwrap_err(),
            "has no \"method\""
        );
        assert_eq!(
            event(json!({"method": "GET"}), now()).unwrap_err(),
            "has no \"path\""
        );
        let listed = event(json!({"id": "1700000000000-0", "indexed_at_ms": 1795011600000_u64, "e": {"method": "get", "path": "/"}}), now())
            .expect("a listing item");
        assert_eq!(
            (listed.source_id.as_deref(), listed.occurred_at.timestamp()),
            (Some("1700000000000-0"), 1_795_011_600)
        );
    }
}
