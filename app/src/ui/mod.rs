//! Pieces of UI shared by every domain.
mod axis;
mod layout;
mod markdown;
mod notice;
mod table;

pub use axis::Axis;
pub use layout::{EnvironmentBanner, Footer, Header};
pub use markdown::{markdown_text, Markdown};
#[cfg(feature = "ssr")]
pub use markdown::{safe_html, safe_html_with, Inserts};
pub use notice::{returned_error, ErrorNotice};
pub use table::DataTable;

/// The value of an island's `data-hydrated` attribute: "false" in the
/// server's HTML, "true" once the island runs in the browser, so tests (and
/// people reading the page source) can tell the two apart.
pub fn hydrated_marker() -> impl Fn() -> String + Copy + Send + Sync + 'static {
    use leptos::prelude::*;
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    move || hydrated.get().to_string()
}

/// "03:15": hours and minutes (UTC). Written by hand rather than with
/// chrono's format strings, whose parser would otherwise be shipped to
/// every browser.
pub fn hh_mm(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Timelike;
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// Text made safe inside HTML, in an element or a quoted attribute.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// "03:15:09".
pub fn hh_mm_ss(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Timelike;
    format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
}

/// "2026-11-26 03:15 UTC": a moment as every page shows it.
pub fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Datelike;
    format!(
        "{}-{:02}-{:02} {} UTC",
        t.year(),
        t.month(),
        t.day(),
        hh_mm(t)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Duration, Utc};

    fn t(minutes: i64) -> DateTime<Utc> {
        "2026-11-26T03:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(minutes)
    }

    #[test]
    fn times_read_the_same_as_chrono_would_write_them() {
        let at = t(75) + Duration::seconds(9);
        assert_eq!(hh_mm(at), at.format("%H:%M").to_string());
        assert_eq!(hh_mm_ss(at), at.format("%H:%M:%S").to_string());
        assert_eq!(when(at), at.format("%Y-%m-%d %H:%M UTC").to_string());
        assert_eq!(when(at), "2026-11-26 04:15 UTC");
    }
}

/// Calls `on_data` with each message of the live stream at `url` (Server-
/// Sent Events). The browser reconnects by itself after a drop; the first
/// message after that is the topic's revision, so a page catches up.
#[cfg(feature = "hydrate")]
pub fn listen(url: &str, on_data: impl Fn(String) + 'static) {
    use wasm_bindgen::{closure::Closure, JsCast};
    let Ok(source) = web_sys::EventSource::new(url) else {
        return;
    };
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if let Some(data) = event.data().as_string() {
                on_data(data);
            }
        });
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The page keeps its stream for as long as it is open.
    on_message.forget();
}
