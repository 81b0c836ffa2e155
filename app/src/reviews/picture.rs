//! The review's timeline as a picture: every entry it shows as a tick on
//! one time axis, and the key moments (detection, diagnosis, mitigation,
//! decisions) each on their own lane, so the shape of the response shows
//! at a glance. Drawn on the server as SVG text: the review page, the
//! printable export and its paper copy all use the same drawing.
use super::{doc::Line, Moment};
use chrono::{DateTime, Utc};

const LEFT: i64 = 110;
const WIDTH: i64 = 870;
const LANE: i64 = 28;

use crate::ui::{escape_html as escape, Axis};

fn colour(m: Option<Moment>) -> &'static str {
    match m {
        Some(Moment::Detection) => "#dc2626",
        Some(Moment::Diagnosis) => "#d97706",
        Some(Moment::Mitigation) => "#16a34a",
        Some(Moment::Decision) => "#7c3aed",
        None => "#64748b",
    }
}

/// The picture of `lines` (oldest first) as an SVG element.
pub fn svg(lines: &[Line]) -> String {
    let (Some(first), Some(last)) = (
        lines.iter().map(|l| l.at).min(),
        lines.iter().map(|l| l.at).max(),
    ) else {
        return String::new();
    };
    let axis = Axis::new(first, last, LEFT as f64, WIDTH as f64);
    let x = |t: DateTime<Utc>| axis.x(t).round() as i64;
    let lanes: Vec<(Option<Moment>, &str)> = std::iter::once((None, "Entries"))
        .chain(Moment::ALL.into_iter().map(|m| (Some(m), m.title())))
        .collect();
    let height = 30 + LANE * lanes.len() as i64 + 20;
    let key: Vec<String> = lines
        .iter()
        .filter_map(|l| {
            l.moment
                .map(|m| format!("{} {}", m.as_str(), crate::ui::hh_mm(l.at)))
        })
        .collect();
    let summary = format!(
        "Timeline from {} to {} UTC: {} entries{}{}.",
        crate::ui::hh_mm(first),
        crate::ui::hh_mm(last),
        lines.len(),
        if key.is_empty() {
            ""
        } else {
            "; key moments: "
        },
        key.join(", ")
    );
    let mut out = format!(
        "<svg class=\"review-picture\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1000 {height}\" role=\"img\" aria-label=\"{}\">",
        escape(&summary)
    );
    for (i, (_, name)) in lanes.iter().enumerate() {
        let y = 30 + LANE * i as i64;
        out.push_str(&format!(
            "<text x=\"0\" y=\"{}\" class=\"lane-label\" font-size=\"13\">{name}</text>\
             <line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#cbd5e1\"/>",
            y + 4,
            LEFT + WIDTH
        ));
    }
    for l in lines {
        let cx = x(l.at);
        let what = escape(&format!(
            "{} {}: {}",
            crate::ui::hh_mm(l.at),
            l.kind,
            crate::timeline::step_title(&l.text)
        ));
        out.push_str(&format!(
            "<line x1=\"{cx}\" y1=\"22\" x2=\"{cx}\" y2=\"38\" stroke=\"#64748b\"><title>{what}</title></line>"
        ));
        if let Some(m) = l.moment {
            let lane = 1 + Moment::ALL.iter().position(|k| *k == m).unwrap_or(0) as i64;
            out.push_str(&format!(
                "<circle cx=\"{cx}\" cy=\"{}\" r=\"7\" fill=\"{}\" class=\"moment {}\"><title>{what}</title></circle>",
                30 + LANE * lane,
                colour(Some(m)),
                m.as_str()
            ));
        }
    }
    out.push_str(&format!(
        "<text x=\"{LEFT}\" y=\"{y}\" font-size=\"12\">{}</text>\
         <text x=\"{}\" y=\"{y}\" font-size=\"12\" text-anchor=\"end\">{} UTC</text></svg>",
        crate::ui::hh_mm(first),
        LEFT + WIDTH,
        crate::ui::hh_mm(last),
        y = height - 4
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(minute: i64, moment: Option<Moment>, text: &str) -> Line {
        Line {
            entry: minute,
            at: "2026-11-27T22:00:00Z"
                .parse::<DateTime<Utc>>()
                .expect("time")
                + chrono::Duration::minutes(minute),
            kind: "Note".into(),
            text: text.into(),
            author: "Sam".into(),
            moment,
            note: String::new(),
            event: None,
        }
    }

    #[test]
    fn key_moments_stand_on_their_lanes_along_one_axis() {
        let svg = svg(&[
            line(0, None, "Declared"),
            line(6, Some(Moment::Detection), "Alert <fired>"),
            line(60, Some(Moment::Mitigation), "Failover done"),
        ]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(
            svg.contains("aria-label=\"Timeline from 22:00 to 23:00 UTC: 3 entries; key moments: detection 22:06, mitigation 23:00.\""),
            "{svg}"
        );
        // Detection sits a tenth of the way along, on the first moment lane.
        assert!(svg.contains("<circle cx=\"197\" cy=\"58\""), "{svg}");
        assert!(svg.contains("<circle cx=\"980\" cy=\"114\""), "{svg}");
        assert!(svg.contains("Alert &lt;fired&gt;"), "text is escaped");
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(super::svg(&[]).is_empty(), "no entries, no picture");
    }
}
