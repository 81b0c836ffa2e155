//! An incident's record as files: its header and roles around the
//! timeline's own exports (Markdown for a review document, JSON for tools).
use super::{ChecklistItem, Entry, Incident, IncidentView, Measures, RoleHolder};
use serde::Serialize;

/// What the JSON export holds besides the timeline.
#[derive(Serialize)]
struct Head<'a> {
    incident: &'a Incident,
    roles: &'a [RoleHolder],
    checklist: &'a [ChecklistItem],
    measures: Measures,
}

/// The start of the JSON export, up to the opening of its `timeline`
/// array: the entries follow in batches, then `]}` closes it.
pub fn json_head(v: &IncidentView) -> String {
    let head = serde_json::to_string(&Head {
        incident: &v.incident,
        roles: &v.roles,
        checklist: &v.checklist,
        measures: v.measures(),
    })
    .unwrap_or_else(|_| "{}".into());
    // `{...}` becomes `{...,"timeline":[`.
    let open = head.strip_suffix('}').unwrap_or(&head);
    format!("{open},\"timeline\":[")
}

/// The incident as Markdown: its header and roles, then `entries` (the
/// whole timeline).
pub fn markdown(v: &IncidentView, entries: &[Entry]) -> String {
    let i = &v.incident;
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let md = crate::ui::markdown_text;
    let mut out = format!(
        "# {}\n\n- Severity: {}\n- Status: {}\n- Declared: {} by {}\n",
        md(&i.title),
        i.severity.label(),
        i.status.title(),
        time(i.declared_at),
        md(&i.declared_by)
    );
    if let Some(at) = i.resolved_at {
        out.push_str(&format!(
            "- Resolved: {} (after {})\n",
            time(at),
            crate::clock::elapsed(i.declared_at, at)
        ));
    }
    if let Some((_, version, title)) = &i.runbook {
        out.push_str(&format!("- Runbook: {} (version {version})\n", md(title)));
    }
    out.push_str("\n## Roles\n\n");
    for r in &v.roles {
        out.push_str(&format!(
            "- {}: {}\n",
            md(&r.role),
            md(r.person.as_deref().unwrap_or("nobody"))
        ));
    }
    out.push_str("\n## Timeline\n\n");
    out.push_str(&crate::timeline::export::markdown(entries));
    out
}
