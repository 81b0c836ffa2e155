//! Citations: a statement in a review cites a timeline entry with
//! `[[entry:ID]]` or an audit event with `[[event:ID]]`. Shown, each
//! becomes a link with its time and source, and an event's fingerprint,
//! so a reader can check where it came from. A citation of something that
//! is not there (or, for an entry, not of this incident) says so in place.
use super::Cited;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// How many citations one section shows as links (the rest stay text).
pub const MAX_PER_SECTION: usize = 200;

/// What a cited timeline entry shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CitedEntry {
    pub at: DateTime<Utc>,
    pub kind: &'static str,
    pub text: String,
}

/// A citation found in a text: what it names, and where it stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Entry(i64),
    Event(i64),
}

/// Every citation in `text`, in order, with its byte range: at most
/// [`MAX_PER_SECTION`] (the rest stay text).
pub fn find(text: &str) -> Vec<(Target, std::ops::Range<usize>)> {
    all(text, MAX_PER_SECTION)
}

/// The audit events `text` cites, every one of them (retention keeps them
/// all, shown as links or not).
pub fn events(text: &str) -> Vec<i64> {
    all(text, usize::MAX)
        .into_iter()
        .filter_map(|(t, _)| match t {
            Target::Event(id) => Some(id),
            Target::Entry(_) => None,
        })
        .collect()
}

fn all(text: &str, most: usize) -> Vec<(Target, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("[[") {
        let start = from + i;
        let Some(len) = text[start..].find("]]") else {
            break;
        };
        let inner = &text[start + 2..start + len];
        let target = match inner.split_once(':') {
            Some(("entry", id)) => id.trim().parse().ok().map(Target::Entry),
            Some(("event", id)) => id.trim().parse().ok().map(Target::Event),
            _ => None,
        };
        match target {
            Some(t) => {
                out.push((t, start..start + len + 2));
                from = start + len + 2;
            }
            None => from = start + 2,
        }
        if out.len() >= most {
            break;
        }
    }
    out
}

use crate::ui::escape_html as escape;

/// `text` with each citation replaced by what `shown` makes of it.
fn replace(text: &str, mut shown: impl FnMut(Target) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (target, range) in find(text) {
        out.push_str(&text[at..range.start]);
        out.push_str(&shown(target));
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// A section (Markdown) as safe HTML, each citation in its running text
/// made a link. Citations are resolved on the Markdown's text before the
/// page is cleaned, so a citation inside a link's title or address, an
/// image's text or code stays the text it is and never lands in an
/// attribute.
pub fn render(
    markdown: &str,
    incident: i64,
    entries: &HashMap<i64, CitedEntry>,
    events: &HashMap<i64, Cited>,
) -> String {
    crate::ui::safe_html_with(markdown, &|text| {
        find(text)
            .into_iter()
            .map(|(target, range)| (range, link(target, incident, entries, events)))
            .collect()
    })
}

/// The HTML a citation is shown as.
fn link(
    target: Target,
    incident: i64,
    entries: &HashMap<i64, CitedEntry>,
    events: &HashMap<i64, Cited>,
) -> String {
    match target {
        Target::Entry(id) => match entries.get(&id) {
            Some(e) => format!(
                "<a class=\"cite\" href=\"/incidents/{incident}#entry-{id}\">{} · {}: {}</a>",
                crate::ui::when(e.at),
                e.kind,
                escape(&crate::timeline::step_title(&e.text))
            ),
            None => format!("<span class=\"cite missing\">[entry {id}: not in this incident]</span>"),
        },
        Target::Event(id) => match events.get(&id) {
            Some(e) => format!(
                "<a class=\"cite\" href=\"/events/{id}\">{} event, {}</a> <code class=\"fingerprint\" title=\"{}\">{}</code>",
                escape(&e.source),
                crate::ui::when(e.occurred_at),
                escape(&e.fingerprint),
                escape(&e.fingerprint.chars().take(16).collect::<String>())
            ),
            None => format!("<span class=\"cite missing\">[event {id}: not found]</span>"),
        },
    }
}

/// `text` (Markdown) with each citation written out for a reader outside
/// Muster: the entry's time and words, the event's source, time and whole
/// fingerprint.
pub fn plain(
    text: &str,
    entries: &HashMap<i64, CitedEntry>,
    events: &HashMap<i64, Cited>,
) -> String {
    replace(text, |target| match target {
        Target::Entry(id) => match entries.get(&id) {
            Some(e) => format!(
                "[timeline, {} · {}: {}]",
                crate::ui::when(e.at),
                e.kind,
                crate::timeline::step_title(&e.text)
            ),
            None => format!("[entry {id}: not in this incident]"),
        },
        Target::Event(id) => match events.get(&id) {
            Some(e) => format!(
                "[{} event, {}, fingerprint {}]",
                e.source,
                crate::ui::when(e.occurred_at),
                e.fingerprint
            ),
            None => format!("[event {id}: not found]"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> DateTime<Utc> {
        "2026-11-27T22:04:00Z".parse().expect("time")
    }

    #[test]
    fn citations_are_found_and_anything_else_in_brackets_is_left() {
        let found: Vec<Target> =
            find("a [[entry:12]] b [[event: 7]] [[note:1]] [[entry:x]] [[event:3]]")
                .into_iter()
                .map(|(t, _)| t)
                .collect();
        assert_eq!(
            found,
            [Target::Entry(12), Target::Event(7), Target::Event(3)]
        );
        assert!(find("[[entry:1").is_empty(), "unclosed");
    }

    #[test]
    fn a_citation_links_with_time_source_and_fingerprint() {
        let entries = HashMap::from([(
            12,
            CitedEntry {
                at: t(),
                kind: "Note",
                text: "Stripe <confirms> errors".into(),
            },
        )]);
        let events = HashMap::from([(
            7,
            Cited {
                id: 7,
                source: "stripe".into(),
                occurred_at: t(),
                summary: "charge failed".into(),
                fingerprint: "0123456789abcdef0123".into(),
            },
        )]);
        let html = render(
            "See [[entry:12]] and [[event:7]], not [[entry:99]].",
            5,
            &entries,
            &events,
        );
        // In a link's title or an image's text a citation stays text: the
        // link it would make never lands inside an attribute.
        let inside = render(
            "[docs](https://example.com \"t [[event:7]]\") ![x [[event:7]]](https://example.com/i.png)",
            5,
            &entries,
            &events,
        );
        assert!(!inside.contains("class=\"cite\""), "{inside}");
        assert!(inside.contains("title=\"t [[event:7]]\""), "{inside}");
        assert!(html.contains("<a class=\"cite\" href=\"/incidents/5#entry-12\">2026-11-27 22:04 UTC · Note: Stripe &lt;confirms&gt; errors</a>"), "{html}");
        assert!(
            html.contains(
                "<a class=\"cite\" href=\"/events/7\">stripe event, 2026-11-27 22:04 UTC</a>"
            ),
            "{html}"
        );
        assert!(html.contains(">0123456789abcdef</code>"), "{html}");
        assert!(html.contains("[entry 99: not in this incident]"), "{html}");
        let text = plain("See [[entry:12]] and [[event:7]].", &entries, &events);
        assert_eq!(
            text,
            "See [timeline, 2026-11-27 22:04 UTC · Note: Stripe <confirms> errors] and \
             [stripe event, 2026-11-27 22:04 UTC, fingerprint 0123456789abcdef0123]."
        );
    }

    #[test]
    fn at_most_so_many_citations_are_links() {
        let text = "[[event:1]]".repeat(MAX_PER_SECTION + 5);
        assert_eq!(find(&text).len(), MAX_PER_SECTION);
    }
}
