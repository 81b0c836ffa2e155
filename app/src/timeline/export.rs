//! A timeline as files: Markdown lines for a review document and CSV rows
//! for a spreadsheet, written in batches so a long timeline is streamed
//! (JSON for tools is written by SQLite itself: `db::json_after`).
use super::{grouped, Entry};

/// The whole timeline as a Markdown list, corrections indented under the
/// entry they correct.
pub fn markdown(entries: &[Entry]) -> String {
    let mut out = String::new();
    for (entry, corrections) in grouped(entries) {
        out.push_str(&markdown_line(&entry, ""));
        for c in corrections {
            out.push_str(&markdown_line(&c, "  "));
        }
    }
    out
}

fn markdown_line(e: &Entry, indent: &str) -> String {
    let written = e
        .happened_at
        .map(|_| format!(" (written {})", e.at.format("%H:%M:%S")))
        .unwrap_or_default();
    // Typed HTML stays text in any wiki the file is pasted into.
    let text = crate::ui::markdown_text(&e.text);
    let mut text = text.lines();
    let mut out = format!(
        "{indent}- **{}**{written} · {} · {}: {}\n",
        e.when().format("%H:%M:%S"),
        e.kind.label(),
        crate::ui::markdown_text(&e.author),
        text.next().unwrap_or_default()
    );
    for more in text {
        out.push_str(&format!("{indent}  {more}\n"));
    }
    out
}

pub const CSV_HEADER: [&str; 8] = [
    "id",
    "happened_at",
    "written_at",
    "kind",
    "author",
    "source",
    "corrects",
    "text",
];

/// Rows of a CSV file, the header first when asked. A cell a spreadsheet
/// would run as a formula is written as text.
#[cfg(feature = "ssr")]
pub fn csv(entries: &[Entry], header: bool) -> Result<String, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    if header {
        out.write_record(CSV_HEADER)?;
    }
    for e in entries {
        let row = [
            e.id.to_string(),
            e.when().to_rfc3339(),
            e.at.to_rfc3339(),
            e.kind.as_str().to_owned(),
            e.author.clone(),
            e.source.clone(),
            e.corrects.map(|c| c.to_string()).unwrap_or_default(),
            e.text.clone(),
        ];
        out.write_record(row.map(|cell| match cell.chars().next() {
            Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
            _ => cell,
        }))?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
