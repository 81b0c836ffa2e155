//! AWS CloudTrail log files: `{"Records": [...]}`, plain or gzip (as
//! CloudTrail writes them to S3). Each record needs `eventID`,
//! `eventTime`, `eventName` and `eventSource`; `eventID` is the dedupe key
//! and `requestID` correlates. A digest file (CloudTrail's signed list of
//! log files) is not a log file and is refused whole.
use super::record::{text_at as text, Outcome, Parsed, Source};
use serde_json::Value;

/// One record, or the reason it is refused.
pub fn event(record: Value) -> Result<Parsed, String> {
    if !record.is_object() {
        return Err("is not an object".into());
    }
    let need = |field: &str| {
        text(&record, &format!("/{field}"))
            .map(str::to_owned)
            .ok_or_else(|| format!("has no \"{field}\""))
    };
    let id = need("eventID")?;
    let name = need("eventName")?;
    let service = need("eventSource")?;
    let occurred_at =
        super::time::from_text(&need("eventTime")?).map_err(|e| format!("\"eventTime\" {e}"))?;
    let actor = [
        "/userIdentity/arn",
        "/userIdentity/userName",
        "/userIdentity/principalId",
        "/userIdentity/invokedBy",
        "/userIdentity/type",
    ]
    .iter()
    .find_map(|p| text(&record, p))
    .unwrap_or("unknown")
    .to_owned();
    let target = [
        "/resources/0/ARN",
        "/requestParameters/secretId",
        "/requestParameters/userName",
        "/requestParameters/name",
        "/requestParameters/groupId",
    ]
    .iter()
    .find_map(|p| text(&record, p))
    .unwrap_or_default()
    .to_owned();
    let error = text(&record, "/errorCode")
        .or_else(|| text(&record, "/errorMessage"))
        .map(str::to_owned);
    let failed_login = text(&record, "/responseElements/ConsoleLogin") == Some("Failure");
    let outcome = if error.is_some() || failed_login {
        Outcome::Failure
    } else {
        Outcome::Success
    };
    let mut summary = format!("{name} on {service} by {actor}");
    if let Some(error) = &error {
        summary.push_str(&format!(": {error}"));
    }
    Ok(Parsed {
        source: Source::Cloudtrail,
        source_id: Some(id),
        occurred_at,
        actor,
        action: name,
        target,
        outcome,
        request_id: text(&record, "/requestID").map(str::to_owned),
        environment: text(&record, "/recipientAccountId").map(|a| format!("aws {a}")),
        summary,
        payload: record,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(name: &str) -> Vec<Parsed> {
        super::super::fixture_records(&format!("cloudtrail/{name}"))
            .into_iter()
            .map(|r| event(r).expect("an event"))
            .collect()
    }

    #[test]
    fn plain_and_gzip_log_files_read_as_events() {
        let plain = read("cloudtrail.json");
        assert_eq!(plain.len(), 14);
        let login = &plain[0];
        assert_eq!(
            (login.action.as_str(), login.outcome),
            ("ConsoleLogin", Outcome::Failure)
        );
        assert_eq!(login.actor, "arn:aws:iam::482913570246:user/lee.chen");
        assert_eq!(
            login.source_id.as_deref(),
            Some("ad66a72d-eeec-46c1-b338-54e7df66c34b")
        );
        let denied = plain
            .iter()
            .find(|e| e.action == "DeleteTrail")
            .expect("DeleteTrail");
        assert_eq!(denied.outcome, Outcome::Failure);
        assert!(
            denied.summary.ends_with(": AccessDeniedException"),
            "{}",
            denied.summary
        );
        assert!(plain
            .iter()
            .any(|e| e.action == "StopLogging" && e.outcome == Outcome::Success));
        let gz = read("482913570246_CloudTrail_us-east-1_20261118T1420Z_P3kq9LmWx2ZtR7vA.json.gz");
        assert_eq!(gz.len(), 10);
    }

    #[test]
    fn records_without_what_they_need_are_refused() {
        let good = json!({"eventID": "e1", "eventTime": "2026-11-18T14:20:00Z", "eventName": "GetSecretValue", "eventSource": "secretsmanager.amazonaws.com", "userIdentity": null});
        assert_eq!(
            event(good.clone()).map(|e| e.actor),
            Ok("unknown".to_owned())
        );
        for field in ["eventID", "eventTime", "eventName", "eventSource"] {
            let mut bad = good.clone();
            bad.as_object_mut().expect("object").remove(field);
            assert_eq!(event(bad).unwrap_err(), format!("has no \"{field}\""));
        }
        let mut local = good;
        local["eventTime"] = json!("2026-11-18T14:20:00");
        assert!(event(local).unwrap_err().contains("no offset"));
    }
}
