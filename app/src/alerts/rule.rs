//! A rule as the matcher uses it: checked when it is written, then
//! applied to each arriving event without touching the database.
use serde::{Deserialize, Serialize};

/// The event fields an alert may be grouped by.
pub const GROUP_FIELDS: [&str; 5] = ["source", "action", "target", "actor", "environment"];
/// Bounds of a rule's lists.
#[cfg(feature = "ssr")]
const MAX_ITEMS: usize = 20;
#[cfg(feature = "ssr")]
const MAX_ITEM: usize = 100;

/// What a rule looks at, parsed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: i64,
    pub sources: Vec<String>,
    pub actions: Vec<String>,
    /// Lowercased; any of them in the summary or payload.
    pub words: Vec<String>,
    pub outcome: String,
    pub environment: String,
    pub group_by: Vec<String>,
    pub threshold: i64,
    pub window_minutes: i64,
}

/// The fields of an event a rule reads.
pub struct Seen<'a> {
    pub source: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub actor: &'a str,
    pub outcome: &'a str,
    pub environment: Option<&'a str>,
    pub summary: &'a str,
    pub payload: &'a str,
}

/// `*` stands for any run of characters; the rest is compared without
/// regard to case (CloudTrail writes CreateAccessKey, GitHub key.create).
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (
        pattern.to_lowercase().chars().collect(),
        text.to_lowercase().chars().collect(),
    );
    // Greedy matching with a single backtrack point: linear enough for
    // patterns of at most 100 characters.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// A space- or comma-separated list, bounded.
#[cfg(feature = "ssr")]
pub fn items(field: &str, raw: &str) -> Result<Vec<String>, (String, String)> {
    let items: Vec<String> = raw
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if items.len() > MAX_ITEMS {
        return Err((field.into(), format!("at most {MAX_ITEMS} entries")));
    }
    if let Some(long) = items.iter().find(|i| i.chars().count() > MAX_ITEM) {
        return Err((
            field.into(),
            format!(
                "'{}…' is longer than {MAX_ITEM} characters",
                long.chars().take(20).collect::<String>()
            ),
        ));
    }
    Ok(items)
}

impl Rule {
    /// Whether the rule watches this event.
    pub fn matches(&self, e: &Seen) -> bool {
        (self.sources.is_empty() || self.sources.iter().any(|s| s == e.source))
            && (self.actions.is_empty() || self.actions.iter().any(|p| glob(p, e.action)))
            && (self.outcome.is_empty() || self.outcome == e.outcome)
            && (self.environment.is_empty() || Some(self.environment.as_str()) == e.environment)
            && (self.words.is_empty() || {
                let summary = e.summary.to_lowercase();
                let payload = e.payload.to_lowercase();
                self.words
                    .iter()
                    .any(|w| summary.contains(w.as_str()) || payload.contains(w.as_str()))
            })
    }

    /// The group an event falls in: its values of the grouping fields.
    pub fn group_key(&self, e: &Seen) -> String {
        self.group_by
            .iter()
            .map(|field| {
                let value = match field.as_str() {
                    "source" => e.source,
                    "action" => e.action,
                    "target" => e.target,
                    "actor" => e.actor,
                    "environment" => e.environment.unwrap_or(""),
                    _ => "",
                };
                format!("{field}={}", value.chars().take(100).collect::<String>())
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen<'a>(source: &'a str, action: &'a str, target: &'a str, payload: &'a str) -> Seen<'a> {
        Seen {
            source,
            action,
            target,
            actor: "svc",
            outcome: "failure",
            environment: Some("live"),
            summary: "",
            payload,
        }
    }

    #[test]
    fn globs_match_any_run_and_ignore_case() {
        assert!(glob("charge.failed", "charge.failed"));
        assert!(glob("*key.create", "deploy_key.create"));
        assert!(glob("CreateAccessKey", "createaccesskey"));
        assert!(glob("invoice.*", "invoice.payment_failed"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXbYY"));
        assert!(!glob("charge.failed", "charge.failed.again"));
        assert!(!glob("*key.create", "key.created"));
    }

    #[test]
    fn a_rule_matches_on_every_field_it_names_and_groups_by_its_fields() {
        let rule = Rule {
            sources: vec!["stripe".into()],
            actions: vec!["charge.failed".into(), "invoice.payment_failed".into()],
            outcome: "failure".into(),
            group_by: vec!["action".into(), "target".into()],
            threshold: 5,
            window_minutes: 10,
            ..Rule::default()
        };
        assert!(rule.matches(&seen("stripe", "charge.failed", "ch_1", "")));
        assert!(!rule.matches(&seen("github", "charge.failed", "ch_1", "")));
        assert!(!rule.matches(&seen("stripe", "charge.succeeded", "ch_1", "")));
        assert_eq!(
            rule.group_key(&seen("stripe", "charge.failed", "ch_1", "")),
            "action=charge.failed target=ch_1"
        );
        let words = Rule {
            words: vec!["401".into(), "unauthorized".into()],
            ..Rule::default()
        };
        assert!(words.matches(&seen(
            "zapier",
            "zap.run",
            "",
            r#"{"status":"Unauthorized"}"#
        )));
        assert!(!words.matches(&seen("zapier", "zap.run", "", r#"{"status":"500"}"#)));
        assert_eq!(
            Rule::default().group_key(&seen("a", "b", "c", "")),
            "",
            "one group"
        );
    }

    #[test]
    fn lists_are_bounded() {
        assert_eq!(items("Actions", "a, b  c").expect("list"), ["a", "b", "c"]);
        assert!(items("Actions", &"x ".repeat(21)).is_err());
        assert!(items("Actions", &"y".repeat(101))
            .unwrap_err()
            .1
            .contains("longer than 100"));
    }
}
