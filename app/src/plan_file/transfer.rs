//! Reading, checking, storing and writing plans files. An import is
//! checked whole first and every problem reported with its place (the
//! line for broken JSON, the field path otherwise); only a file without
//! problems is stored, in one transaction.
use super::{
    PlansFile, Report, RunbookFile, StepFile, TemplateFile, FORMAT, FORMAT_VERSION, MAX_PROBLEMS,
};
use crate::{
    notices::{Channel, NoticeTemplate, Stage},
    plans::{check_tag, db, db::Author, Kind},
    runbooks::{check_summary, check_title, parse_step, Runbook, Severity},
};
use serde_json::Value;
use sqlx::SqliteConnection;
use std::collections::BTreeMap;

/// A checked file, ready to store.
pub struct Checked {
    templates: Vec<NoticeTemplate>,
    /// Runbooks with their templates still named by title.
    runbooks: Vec<(Runbook, Vec<String>)>,
}

impl Checked {
    pub fn len(&self) -> usize {
        self.templates.len() + self.runbooks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, at: String, message: impl std::fmt::Display) {
        self.0.push(format!("{at}: {message}"));
    }

    fn take<T>(&mut self, at: &str, result: Result<T, crate::error::AppError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(crate::error::AppError::Invalid { field, message }) => {
                self.add(format!("{at} ({field})"), message);
                None
            }
            Err(other) => {
                self.add(at.to_owned(), other);
                None
            }
        }
    }

    /// At most MAX_PROBLEMS listed, then how many more.
    fn finish(mut self) -> Vec<String> {
        if self.0.len() > MAX_PROBLEMS {
            let more = self.0.len() - MAX_PROBLEMS;
            self.0.truncate(MAX_PROBLEMS);
            self.0.push(format!("… and {more} more problems"));
        }
        self.0
    }
}

/// Checks a plans file against the roles and templates stored now.
pub async fn check(conn: &mut SqliteConnection, text: &str) -> Result<Checked, Vec<String>> {
    let roles = crate::roster::db::role_names(&mut *conn)
        .await
        .map_err(|e| vec![format!("could not read the incident roles: {e}")])?;
    let stored_templates = db::titles(&mut *conn, Kind::Template)
        .await
        .map_err(|e| vec![format!("could not read the notice templates: {e}")])?;
    let roles: BTreeMap<String, i64> = roles
        .into_iter()
        .map(|(id, name)| (name.to_lowercase(), id))
        .collect();
    let mut known_templates: Vec<String> = stored_templates
        .into_values()
        .map(|t| t.to_lowercase())
        .collect();
    check_text(text, &roles, &mut known_templates)
}

fn check_text(
    text: &str,
    roles: &BTreeMap<String, i64>,
    known_templates: &mut Vec<String>,
) -> Result<Checked, Vec<String>> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        vec![format!(
            "line {}, column {}: {}",
            e.line(),
            e.column(),
            strip_position(&e.to_string())
        )]
    })?;
    let mut problems = Problems(Vec::new());
    let Some(top) = value.as_object() else {
        return Err(vec![
            "line 1: the file must be a JSON object with format, version, runbooks and templates"
                .into(),
        ]);
    };
    if top.get("format").and_then(Value::as_str) != Some(FORMAT) {
        problems.add("format".into(), format!("must be \"{FORMAT}\""));
    }
    if top.get("version").and_then(Value::as_u64) != Some(u64::from(FORMAT_VERSION)) {
        problems.add(
            "version".into(),
            format!("this Muster reads version {FORMAT_VERSION} files"),
        );
    }
    for key in top
        .keys()
        .filter(|k| !["format", "version", "runbooks", "templates"].contains(&k.as_str()))
    {
        problems.add(
            key.clone(),
            "is not a field of a plans file (format, version, runbooks, templates)",
        );
    }
    let templates = items::<TemplateFile>(top.get("templates"), "templates", &mut problems);
    let runbooks = items::<RunbookFile>(top.get("runbooks"), "runbooks", &mut problems);

    let mut checked = Checked {
        templates: Vec::new(),
        runbooks: Vec::new(),
    };
    let mut seen = Vec::new();
    for (i, t) in templates {
        let at = format!("templates[{i}]");
        if let Some(template) = check_template(&at, t, &mut problems) {
            unique(&at, &template.title, &mut seen, &mut problems);
            known_templates.push(template.title.to_lowercase());
            checked.templates.push(template);
        }
    }
    let mut seen = Vec::new();
    for (i, r) in runbooks {
        let at = format!("runbooks[{i}]");
        if let Some(found) = check_runbook(&at, r, roles, known_templates, &mut problems) {
            unique(&at, &found.0.title, &mut seen, &mut problems);
            checked.runbooks.push(found);
        }
    }
    if problems.0.is_empty() {
        Ok(checked)
    } else {
        Err(problems.finish())
    }
}

/// serde_json ends its messages with "at line X column Y"; the place is
/// given first instead.
fn strip_position(message: &str) -> String {
    message
        .rsplit_once(" at line ")
        .map_or(message, |(m, _)| m)
        .to_owned()
}

fn items<T: serde::de::DeserializeOwned>(
    value: Option<&Value>,
    name: &str,
    problems: &mut Problems,
) -> Vec<(usize, T)> {
    match value {
        None => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .filter_map(
                |(i, item)| match serde_json::from_value::<T>(item.clone()) {
                    Ok(v) => Some((i, v)),
                    Err(e) => {
                        problems.add(format!("{name}[{i}]{}", title_of(item)), e);
                        None
                    }
                },
            )
            .collect(),
        Some(_) => {
            problems.add(name.to_owned(), "must be a list");
            Vec::new()
        }
    }
}

fn title_of(item: &Value) -> String {
    item.get("title")
        .and_then(Value::as_str)
        .map(|t| format!(" (\"{t}\")"))
        .unwrap_or_default()
}

fn unique(at: &str, title: &str, seen: &mut Vec<String>, problems: &mut Problems) {
    let key = title.to_lowercase();
    if seen.contains(&key) {
        problems.add(
            format!("{at}.title"),
            format!("\"{title}\" appears twice in the file"),
        );
    }
    seen.push(key);
}

fn check_tags(at: &str, tags: &[String], problems: &mut Problems) -> Vec<String> {
    tags.iter()
        .enumerate()
        .filter_map(|(i, t)| {
            problems.take(
                &format!("{at}.tags[{i}]"),
                check_tag("Tag", t).map(|()| t.clone()),
            )
        })
        .collect()
}

fn check_template(at: &str, t: TemplateFile, problems: &mut Problems) -> Option<NoticeTemplate> {
    let tags = check_tags(at, &t.tags, problems);
    let stage = problems.take(&format!("{at}.stage"), Stage::parse("Stage", &t.stage));
    let channel = problems.take(
        &format!("{at}.channel"),
        Channel::parse("Channel", &t.channel),
    );
    let (stage, channel) = (stage?, channel?);
    let template = problems.take(
        at,
        NoticeTemplate {
            title: t.title,
            tags,
            stage,
            channel,
            subject: t.subject,
            body: t.body,
        }
        .checked(),
    )?;
    let preview = crate::notices::engine::preview(&template.subject, &template.body);
    if let Some(error) = preview.error {
        problems.add(format!("{at} (\"{}\")", template.title), error);
        return None;
    }
    if !preview.unknown.is_empty() {
        problems.add(
            format!("{at} (\"{}\")", template.title),
            format!("unknown variables: {}", preview.unknown.join(", ")),
        );
        return None;
    }
    Some(template)
}

fn check_runbook(
    at: &str,
    r: RunbookFile,
    roles: &BTreeMap<String, i64>,
    known_templates: &[String],
    problems: &mut Problems,
) -> Option<(Runbook, Vec<String>)> {
    let at = format!("{at} (\"{}\")", r.title);
    let title = problems.take(&format!("{at}.title"), check_title(&r.title));
    let tags = check_tags(&at, &r.tags, problems);
    let severity = problems.take(
        &format!("{at}.severity"),
        Severity::parse("Severity", &r.severity),
    );
    let summary = problems.take(&format!("{at}.summary"), check_summary(&r.summary));
    for (i, t) in r.templates.iter().enumerate() {
        if !known_templates.contains(&t.to_lowercase()) {
            problems.add(
                format!("{at}.templates[{i}]"),
                format!("no notice template is called \"{t}\""),
            );
        }
    }
    if r.steps.len() > crate::runbooks::MAX_STEPS {
        problems.add(
            format!("{at}.steps"),
            format!(
                "a runbook holds at most {} steps",
                crate::runbooks::MAX_STEPS
            ),
        );
    }
    let mut book = Runbook::new(title.clone().unwrap_or_default());
    let mut ok = true;
    for (i, s) in r.steps.into_iter().enumerate() {
        let StepFile {
            phase,
            role,
            target_minutes,
            text,
        } = s;
        let at = format!("{at}.steps[{i}]");
        let Some(role_id) = roles.get(&role.trim().to_lowercase()) else {
            problems.add(
                format!("{at}.role"),
                format!("no incident role is called \"{role}\""),
            );
            ok = false;
            continue;
        };
        let target = target_minutes.map(|m| m.to_string()).unwrap_or_default();
        match problems.take(&at, parse_step(0, &phase, *role_id, &target, &text)) {
            Some(step) => {
                let _ = book.put_step(step);
            }
            None => ok = false,
        }
    }
    book.tags = tags;
    book.severity = severity?;
    book.summary = summary?;
    title?;
    ok.then_some((book, r.templates))
}

/// Stores a checked file: new plans are created, changed ones get a new
/// version (templates as drafts awaiting approval), the same are left.
pub async fn store(
    conn: &mut SqliteConnection,
    checked: Checked,
    author: &Author,
    progress: &mut (dyn FnMut(usize, usize, &str) + Send),
) -> Result<Report, sqlx::Error> {
    let total = checked.len();
    let mut report = Report::default();
    let mut done = 0;
    let note = "Imported";
    for template in checked.templates {
        done += 1;
        progress(done, total, &template.title);
        let id = db::find_by_title(conn, Kind::Template, &template.title).await?;
        let index = template.index();
        match id {
            None => {
                db::create(conn, Kind::Template, &index, &template, author, note).await?;
                report.created.push(template.title);
            }
            Some(id) => {
                let current = db::get::<NoticeTemplate>(conn, Kind::Template, id, None).await?;
                if current.is_some_and(|c| c.content == template) {
                    report.unchanged.push(template.title);
                } else {
                    db::add_version(conn, id, &index, &template, author, note).await?;
                    report.updated.push(template.title);
                }
            }
        }
    }
    let roles = crate::roster::db::role_names(&mut *conn).await?;
    let titles = db::titles(&mut *conn, Kind::Template).await?;
    for (mut book, templates) in checked.runbooks {
        done += 1;
        progress(done, total, &book.title);
        book.templates = templates
            .iter()
            .filter_map(|t| {
                titles
                    .iter()
                    .find(|(_, n)| n.eq_ignore_ascii_case(t))
                    .map(|(id, _)| *id)
            })
            .collect();
        let index = book.index();
        match db::find_by_title(conn, Kind::Runbook, &book.title).await? {
            None => {
                db::create(conn, Kind::Runbook, &index, &book, author, note).await?;
                report.created.push(book.title);
            }
            Some(id) => {
                let current = db::get::<Runbook>(conn, Kind::Runbook, id, None).await?;
                // Compared as text: step ids differ between an edited
                // runbook and the same runbook read from a file.
                let same = current.is_some_and(|c| {
                    c.content.as_text(&roles, &titles) == book.as_text(&roles, &titles)
                });
                if same {
                    report.unchanged.push(book.title);
                } else {
                    db::add_version(conn, id, &index, &book, author, note).await?;
                    report.updated.push(book.title);
                }
            }
        }
    }
    Ok(report)
}

/// Every runbook and template, latest versions, as a plans file.
pub async fn export(conn: &mut SqliteConnection) -> Result<String, sqlx::Error> {
    let roles = crate::roster::db::role_names(&mut *conn).await?;
    let titles = db::titles(&mut *conn, Kind::Template).await?;
    let mut file = PlansFile {
        format: FORMAT.into(),
        version: FORMAT_VERSION,
        runbooks: Vec::new(),
        templates: Vec::new(),
    };
    for id in titles.keys() {
        if let Some(t) = db::get::<NoticeTemplate>(conn, Kind::Template, *id, None).await? {
            let t = t.content;
            file.templates.push(TemplateFile {
                title: t.title,
                tags: t.tags,
                stage: t.stage.as_str().into(),
                channel: t.channel.as_str().into(),
                subject: t.subject,
                body: t.body,
            });
        }
    }
    for id in db::titles(&mut *conn, Kind::Runbook).await?.keys() {
        if let Some(r) = db::get::<Runbook>(conn, Kind::Runbook, *id, None).await? {
            let r = r.content;
            file.runbooks.push(RunbookFile {
                title: r.title,
                tags: r.tags,
                severity: r.severity.as_str().into(),
                summary: r.summary,
                templates: r
                    .templates
                    .iter()
                    .filter_map(|t| titles.get(t).cloned())
                    .collect(),
                steps: r
                    .steps
                    .into_iter()
                    .map(|s| StepFile {
                        phase: s.phase.as_str().into(),
                        role: roles.get(&s.role_id).cloned().unwrap_or_default(),
                        target_minutes: s.target_minutes,
                        text: s.text,
                    })
                    .collect(),
            });
        }
    }
    file.templates.sort_by(|a, b| a.title.cmp(&b.title));
    file.runbooks.sort_by(|a, b| a.title.cmp(&b.title));
    let mut text =
        serde_json::to_string_pretty(&file).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles() -> BTreeMap<String, i64> {
        BTreeMap::from([
            ("incident commander".to_owned(), 1),
            ("scribe".to_owned(), 2),
        ])
    }

    fn check(text: &str) -> Result<Checked, Vec<String>> {
        check_text(text, &roles(), &mut Vec::new())
    }

    #[test]
    fn broken_json_is_reported_with_its_line_and_column() {
        let problems =
            check("{\n  \"format\": \"muster-plans\",\n  \"version\": 1,\n  \"runbooks\": [\n}")
                .err()
                .unwrap();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("line 5, column 1:"), "{problems:?}");
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let text = r#"{
          "format": "muster-plans", "version": 1,
          "runbooks": [
            {"title": "Outage", "severity": "sev9", "templates": ["Nope"],
             "steps": [{"phase": "triage", "role": "Scrib", "text": "Look"},
                       {"phase": "panic", "role": "Scribe", "text": "Run"}]},
            {"title": "Other", "severity": "sev2", "colour": "red"}
          ],
          "templates": [
            {"title": "T", "stage": "investigating", "channel": "email", "subject": "S", "body": "Hi {{ custmer_name }}"}
          ]
        }"#;
        let problems = check(text).err().unwrap();
        let all = problems.join("\n");
        for expected in [
            "runbooks[0] (\"Outage\").severity (Severity): 'sev9' is not one of",
            "runbooks[0] (\"Outage\").templates[0]: no notice template is called \"Nope\"",
            "runbooks[0] (\"Outage\").steps[0].role: no incident role is called \"Scrib\"",
            "runbooks[0] (\"Outage\").steps[1] (Phase): 'panic' is not one of",
            "runbooks[1] (\"Other\"): unknown field `colour`",
            "templates[0] (\"T\"): unknown variables: custmer_name",
        ] {
            assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
        }
        assert_eq!(problems.len(), 6, "{all}");
    }

    #[test]
    fn a_good_file_is_checked_whole_with_steps_in_phase_order() {
        let text = r#"{"format": "muster-plans", "version": 1,
          "templates": [{"title": "T", "stage": "resolved", "channel": "status_page", "subject": "S", "body": "Fixed at {{ resolved_at }}"}],
          "runbooks": [{"title": "Outage", "severity": "sev1", "tags": ["stripe"], "templates": ["t"],
             "steps": [{"phase": "recovery", "role": "scribe", "text": "Write it up"},
                       {"phase": "triage", "role": "Incident Commander", "target_minutes": 5, "text": "Look"}]}]}"#;
        let checked = check(text).unwrap();
        assert_eq!(checked.len(), 2);
        let (book, templates) = &checked.runbooks[0];
        assert_eq!(templates, &["t"]);
        assert_eq!(book.steps[0].text, "Look");
        assert_eq!(book.steps[0].role_id, 1);
        assert_eq!(book.steps[1].role_id, 2);
    }
}
