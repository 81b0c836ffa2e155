//! GitHub organisation audit log entries (the REST API's array; the CSV
//! export comes with the CSV reader). Each needs `action` and a time in
//! `created_at` or `@timestamp` (milliseconds); `_document_id` is the
//! dedupe key and `request_id` correlates.
use super::record::{text_at as text, Outcome, Parsed, Source};
use serde_json::Value;

/// One entry, or the reason it is refused.
pub fn event(record: Value) -> Result<Parsed, String> {
    if !record.is_object() {
        return Err("is not an object".into());
    }
    let action = text(&record, "/action")
        .ok_or("has no \"action\"")?
        .to_owned();
    let when = ["created_at", "@timestamp"]
        .iter()
        .find_map(|k| record.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v)))
        .ok_or("has no \"created_at\" or \"@timestamp\"")?;
    let occurred_at = super::time::from_json(when.1).map_err(|e| format!("\"{}\" {e}", when.0))?;
    let actor = text(&record, "/actor").unwrap_or("github").to_owned();
    let target = ["/repo", "/user", "/team", "/key", "/name", "/org"]
        .iter()
        .find_map(|p| text(&record, p))
        .unwrap_or_default()
        .to_owned();
    let outcome = match text(&record, "/conclusion") {
        Some("success") => Outcome::Success,
        Some("failure" | "cancelled" | "timed_out") => Outcome::Failure,
        _ => Outcome::Unknown,
    };
    let summary = if target.is_empty() {
        format!("{action} by {actor}")
    } else {
        format!("{action} by {actor} on {target}")
    };
    Ok(Parsed {
        source: Source::Github,
        source_id: text(&record, "/_document_id").map(str::to_owned),
        occurred_at,
        actor,
        action,
        target,
        outcome,
        request_id: text(&record, "/request_id").map(str::to_owned),
        environment: text(&record, "/org").map(|o| format!("github {o}")),
        summary,
        payload: record,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_fixture_reads_as_events() {
        let all: Vec<Parsed> = super::super::fixture_records("github/audit-log.json")
            .into_iter()
            .map(|r| event(r).expect("an event"))
            .collect();
        assert_eq!(all.len(), 14);
        let first = &all[0];
        assert_eq!(first.source_id.as_deref(), Some("CQb2Q8AsDgHejoWzDBF8lQ"));
        assert_eq!(first.occurred_at.timestamp_millis(), 1_795_021_549_618);
        assert_eq!(first.actor, "dana-okafor");
        assert!(all.iter().any(|e| e.action == "org.update_actions_secret"));
    }

    #[test]
    fn an_entry_needs_an_action_and_a_time() {
        assert_eq!(
            event(json!({"created_at": 1795021549618_u64})).unwrap_err(),
            "has no \"action\""
        );
        assert_eq!(
            event(json!({"action": "repo.create", "created_at": null})).unwrap_err(),
            "has no \"created_at\" or \"@timestamp\""
        );
        let by_timestamp = event(json!({"action": "repo.create", "@timestamp": 1795021549618_u64}));
        assert_eq!(
            by_timestamp.map(|e| e.source_id),
            Ok(None),
            "no id: deduped by hash"
        );
        assert!(event(json!({"action": "x", "created_at": "soon"})).is_err());
    }
}
