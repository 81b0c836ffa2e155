//! Generic application logs (NDJSON or CSV) read through a column mapping:
//! which column or field holds the time, the actor, the action and the
//! rest. The defaults are the fields' own names. `timestamp`, `actor` and
//! `action` are required and must not be empty. A generic record has no
//! vendor id, so it is deduped by the hash of its parsed values.
use super::record::{Outcome, Parsed, Source};
use serde_json::Value;

/// Where each field of an event is found in a record: a CSV column's
/// name, or a JSON field's name or dotted path (`user.email`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub timestamp: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub request_id: String,
    pub environment: String,
    pub summary: String,
}

impl Default for Mapping {
    fn default() -> Self {
        Self {
            timestamp: "timestamp".into(),
            actor: "actor".into(),
            action: "action".into(),
            target: "target".into(),
            outcome: "outcome".into(),
            request_id: "request_id".into(),
            environment: "environment".into(),
            summary: "message".into(),
        }
    }
}

impl Mapping {
    /// The field names a mapping sets, in the order the page shows them.
    pub const FIELDS: [&'static str; 8] = super::MAPPED_FIELDS;

    fn slot(&mut self, field: &str) -> Option<&mut String> {
        Some(match field {
            "timestamp" => &mut self.timestamp,
            "actor" => &mut self.actor,
            "action" => &mut self.action,
            "target" => &mut self.target,
            "outcome" => &mut self.outcome,
            "request_id" => &mut self.request_id,
            "environment" => &mut self.environment,
            "summary" => &mut self.summary,
            _ => return None,
        })
    }

    /// Sets one field's column; `Err` names what is wrong.
    pub fn set(&mut self, field: &str, column: &str) -> Result<(), String> {
        let column = column.trim();
        if column.is_empty() || column.chars().count() > 200 {
            return Err(format!(
                "the column for '{}' must be 1 to 200 characters",
                crate::fields::shown(field)
            ));
        }
        let slot = self.slot(field.trim()).ok_or_else(|| {
            format!(
                "'{}' is not one of {}",
                crate::fields::shown(field),
                Self::FIELDS.join(", ")
            )
        })?;
        *slot = column.to_owned();
        Ok(())
    }

    /// The mapping `timestamp=ts,actor=user.email` writes (the fields not
    /// named keep their own names).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut mapping = Self::default();
        for pair in text.split(',').filter(|p| !p.trim().is_empty()) {
            let (field, column) = pair
                .split_once('=')
                .ok_or_else(|| format!("'{}' is not field=column", crate::fields::shown(pair)))?;
            mapping.set(field, column)?;
        }
        Ok(mapping)
    }
}

/// The value a column or field names: the key itself first (CSV headers
/// may hold dots), then a dotted path into nested objects.
pub(crate) fn lookup<'a>(record: &'a Value, name: &str) -> Option<&'a Value> {
    record.get(name).or_else(|| {
        name.contains('.')
            .then(|| {
                name.split('.')
                    .try_fold(record, |value, key| value.get(key))
            })
            .flatten()
    })
}

/// Text of a string or number; empty and null are none.
pub(crate) fn text(record: &Value, name: &str) -> Option<String> {
    match lookup(record, name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// How a record's outcome word (or HTTP status: 2xx ended well, 4xx and
/// 5xx did not) reads.
pub(crate) fn outcome(word: Option<&str>) -> Outcome {
    let word = word.map(|w| w.trim().to_ascii_lowercase());
    if let Some(status) = word.as_deref().and_then(|w| w.parse::<u16>().ok()) {
        return match status {
            200..=299 => Outcome::Success,
            400..=599 => Outcome::Failure,
            _ => Outcome::Unknown,
        };
    }
    match word.as_deref() {
        Some("success" | "succeeded" | "ok" | "true" | "passed" | "completed") => Outcome::Success,
        Some("failure" | "failed" | "error" | "fail" | "false" | "denied" | "errored") => {
            Outcome::Failure
        }
        _ => Outcome::Unknown,
    }
}

/// One record, or the reason it is refused.
pub fn event(record: Value, mapping: &Mapping) -> Result<Parsed, String> {
    if !record.is_object() {
        return Err("is not an object".into());
    }
    let need = |name: &str, field: &str| {
        text(&record, name).ok_or_else(|| {
            if name == field {
                format!("has no \"{field}\"")
            } else {
                format!("has no \"{name}\" (its {field})")
            }
        })
    };
    let when = need(&mapping.timestamp, "timestamp")?;
    let occurred_at = match lookup(&record, &mapping.timestamp) {
        Some(v @ Value::Number(_)) => super::time::from_json(v),
        _ => super::time::from_text(&when),
    }
    .map_err(|e| format!("\"{}\" {e}", mapping.timestamp))?;
    let actor = need(&mapping.actor, "actor")?;
    let action = need(&mapping.action, "action")?;
    let target = text(&record, &mapping.target).unwrap_or_default();
    let summary = text(&record, &mapping.summary).unwrap_or_else(|| {
        [actor.as_str(), action.as_str(), target.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    });
    Ok(Parsed {
        source: Source::Generic,
        source_id: None,
        occurred_at,
        outcome: outcome(text(&record, &mapping.outcome).as_deref()),
        request_id: text(&record, &mapping.request_id),
        environment: text(&record, &mapping.environment),
        actor,
        action,
        target,
        summary,
        payload: record,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_are_found_through_the_mapping() {
        let mapping =
            Mapping::parse("timestamp=ts, actor=user.email,action=Event Name").expect("mapping");
        let e = event(
            json!({"ts": 1795011600, "user": {"email": "dana@example.com"}, "Event Name": "deploy", "outcome": "FAILED"}),
            &mapping,
        )
        .expect("an event");
        assert_eq!(e.occurred_at.timestamp(), 1_795_011_600);
        assert_eq!(
            (e.actor.as_str(), e.action.as_str(), e.outcome),
            ("dana@example.com", "deploy", Outcome::Failure)
        );
        assert_eq!(e.summary, "dana@example.com deploy");
        assert!(e.source_id.is_none(), "deduped by hash");
    }

    #[test]
    fn required_fields_must_be_there_and_not_empty() {
        let good = json!({"timestamp": "2026-11-18T14:20:00Z", "actor": "a", "action": "b"});
        assert!(event(good.clone(), &Mapping::default()).is_ok());
        for field in ["timestamp", "actor", "action"] {
            let mut blank = good.clone();
            blank[field] = json!("  ");
            assert_eq!(
                event(blank, &Mapping::default()).unwrap_err(),
                format!("has no \"{field}\"")
            );
        }
        let mapped = Mapping::parse("actor=who").expect("mapping");
        assert_eq!(
            event(good.clone(), &mapped).unwrap_err(),
            "has no \"who\" (its actor)"
        );
        let mut local = good;
        local["timestamp"] = json!("2026-11-18 14:20:00");
        assert!(event(local, &Mapping::default())
            .unwrap_err()
            .starts_with("\"timestamp\" "));
        assert!(Mapping::parse("when=ts")
            .unwrap_err()
            .contains("is not one of"));
        assert!(Mapping::parse("ts").unwrap_err().contains("field=column"));
        assert!(Mapping::parse("actor=").unwrap_err().contains("1 to 200"));
    }
}
