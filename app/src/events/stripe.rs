//! Stripe events: a JSON array of Event objects, a list response
//! (`{"object": "list", "data": [...]}`), or one Event per NDJSON line.
//! v1 events need `id`, `type`, `created` (Unix seconds) and
//! `data.object`; v2 thin events (`object` = `v2.core.event`) need `id`,
//! `type` and `created` (ISO-8601). The dedupe key is the event's `id`;
//! `request.id` only correlates events.
use super::record::{text_at as text, Outcome, Parsed, Source};
use serde_json::Value;

/// One event, or the reason it is refused.
pub fn event(record: Value) -> Result<Parsed, String> {
    let Value::Object(_) = &record else {
        return Err("is not an object".into());
    };
    let id = text(&record, "/id").ok_or("has no \"id\"")?.to_owned();
    let kind = text(&record, "/type").ok_or("has no \"type\"")?.to_owned();
    let thin = text(&record, "/object") == Some("v2.core.event");
    let created = record.get("created").ok_or("has no \"created\"")?;
    let occurred_at = if thin {
        let Value::String(t) = created else {
            return Err("\"created\" of a v2 event must be ISO-8601 text".into());
        };
        super::time::from_text(t)
    } else {
        match created {
            Value::Number(_) => super::time::from_json(created),
            _ => Err("must be Unix seconds".into()),
        }
    }
    .map_err(|e| format!("\"created\" {e}"))?;
    let object = record.pointer("/data/object");
    if !thin && !object.is_some_and(Value::is_object) {
        return Err("has no \"data.object\"".into());
    }
    let target = object
        .and_then(|o| text(o, "/id"))
        .or_else(|| text(&record, "/related_object/id"))
        .unwrap_or_default()
        .to_owned();
    // `request` is `{id, idempotency_key}` (older versions: the id alone).
    let request_id = text(&record, "/request/id")
        .or_else(|| text(&record, "/request"))
        .map(str::to_owned);
    let actor = if request_id.is_some() {
        "api request"
    } else {
        "stripe"
    }
    .to_owned();
    let environment = record
        .get("livemode")
        .and_then(Value::as_bool)
        .map(|live| if live { "live" } else { "test" }.to_owned());
    let outcome = if kind.ends_with(".failed") || kind.ends_with("_failed") {
        Outcome::Failure
    } else if kind.ends_with(".succeeded") || kind.ends_with(".paid") {
        Outcome::Success
    } else {
        Outcome::Unknown
    };
    Ok(Parsed {
        source: Source::Stripe,
        source_id: Some(id),
        occurred_at,
        summary: summary(&kind, &target, object),
        actor,
        action: kind,
        target,
        outcome,
        request_id,
        environment,
        payload: record,
    })
}

/// "charge.failed ch_1… 42.00 USD: card_declined"
fn summary(kind: &str, target: &str, object: Option<&Value>) -> String {
    let mut out = format!("{kind} {target}").trim().to_owned();
    let Some(object) = object else {
        return out;
    };
    let amount = object.get("amount").and_then(Value::as_i64);
    let currency = object.get("currency").and_then(Value::as_str);
    if let (Some(amount), Some(currency)) = (amount, currency) {
        out.push_str(&format!(
            " {}.{:02} {}",
            amount / 100,
            (amount % 100).abs(),
            currency.to_uppercase()
        ));
    }
    let reason = object
        .get("failure_code")
        .and_then(Value::as_str)
        .or_else(|| {
            object
                .pointer("/last_payment_error/code")
                .and_then(Value::as_str)
        });
    if let Some(reason) = reason {
        out.push_str(&format!(": {reason}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn records(name: &str) -> Vec<Value> {
        super::super::fixture_records(&format!("stripe/{name}"))
    }

    #[test]
    fn the_fixtures_read_as_events_with_their_ids_times_and_outcomes() {
        let all: Vec<Parsed> = records("events.json")
            .into_iter()
            .map(|r| event(r).expect("an event"))
            .collect();
        assert_eq!(all.len(), 13);
        let failed = all
            .iter()
            .find(|e| e.action == "charge.failed")
            .expect("charge.failed");
        assert_eq!(failed.outcome, Outcome::Failure);
        assert_eq!(
            failed.summary,
            format!("charge.failed {} 42.00 USD: card_declined", failed.target)
        );
        assert_eq!(failed.actor, "stripe", "a renewal, not an API call");
        assert_eq!(failed.environment.as_deref(), Some("live"));
        let first = &all[0];
        assert_eq!(
            first.source_id.as_deref(),
            Some("evt_1JlXttQx7kPb2NwDb831uLjn")
        );
        assert_eq!(first.request_id.as_deref(), Some("req_yjKyThSj9pYPPt"));
        assert_eq!(first.occurred_at.timestamp(), 1_794_993_123);
        let listed = records("events-list.json");
        assert_eq!(listed.len(), 6);
        assert!(listed.into_iter().all(|r| event(r).is_ok()));
        let lines = records("events.ndjson");
        assert_eq!(lines.len(), 5);
        assert!(lines.into_iter().all(|r| event(r).is_ok()));
    }

    #[test]
    fn thin_v2_events_take_iso_times() {
        let e = event(json!({
            "id": "evt_test_65R", "object": "v2.core.event", "type": "v1.billing.meter.error_report_triggered",
            "created": "2026-11-18T14:20:00.000Z", "livemode": false,
            "related_object": {"id": "mtr_123", "type": "billing.meter"}
        }))
        .expect("a thin event");
        assert_eq!(e.occurred_at.timestamp(), 1_795_011_600);
        assert_eq!(
            (e.target.as_str(), e.environment.as_deref()),
            ("mtr_123", Some("test"))
        );
        let e = event(
            json!({"id": "evt_1", "object": "v2.core.event", "type": "x", "created": 1795011600}),
        );
        assert!(e.unwrap_err().contains("ISO-8601"));
    }

    #[test]
    fn a_record_missing_what_it_needs_says_what() {
        let base = json!({"id": "evt_1", "type": "charge.failed", "created": 1795011600, "data": {"object": {"id": "ch_1"}}});
        assert!(event(base.clone()).is_ok());
        for (field, expected) in [
            ("id", "has no \"id\""),
            ("type", "has no \"type\""),
            ("created", "has no \"created\""),
            ("data", "has no \"data.object\""),
        ] {
            let mut record = base.clone();
            record.as_object_mut().expect("object").remove(field);
            assert_eq!(event(record).unwrap_err(), expected);
        }
        let mut wrong = base.clone();
        wrong["created"] = json!("yesterday");
        assert_eq!(
            event(wrong).unwrap_err(),
            "\"created\" must be Unix seconds"
        );
        let mut nulls = base;
        nulls["request"] = json!(null);
        nulls["livemode"] = json!(null);
        assert!(
            event(nulls).is_ok(),
            "null optional fields never reject a record"
        );
        assert!(event(json!([1])).is_err());
    }
}
