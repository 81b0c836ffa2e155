//! Template rendering with minijinja in strict mode: a variable that is
//! not given is an error, never an empty string in a customer's inbox.
use super::{NoticeTemplate, Preview, VARIABLES};
use minijinja::{Environment, UndefinedBehavior};
use std::collections::{BTreeMap, BTreeSet};

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Notices are plain text; the page escapes when it shows them.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    // Bounds the work one template can ask for (loops over huge ranges).
    env.set_fuel(Some(50_000));
    env
}

/// The variables a piece of template text uses, or why it does not parse.
fn used(env: &Environment<'_>, field: &str, source: &str) -> Result<BTreeSet<String>, String> {
    env.template_from_str(source)
        .map(|t| t.undeclared_variables(false).into_iter().collect())
        .map_err(|e| describe(field, &e))
}

fn describe(field: &str, error: &minijinja::Error) -> String {
    let detail = error.detail().unwrap_or_default();
    let what = match error.kind() {
        minijinja::ErrorKind::UndefinedError => "uses a variable that has no value".to_owned(),
        kind => format!("{kind}"),
    };
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    };
    match error.line() {
        Some(line) => format!("{field}, line {line}: {what}{detail}"),
        None => format!("{field}: {what}{detail}"),
    }
}

/// Renders subject and body with these values; strict, so a missing value
/// is an error naming the field and line.
pub fn render(
    template: &NoticeTemplate,
    values: &BTreeMap<String, String>,
) -> Result<(String, String), String> {
    let env = environment();
    let one = |field: &str, source: &str| {
        env.render_str(source, values)
            .map_err(|e| describe(field, &e))
    };
    Ok((
        one("Subject", &template.subject)?,
        one("Body", &template.body)?,
    ))
}

/// The preview the editor shows: sample values, unknown and unused
/// variables, and any error with its place.
pub fn preview(subject: &str, body: &str) -> Preview {
    let env = environment();
    let mut preview = Preview::default();
    let mut all = BTreeSet::new();
    for (field, source) in [("Subject", subject), ("Body", body)] {
        match used(&env, field, source) {
            Ok(vars) => all.extend(vars),
            Err(e) => {
                preview.error.get_or_insert(e);
            }
        }
    }
    let known: BTreeSet<&str> = VARIABLES.iter().map(|(name, _)| *name).collect();
    preview.unknown = all
        .iter()
        .filter(|v| !known.contains(v.as_str()))
        .cloned()
        .collect();
    preview.unused = known
        .iter()
        .filter(|v| !all.contains(**v))
        .map(|v| (*v).to_owned())
        .collect();
    if preview.error.is_none() && preview.unknown.is_empty() {
        let samples: BTreeMap<String, String> = VARIABLES
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let template = NoticeTemplate {
            title: String::new(),
            tags: Vec::new(),
            stage: super::Stage::Investigating,
            channel: super::Channel::Email,
            subject: subject.to_owned(),
            body: body.to_owned(),
        };
        match render(&template, &samples) {
            Ok((s, b)) => (preview.subject, preview.body) = (s, b),
            Err(e) => preview.error = Some(e),
        }
    }
    preview
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_variables_are_filled_with_sample_values() {
        let p = preview(
            "Issue with payments",
            "Hi {{ customer_name }},\nnext update {{ next_update_at }}",
        );
        assert_eq!(p.error, None);
        assert!(p.unknown.is_empty());
        assert_eq!(p.body, "Hi Ada Lovelace,\nnext update 2026-11-26 04:00 UTC");
        assert!(p.unused.contains(&"impact".to_owned()));
        assert!(!p.unused.contains(&"customer_name".to_owned()));
        assert!(p.is_usable());
    }

    #[test]
    fn a_misspelled_variable_is_reported_as_unknown_and_blocks_use() {
        let p = preview("Hello", "Hi {{ custmer_name }}");
        assert_eq!(p.unknown, ["custmer_name"]);
        assert!(!p.is_usable());
    }

    #[test]
    fn a_syntax_error_names_the_field_and_line() {
        let p = preview("Fine", "line one\nHi {{ customer_name }\n");
        let error = p.error.clone().unwrap();
        assert!(error.starts_with("Body, line 2:"), "{error}");
        assert!(!p.is_usable());
    }

    #[test]
    fn rendering_is_strict_about_missing_values() {
        let t = NoticeTemplate {
            title: "t".into(),
            tags: vec![],
            stage: crate::notices::Stage::Resolved,
            channel: crate::notices::Channel::Email,
            subject: "Resolved".into(),
            body: "Fixed at {{ resolved_at }}".into(),
        };
        let error = render(&t, &BTreeMap::new()).unwrap_err();
        assert!(
            error.starts_with("Body, line 1: uses a variable that has no value"),
            "{error}"
        );
        let values = BTreeMap::from([("resolved_at".to_owned(), "05:40".to_owned())]);
        assert_eq!(render(&t, &values).unwrap().1, "Fixed at 05:40");
    }

    #[test]
    fn html_in_values_is_left_as_text_for_the_page_to_escape() {
        let t = NoticeTemplate {
            title: "t".into(),
            tags: vec![],
            stage: crate::notices::Stage::Resolved,
            channel: crate::notices::Channel::Email,
            subject: "S".into(),
            body: "{{ impact }}".into(),
        };
        let values = BTreeMap::from([("impact".to_owned(), "<b>x</b>".to_owned())]);
        assert_eq!(render(&t, &values).unwrap().1, "<b>x</b>");
    }
}
