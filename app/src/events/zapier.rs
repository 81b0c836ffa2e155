//! Zapier zap runs (the Partner API's `GET /v2/zap-runs` page, or an array
//! of runs). Each needs `id`, `zap_id` and `status`; `id` is the dedupe
//! key. A run without a start time is timed by the import.
use super::record::{text_at as text, Outcome, Parsed, Source};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// One run, or the reason it is refused; `received_at` times a run that
/// does not say when it started.
pub fn event(record: Value, received_at: DateTime<Utc>) -> Result<Parsed, String> {
    if !record.is_object() {
        return Err("is not an object".into());
    }
    let id = text(&record, "/id").ok_or("has no \"id\"")?.to_owned();
    let zap = match record.get("zap_id") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err("has no \"zap_id\"".into()),
    };
    let status = text(&record, "/status")
        .ok_or("has no \"status\"")?
        .to_owned();
    let occurred_at = match record.get("start_time").filter(|v| !v.is_null()) {
        Some(t) => super::time::from_json(t).map_err(|e| format!("\"start_time\" {e}"))?,
        None => received_at,
    };
    let title = text(&record, "/zap_title")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("zap {zap}"));
    let outcome = match status.as_str() {
        "success" => Outcome::Success,
        "error" | "halted" | "throttled" => Outcome::Failure,
        _ => Outcome::Unknown,
    };
    Ok(Parsed {
        source: Source::Zapier,
        source_id: Some(id),
        occurred_at,
        actor: "zapier".into(),
        action: format!("zap_run.{status}"),
        summary: format!("{title}: {status}"),
        target: title,
        outcome,
        request_id: None,
        environment: None,
        payload: record,
    })
}

/// One row of the task-history CSV (columns found by name): `Task ID`,
/// `Zap ID`, `Status` and `Date` are required; `Task ID` is the dedupe key.
pub fn task(row: Value) -> Result<Parsed, String> {
    let need = |name: &str| {
        text(&row, &format!("/{name}"))
            .map(str::to_owned)
            .ok_or_else(|| format!("has no \"{name}\""))
    };
    let id = need("Task ID")?;
    let zap = need("Zap ID")?;
    let status = need("Status")?.to_lowercase();
    let occurred_at =
        super::time::from_text(&need("Date")?).map_err(|e| format!("\"Date\" {e}"))?;
    let title = text(&row, "/Zap Name")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("zap {zap}"));
    let step = [text(&row, "/App"), text(&row, "/Action")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let error = text(&row, "/Error Message").map(str::to_owned);
    let outcome = match status.as_str() {
        "success" => Outcome::Success,
        "error" | "halted" => Outcome::Failure,
        _ => Outcome::Unknown,
    };
    let mut summary = format!("{title}: {step} {status}").replace("  ", " ");
    if let Some(error) = &error {
        summary.push_str(&format!(": {error}"));
    }
    Ok(Parsed {
        source: Source::Zapier,
        source_id: Some(id),
        occurred_at,
        actor: "zapier".into(),
        action: format!("zap_task.{status}"),
        target: title,
        outcome,
        request_id: text(&row, "/Zap Run ID").map(str::to_owned),
        environment: None,
        summary,
        payload: row,
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
    fn the_fixture_reads_as_runs() {
        let all: Vec<Parsed> = super::super::fixture_records("zapier/zap-runs.json")
            .into_iter()
            .map(|r| event(r, now()).expect("a run"))
            .collect();
        assert_eq!(all.len(), 12);
        assert_eq!(
            all[0].source_id.as_deref(),
            Some("a25fca8c-e73c-4dd0-9f28-3b6f80cff049")
        );
        assert_eq!(all[0].occurred_at.timestamp_subsec_millis(), 501);
        assert!(all.iter().any(|r| r.outcome == Outcome::Failure));
    }

    #[test]
    fn the_task_history_reads_by_column_name() {
        let tasks: Vec<Parsed> = super::super::fixture_records("zapier/task-history.csv")
            .into_iter()
            .map(|r| task(r).expect("a task"))
            .collect();
        assert_eq!(tasks.len(), 14);
        assert_eq!(tasks[0].source_id.as_deref(), Some("49217734939"));
        assert!(tasks
            .iter()
            .any(|t| t.outcome == Outcome::Failure && t.summary.contains(": ")));
        assert_eq!(
            task(json!({"Task ID": "1", "Zap ID": "2", "Status": "success"})).unwrap_err(),
            "has no \"Date\""
        );
    }

    #[test]
    fn a_run_needs_its_ids_and_status() {
        let good =
            json!({"id": "r1", "zap_id": 7, "status": "error", "data_in": null, "data_out": ""});
        let run = event(good.clone(), now()).expect("a run");
        assert_eq!(
            (run.occurred_at, run.outcome),
            (now(), Outcome::Failure),
            "timed by the import"
        );
        for field in ["id", "zap_id", "status"] {
            let mut bad = good.clone();
            bad.as_object_mut().expect("object").remove(field);
            assert_eq!(
                event(bad, now()).unwrap_err(),
                format!("has no \"{field}\"")
            );
        }
        let mut wrong = good;
        wrong["zap_id"] = json!(true);
        assert!(event(wrong, now()).is_err(), "a wrong type");
    }
}
