//! Notice templates: the smallest language a team needs, and nothing that
//! can grow without bound.
//!
//! - `{{ name }}` puts in a known variable's value. Strict: a variable with
//!   no value is an error naming the field and line, never an empty string
//!   in a customer's inbox.
//! - `{% if name %}…{% else %}…{% endif %}` keeps a part only when the
//!   variable has a value that is not empty (`else` is optional; ifs nest
//!   up to [`MAX_DEPTH`] deep).
//!
//! Nothing else: no expressions, filters, loops or assignments. The work
//! and output of a template are bounded by its length times the longest
//! value, and output past [`MAX_OUTPUT`] stops with an error. Anything
//! outside the language is refused when the template is saved or imported,
//! with the field and line.
use super::{NoticeTemplate, Preview, VARIABLES};
use std::collections::{BTreeMap, BTreeSet};

/// The longest a rendered subject or body may be, in characters.
pub const MAX_OUTPUT: usize = 32_000;
/// How deep `{% if %}`s may nest.
pub const MAX_DEPTH: usize = 8;

#[derive(Debug)]
enum Token<'a> {
    Text(&'a str),
    Var(&'a str, usize),
    If(&'a str, usize),
    Else(usize),
    EndIf(usize),
}

#[derive(Debug)]
enum Node<'a> {
    Text(&'a str),
    Var(&'a str, usize),
    If {
        name: &'a str,
        then: Vec<Node<'a>>,
        otherwise: Vec<Node<'a>>,
    },
}

/// What is wrong and where ("Body, line 3").
#[derive(Debug)]
struct Problem {
    place: String,
    what: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place, self.what)
    }
}

fn at(field: &str, line: usize, what: impl std::fmt::Display) -> Problem {
    Problem {
        place: format!("{field}, line {line}"),
        what: what.to_string(),
    }
}

/// Refuses template text outside the language, naming the field and line
/// (for saving and importing).
pub fn check(field: &str, source: &str) -> Result<(), crate::error::AppError> {
    parse(field, source)
        .map(|_| ())
        .map_err(|p| crate::error::AppError::invalid(p.place, p.what))
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn tokens<'a>(field: &str, source: &'a str) -> Result<Vec<Token<'a>>, Problem> {
    let mut out = Vec::new();
    let mut rest = source;
    let mut line = 1;
    loop {
        let next = ["{{", "{%", "}}", "%}"]
            .iter()
            .filter_map(|m| rest.find(m).map(|i| (i, *m)))
            .min();
        let Some((start, mark)) = next else {
            if !rest.is_empty() {
                out.push(Token::Text(rest));
            }
            return Ok(out);
        };
        let text = &rest[..start];
        if !text.is_empty() {
            out.push(Token::Text(text));
        }
        line += text.matches('\n').count();
        let close = match mark {
            "{{" => "}}",
            "{%" => "%}",
            _ => {
                let open = if mark == "}}" { "{{" } else { "{%" };
                return Err(at(
                    field,
                    line,
                    format!("`{mark}` with no `{open}` before it"),
                ));
            }
        };
        let after = &rest[start + 2..];
        let Some(end) = after.find(close) else {
            return Err(at(
                field,
                line,
                format!("`{mark}` is not closed with `{close}`"),
            ));
        };
        let inner = after[..end].trim();
        let words: Vec<&str> = inner.split_whitespace().collect();
        let token = match (mark, words.as_slice()) {
            ("{{", [name]) if is_name(name) => Token::Var(name, line),
            ("{{", _) => {
                return Err(at(field, line, format!(
                    "`{{{{ {inner} }}}}`: only a variable's name may stand between `{{{{` and `}}}}`, as in `{{{{ customer_name }}}}`"
                )))
            }
            (_, ["if", name]) if is_name(name) => Token::If(name, line),
            (_, ["else"]) => Token::Else(line),
            (_, ["endif"]) => Token::EndIf(line),
            _ => {
                return Err(at(field, line, format!(
                    "`{{% {inner} %}}`: templates know only `{{% if name %}}`, `{{% else %}}` and `{{% endif %}}`"
                )))
            }
        };
        out.push(token);
        line += after[..end].matches('\n').count();
        rest = &after[end + 2..];
    }
}

/// Reads nodes until an `else` or `endif` (returned) or the end (`None`).
fn nodes<'a, 't>(
    field: &str,
    tokens: &mut std::slice::Iter<'t, Token<'a>>,
    depth: usize,
) -> Result<(Vec<Node<'a>>, Option<&'t Token<'a>>), Problem> {
    let mut out = Vec::new();
    while let Some(token) = tokens.next() {
        match token {
            Token::Text(t) => out.push(Node::Text(t)),
            Token::Var(name, line) => out.push(Node::Var(name, *line)),
            Token::Else(_) | Token::EndIf(_) => return Ok((out, Some(token))),
            Token::If(name, line) => {
                if depth >= MAX_DEPTH {
                    return Err(at(
                        field,
                        *line,
                        format!("ifs may nest only {MAX_DEPTH} deep"),
                    ));
                }
                let unclosed = || {
                    at(
                        field,
                        *line,
                        format!("`{{% if {name} %}}` has no `{{% endif %}}`"),
                    )
                };
                let (then, end) = nodes(field, tokens, depth + 1)?;
                let otherwise = match end {
                    Some(Token::Else(_)) => match nodes(field, tokens, depth + 1)? {
                        (otherwise, Some(Token::EndIf(_))) => otherwise,
                        (_, Some(Token::Else(l))) => {
                            return Err(at(field, *l, "a second `{% else %}` in one if"))
                        }
                        _ => return Err(unclosed()),
                    },
                    Some(_) => Vec::new(),
                    None => return Err(unclosed()),
                };
                out.push(Node::If {
                    name,
                    then,
                    otherwise,
                });
            }
        }
    }
    Ok((out, None))
}

fn parse<'a>(field: &str, source: &'a str) -> Result<Vec<Node<'a>>, Problem> {
    let tokens = tokens(field, source)?;
    match nodes(field, &mut tokens.iter(), 0)? {
        (tree, None) => Ok(tree),
        (_, Some(Token::Else(line))) => Err(at(
            field,
            *line,
            "`{% else %}` with no `{% if %}` before it",
        )),
        // `nodes` stops early only at an `else` or an `endif`.
        (_, Some(other)) => {
            let line = match other {
                Token::EndIf(line)
                | Token::If(_, line)
                | Token::Var(_, line)
                | Token::Else(line) => *line,
                Token::Text(_) => 1,
            };
            Err(at(
                field,
                line,
                "`{% endif %}` with no `{% if %}` before it",
            ))
        }
    }
}

/// The variables a piece of template text uses, or why it does not parse.
fn used(field: &str, source: &str) -> Result<BTreeSet<String>, String> {
    fn walk(nodes: &[Node<'_>], names: &mut BTreeSet<String>) {
        for node in nodes {
            match node {
                Node::Text(_) => {}
                Node::Var(name, _) => {
                    names.insert((*name).to_owned());
                }
                Node::If {
                    name,
                    then,
                    otherwise,
                } => {
                    names.insert((*name).to_owned());
                    walk(then, names);
                    walk(otherwise, names);
                }
            }
        }
    }
    let mut names = BTreeSet::new();
    walk(
        &parse(field, source).map_err(|p| p.to_string())?,
        &mut names,
    );
    Ok(names)
}

/// One field rendered, strictly and within [`MAX_OUTPUT`].
fn render_field(
    field: &str,
    source: &str,
    values: &BTreeMap<String, String>,
) -> Result<String, String> {
    /// The text so far and its length in characters.
    struct Out(String, usize);
    fn walk(
        field: &str,
        nodes: &[Node<'_>],
        values: &BTreeMap<String, String>,
        out: &mut Out,
    ) -> Result<(), String> {
        for node in nodes {
            let piece = match node {
                Node::Text(t) => *t,
                Node::Var(name, line) => values.get(*name).ok_or_else(|| {
                    at(
                        field,
                        *line,
                        format!("uses a variable that has no value: {name}"),
                    )
                    .to_string()
                })?,
                Node::If {
                    name,
                    then,
                    otherwise,
                } => {
                    let kept = if values.get(*name).is_some_and(|v| !v.is_empty()) {
                        then
                    } else {
                        otherwise
                    };
                    walk(field, kept, values, out)?;
                    continue;
                }
            };
            out.1 += piece.chars().count();
            if out.1 > MAX_OUTPUT {
                return Err(format!(
                    "{field}: the notice would be longer than {MAX_OUTPUT} characters"
                ));
            }
            out.0.push_str(piece);
        }
        Ok(())
    }
    let tree = parse(field, source).map_err(|p| p.to_string())?;
    let mut out = Out(String::new(), 0);
    walk(field, &tree, values, &mut out)?;
    Ok(out.0)
}

/// Renders subject and body with these values; strict, so a missing value
/// is an error naming the field and line.
pub fn render(
    template: &NoticeTemplate,
    values: &BTreeMap<String, String>,
) -> Result<(String, String), String> {
    Ok((
        render_field("Subject", &template.subject, values)?,
        render_field("Body", &template.body, values)?,
    ))
}

/// The preview the editor shows: sample values, unknown and unused
/// variables, and any error with its place.
pub fn preview(subject: &str, body: &str) -> Preview {
    let mut preview = Preview::default();
    let mut all = BTreeSet::new();
    for (field, source) in [("Subject", subject), ("Body", body)] {
        match used(field, source) {
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

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn ifs_keep_a_part_only_when_the_variable_has_a_value() {
        let body = "Hi.{% if workaround %} Meanwhile: {{ workaround }}{% else %} No workaround yet.{% endif %}";
        assert_eq!(
            render_field("Body", body, &values(&[("workaround", "pay by bank")])).unwrap(),
            "Hi. Meanwhile: pay by bank"
        );
        assert_eq!(
            render_field("Body", body, &values(&[("workaround", "")])).unwrap(),
            "Hi. No workaround yet."
        );
        assert_eq!(
            render_field("Body", body, &values(&[])).unwrap(),
            "Hi. No workaround yet."
        );
        let nested = "{% if a %}A{% if b %}B{% endif %}{% endif %}";
        assert_eq!(
            render_field("Body", nested, &values(&[("a", "1"), ("b", "1")])).unwrap(),
            "AB"
        );
        assert_eq!(
            render_field("Body", nested, &values(&[("a", "1")])).unwrap(),
            "A"
        );
        assert_eq!(
            used("Body", nested).unwrap(),
            BTreeSet::from(["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(
            render_field("Body", "a { b } c", &values(&[])).unwrap(),
            "a { b } c",
            "lone braces are text"
        );
    }

    #[test]
    fn anything_outside_the_language_is_refused_with_its_field_and_line() {
        let cases = [
            // The multiplication that would build a huge string.
            (
                "line\n{% set a = \"x\" * 100000 %}{% set b = a ~ a ~ a ~ a %}{{ b }}",
                "Body, line 2: `{% set a",
            ),
            (
                "{{ impact | upper }}",
                "Body, line 1: `{{ impact | upper }}`: only a variable",
            ),
            ("{{ \"x\" * 100000 }}", "Body, line 1:"),
            ("{{ a ~ a }}", "Body, line 1:"),
            (
                "one\ntwo\n{% for x in range(10) %}{% endfor %}",
                "Body, line 3: `{% for",
            ),
            ("{{ impact }", "Body, line 1: `{{` is not closed"),
            ("a\n}}", "Body, line 2: `}}` with no `{{`"),
            (
                "{% if impact %}x",
                "Body, line 1: `{% if impact %}` has no `{% endif %}`",
            ),
            (
                "x\n{% endif %}",
                "Body, line 2: `{% endif %}` with no `{% if %}`",
            ),
            (
                "{% else %}",
                "Body, line 1: `{% else %}` with no `{% if %}`",
            ),
            (
                "{% if a %}{% else %}\n{% else %}{% endif %}",
                "Body, line 2: a second `{% else %}`",
            ),
            ("{{ Impact }}", "Body, line 1:"),
        ];
        for (source, expected) in cases {
            let error = used("Body", source).unwrap_err();
            assert!(error.starts_with(expected), "{source:?}: {error}");
            let p = preview("S", source);
            assert!(!p.is_usable(), "{source:?} is refused");
        }
        let deep = "{% if a %}".repeat(MAX_DEPTH + 1) + &"{% endif %}".repeat(MAX_DEPTH + 1);
        assert!(used("Body", &deep).unwrap_err().contains("nest"));
        let ok = "{% if a %}".repeat(MAX_DEPTH) + &"{% endif %}".repeat(MAX_DEPTH);
        assert!(used("Body", &ok).is_ok());
    }

    #[test]
    fn output_is_bounded_however_long_the_values() {
        // The longest body, every word a variable, every value long.
        let body = "{{ impact }}".repeat(8000 / 12);
        let long = "x".repeat(2000);
        let error = render_field("Body", &body, &values(&[("impact", &long)])).unwrap_err();
        assert_eq!(
            error,
            format!("Body: the notice would be longer than {MAX_OUTPUT} characters")
        );
        let fits = "{{ impact }}".repeat(MAX_OUTPUT / 2000);
        assert_eq!(
            render_field("Body", &fits, &values(&[("impact", &long)]))
                .unwrap()
                .chars()
                .count(),
            MAX_OUTPUT
        );
    }
}
