//! An incident's record as files: its header and roles around the
//! timeline's own exports (Markdown for a review document, JSON for tools).
use super::{ChecklistItem, Entry, Incident, IncidentView, Measures, RoleHolder};
use serde::Serialize;

#[derive(Serialize)]
pub struct Export<'a> {
    pub incident: &'a Incident,
    pub roles: &'a [RoleHolder],
    pub checklist: &'a [ChecklistItem],
    pub measures: Measures,
    pub timeline: &'a [Entry],
}

impl<'a> Export<'a> {
    pub fn of(v: &'a IncidentView) -> Self {
        Self {
            incident: &v.incident,
            roles: &v.roles,
            checklist: &v.checklist,
            measures: v.measures(),
            timeline: &v.timeline,
        }
    }
}

pub fn markdown(v: &IncidentView) -> String {
    let i = &v.incident;
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let mut out = format!(
        "# {}\n\n- Severity: {}\n- Status: {}\n- Declared: {} by {}\n",
        i.title,
        i.severity.as_str().to_uppercase(),
        i.status.title(),
        time(i.declared_at),
        i.declared_by
    );
    if let Some(at) = i.resolved_at {
        out.push_str(&format!(
            "- Resolved: {} (after {})\n",
            time(at),
            crate::clock::elapsed(i.declared_at, at)
        ));
    }
    if let Some((_, version, title)) = &i.runbook {
        out.push_str(&format!("- Runbook: {title} (version {version})\n"));
    }
    out.push_str("\n## Roles\n\n");
    for r in &v.roles {
        out.push_str(&format!(
            "- {}: {}\n",
            r.role,
            r.person.as_deref().unwrap_or("nobody")
        ));
    }
    out.push_str("\n## Timeline\n\n");
    out.push_str(&crate::timeline::export::markdown(&v.timeline));
    out
}
