//! A scenario's injects as text an editor writes in one box, and back:
//!
//! ```text
//! +05:00 Customer email: my card was declined twice [for Communications Lead]
//!    From: jo@example.com
//!    > I tried to pay three times…
//!    expect notice investigating, 15 min: Comms publishes an investigating notice
//! ```
//!
//! A line starting `+` opens an inject (its time from the start, its
//! title, and its audience: `[for everyone]` or role names); indented
//! lines are its Markdown body; `expect CHECK[, N min]: TEXT` lines are
//! its expectations, where CHECK is `role NAME`, `notice [STAGE]`,
//! `step N`, `decision` or `manual`. A mistake is named by its line.
//! Ids stay stable across versions: an inject keeps the id of the one
//! with its title in the version edited, an expectation the id of the one
//! with its text.
use super::{offset_text, Audience, Check, Expectation, Inject, Scenario};
use crate::{error::AppError, notices::Stage};
use std::collections::BTreeMap;

const INDENT: &str = "   ";

/// The injects as the editor shows them.
pub fn injects_text(s: &Scenario, roles: &BTreeMap<i64, String>) -> String {
    let mut out = String::new();
    for inject in &s.injects {
        let audience = match &inject.audience {
            Audience::Everyone => "everyone".to_owned(),
            Audience::Roles(r) => r
                .iter()
                .map(|id| roles.get(id).cloned().unwrap_or_else(|| format!("#{id}")))
                .collect::<Vec<_>>()
                .join(", "),
        };
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!(
            "+{} {} [for {audience}]\n",
            offset_text(inject.offset_s),
            inject.title
        ));
        for line in inject.body.lines() {
            out.push_str(&format!("{INDENT}{line}\n").replace(&format!("{INDENT}\n"), "\n"));
        }
        for e in &inject.expectations {
            let within = e
                .within_minutes
                .map(|m| format!(", {m} min"))
                .unwrap_or_default();
            out.push_str(&format!(
                "{INDENT}expect {}{within}: {}\n",
                check_text(&e.check),
                e.text
            ));
        }
    }
    out
}

fn check_text(check: &Check) -> String {
    match check {
        Check::RoleAssigned { role } => format!("role {role}"),
        Check::NoticePublished { stage: Some(s) } => format!("notice {}", s.as_str()),
        Check::NoticePublished { stage: None } => "notice".into(),
        Check::StepDone { step } => format!("step {step}"),
        Check::Decision => "decision".into(),
        Check::Manual => "manual".into(),
    }
}

fn bad(line: usize, what: impl std::fmt::Display) -> AppError {
    AppError::invalid("Injects", format!("line {line}: {what}"))
}

/// "05:00", "1:02:30", "12" (minutes) as seconds.
fn offset(raw: &str) -> Option<u32> {
    let parts: Vec<u32> = raw
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        [m] => Some(m * 60),
        [m, s] if *s < 60 => Some(m * 60 + s),
        [h, m, s] if *m < 60 && *s < 60 => Some(h * 3600 + m * 60 + s),
        _ => None,
    }
}

/// Reads the injects back; `roles` names each role by its id, `before`
/// is the version edited (for stable ids).
pub fn parse_injects(
    text: &str,
    roles: &BTreeMap<i64, String>,
    before: Option<&Scenario>,
) -> Result<Vec<Inject>, AppError> {
    let mut injects: Vec<Inject> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = raw.trim_end();
        if let Some(head) = line.strip_prefix('+') {
            injects.push(header(head, line_no, roles)?);
            continue;
        }
        let Some(inject) = injects.last_mut() else {
            if line.trim().is_empty() {
                continue;
            }
            return Err(bad(
                line_no,
                "an inject starts with + and its time, e.g. +05:00 Customer email",
            ));
        };
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("expect ") {
            inject.expectations.push(expectation(rest, line_no, roles)?);
        } else if !inject.expectations.is_empty() && !trimmed.is_empty() {
            return Err(bad(
                line_no,
                "body text goes before the inject's expect lines",
            ));
        } else {
            let body = line.strip_prefix(INDENT).unwrap_or(trimmed);
            inject.body.push_str(body);
            inject.body.push('\n');
        }
    }
    for inject in &mut injects {
        inject.body = inject.body.trim_matches('\n').to_owned();
    }
    keep_ids(&mut injects, before);
    Ok(injects)
}

fn header(head: &str, line: usize, roles: &BTreeMap<i64, String>) -> Result<Inject, AppError> {
    let (time, rest) = head
        .split_once(' ')
        .ok_or_else(|| bad(line, "give a time and a title, e.g. +05:00 Customer email"))?;
    let offset_s = offset(time).ok_or_else(|| {
        bad(
            line,
            format!(
                "'{}' is not a time such as 05:00",
                crate::fields::shown(time)
            ),
        )
    })?;
    let (title, audience) = match rest
        .trim_end()
        .strip_suffix(']')
        .and_then(|r| r.rsplit_once("[for "))
    {
        Some((title, names)) => (title.trim(), audience(names, line, roles)?),
        None => (rest.trim(), Audience::Everyone),
    };
    if title.is_empty() {
        return Err(bad(line, "the inject has no title"));
    }
    Ok(Inject {
        id: 0,
        offset_s,
        title: title.to_owned(),
        body: String::new(),
        audience,
        expectations: Vec::new(),
    })
}

fn role_id(name: &str, line: usize, roles: &BTreeMap<i64, String>) -> Result<i64, AppError> {
    roles
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(id, _)| *id)
        .ok_or_else(|| {
            bad(
                line,
                format!(
                    "there is no role named '{}'",
                    crate::fields::shown(name.trim())
                ),
            )
        })
}

fn audience(names: &str, line: usize, roles: &BTreeMap<i64, String>) -> Result<Audience, AppError> {
    if names.trim().eq_ignore_ascii_case("everyone") {
        return Ok(Audience::Everyone);
    }
    names
        .split(',')
        .map(|n| role_id(n, line, roles))
        .collect::<Result<Vec<_>, _>>()
        .map(Audience::Roles)
}

fn expectation(
    rest: &str,
    line: usize,
    roles: &BTreeMap<i64, String>,
) -> Result<Expectation, AppError> {
    let (spec, text) = rest
        .split_once(':')
        .ok_or_else(|| bad(line, "write expect CHECK: TEXT, e.g. expect role Incident Commander, 5 min: Commander assigned"))?;
    let (check, within) = match spec.rsplit_once(',') {
        Some((check, minutes)) if minutes.trim().ends_with("min") => {
            let m = minutes.trim().trim_end_matches("min").trim();
            let m: u32 = m.parse().map_err(|_| {
                bad(
                    line,
                    format!("'{}' is not a number of minutes", crate::fields::shown(m)),
                )
            })?;
            (check.trim(), Some(m))
        }
        _ => (spec.trim(), None),
    };
    let (word, arg) = check.split_once(' ').unwrap_or((check, ""));
    let check = match word {
        "role" => Check::RoleAssigned {
            role: roles
                .get(&role_id(arg, line, roles)?)
                .cloned()
                .unwrap_or_default(),
        },
        "notice" if arg.trim().is_empty() => Check::NoticePublished { stage: None },
        "notice" => Check::NoticePublished {
            stage: Some(Stage::parse("Injects", arg.trim()).map_err(|_| {
                bad(line, format!("'{}' is not a notice stage (investigating, identified, monitoring, resolved)", crate::fields::shown(arg)))
            })?),
        },
        "step" => Check::StepDone {
            step: arg
                .trim()
                .parse()
                .map_err(|_| bad(line, "a step is named by its number, e.g. step 4"))?,
        },
        "decision" => Check::Decision,
        "manual" => Check::Manual,
        other => {
            return Err(bad(
                line,
                format!("'{}' is not a check: use role, notice, step, decision or manual", crate::fields::shown(other)),
            ))
        }
    };
    Ok(Expectation {
        id: 0,
        text: text.trim().to_owned(),
        check,
        within_minutes: within,
    })
}

/// Gives each inject (and expectation) the id of its namesake in the
/// version edited, and new ones ids past the largest ever used there.
fn keep_ids(injects: &mut [Inject], before: Option<&Scenario>) {
    let old: &[Inject] = before.map_or(&[], |s| s.injects.as_slice());
    let mut next = old.iter().map(|i| i.id).max().unwrap_or(0);
    let mut used = std::collections::BTreeSet::new();
    for inject in injects.iter_mut() {
        let namesake = old
            .iter()
            .find(|o| o.title == inject.title && !used.contains(&o.id));
        inject.id = match namesake {
            Some(o) => o.id,
            None => {
                next += 1;
                next
            }
        };
        used.insert(inject.id);
        let old_e = namesake.map_or(&[][..], |o| o.expectations.as_slice());
        let mut next_e = old_e.iter().map(|e| e.id).max().unwrap_or(0);
        let mut used_e = std::collections::BTreeSet::new();
        for e in &mut inject.expectations {
            e.id = match old_e
                .iter()
                .find(|o| o.text == e.text && !used_e.contains(&o.id))
            {
                Some(o) => o.id,
                None => {
                    next_e += 1;
                    next_e
                }
            };
            used_e.insert(e.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles() -> BTreeMap<i64, String> {
        [(1, "Incident Commander"), (2, "Communications Lead")]
            .map(|(id, n)| (id, n.to_owned()))
            .into()
    }

    const TEXT: &str = "+00:00 Alert: checkout error rate 38% [for everyone]\n   **PagerDuty** fired.\n\n   > 38% errors\n   expect role Incident Commander, 5 min: Commander assigned\n\n+05:00 Customer email [for Communications Lead]\n   From: jo@example.com\n   expect notice investigating, 15 min: Comms publishes a notice\n   expect manual: Tone is calm\n";

    #[test]
    fn injects_read_back_as_they_were_written() {
        let injects = parse_injects(TEXT, &roles(), None).expect("reads");
        assert_eq!(injects.len(), 2);
        assert_eq!(injects[0].body, "**PagerDuty** fired.\n\n> 38% errors");
        assert_eq!(injects[1].offset_s, 300);
        assert_eq!(injects[1].audience, Audience::Roles(vec![2]));
        assert_eq!(
            injects[1].expectations[0].check,
            Check::NoticePublished {
                stage: Some(Stage::Investigating)
            }
        );
        assert_eq!(injects[1].expectations[0].within_minutes, Some(15));
        assert_eq!(injects[1].expectations[1].check, Check::Manual);
        let s = Scenario {
            title: "t".into(),
            tags: vec![],
            description: String::new(),
            runbook: None,
            planned_minutes: 45,
            roles: vec![1, 2],
            injects: injects.clone(),
        };
        assert_eq!(injects_text(&s, &roles()), TEXT, "written back the same");
    }

    #[test]
    fn an_edit_keeps_the_ids_of_what_it_kept() {
        let first = parse_injects(TEXT, &roles(), None).expect("reads");
        let before = Scenario {
            title: "t".into(),
            tags: vec![],
            description: String::new(),
            runbook: None,
            planned_minutes: 45,
            roles: vec![],
            injects: first,
        };
        let edited = format!(
            "+02:00 New first [for everyone]\n{}",
            TEXT.replace("Tone is calm", "Tone is kind")
        );
        let again = parse_injects(&edited, &roles(), Some(&before)).expect("reads");
        let ids: Vec<u32> = again.iter().map(|i| i.id).collect();
        assert_eq!(ids, [3, 1, 2], "the new inject gets a new id");
        let e: Vec<u32> = again[2].expectations.iter().map(|e| e.id).collect();
        assert_eq!(e, [1, 3], "a changed expectation is a new one");
    }

    #[test]
    fn each_mistake_names_its_line() {
        for (text, says) in [
            ("Customer email", "line 1: an inject starts with +"),
            ("+5m Email", "line 1: '5m' is not a time"),
            (
                "+05:00 Email [for Legal]",
                "line 1: there is no role named 'Legal'",
            ),
            (
                "+05:00 Email\n   expect step four: x",
                "line 2: a step is named by its number",
            ),
            (
                "+05:00 Email\n   expect notice soon: x",
                "line 2: 'soon' is not a notice stage",
            ),
            (
                "+05:00 Email\n   expect hope, 5 min: x",
                "line 2: 'hope' is not a check",
            ),
            (
                "+05:00 Email\n   expect manual, five min: x",
                "line 2: 'five' is not a number",
            ),
            (
                "+05:00 Email\n   expect manual: x\n   more body",
                "line 3: body text goes before",
            ),
        ] {
            let err = parse_injects(text, &roles(), None)
                .expect_err(text)
                .to_string();
            assert!(
                err.contains("Injects") && err.contains(says),
                "{text}: {err}"
            );
        }
    }
}
