//! Markdown written by people (runbook steps, role duties) turned into HTML
//! that is safe to put in a page: raw HTML, scripts, event handlers and
//! `javascript:` links never get through.
use leptos::prelude::*;

/// Text people wrote, made safe to put in a Markdown file for a wiki or a
/// tracker to render: `<` and `&` are written as entities, so typed HTML
/// (`<script>`, `<b>`) stays text wherever the file is shown. Everything
/// else, Markdown included, is left as written.
pub fn markdown_text(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['<', '&']) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(text.replace('&', "&amp;").replace('<', "&lt;"))
}

/// Markdown rendered and then cleaned by an HTML sanitiser with an allow
/// list, so what a step says is shown and nothing it contains can run.
#[cfg(feature = "ssr")]
pub fn safe_html(markdown: &str) -> String {
    safe_html_with(markdown, &|_| Vec::new())
}

/// What [`safe_html_with`] puts in place of a part of running text: its
/// byte range in that text and the HTML that stands there.
#[cfg(feature = "ssr")]
pub type Inserts = Vec<(std::ops::Range<usize>, String)>;

/// Marks around the number of an insert while the page is cleaned: from
/// Unicode's private use area, and taken out of what people wrote first,
/// so only Muster's own marks are ever found.
#[cfg(feature = "ssr")]
const MARK: (char, char) = ('\u{E000}', '\u{E001}');

/// [`safe_html`], where `insert` may put HTML of Muster's own (a citation's
/// link) in place of parts of running text. It is asked only of running
/// text, never of a link's address or title, an image's text, code or raw
/// HTML, so what it makes can never land inside an attribute; and what it
/// makes is put in after the sanitiser ran (it is built from escaped
/// values), so the sanitiser's allow list needs no room for it.
#[cfg(feature = "ssr")]
pub fn safe_html_with(markdown: &str, insert: &dyn Fn(&str) -> Inserts) -> String {
    use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};
    let source: String = markdown
        .chars()
        .filter(|c| *c != MARK.0 && *c != MARK.1)
        .collect();
    let mut made: Vec<String> = Vec::new();
    let mut literal = 0_u32;
    let mut text = String::new();
    let mut events: Vec<Event> = Vec::new();
    // Running text comes in pieces (brackets split it): joined first, so
    // a citation across pieces is found whole.
    let flush = |text: &mut String, events: &mut Vec<Event>, made: &mut Vec<String>| {
        if text.is_empty() {
            return;
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (range, html) in insert(text) {
            out.push_str(&text[at..range.start]);
            out.push(MARK.0);
            out.push_str(&made.len().to_string());
            out.push(MARK.1);
            made.push(html);
            at = range.end;
        }
        out.push_str(&text[at..]);
        events.push(Event::Text(CowStr::from(out)));
        text.clear();
    };
    for event in Parser::new_ext(
        &source,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    ) {
        match event {
            Event::Text(t) if literal == 0 => text.push_str(&t),
            // Raw HTML in the source is shown as text, not dropped: a
            // person who typed "<script>" in a step sees what they typed.
            Event::Html(raw) | Event::InlineHtml(raw) => {
                flush(&mut text, &mut events, &mut made);
                events.push(Event::Text(raw));
            }
            other => {
                flush(&mut text, &mut events, &mut made);
                match &other {
                    Event::Start(Tag::CodeBlock(_) | Tag::Image { .. }) => literal += 1,
                    Event::End(TagEnd::CodeBlock | TagEnd::Image) => {
                        literal = literal.saturating_sub(1)
                    }
                    _ => {}
                }
                events.push(other);
            }
        }
    }
    flush(&mut text, &mut events, &mut made);
    let mut unsafe_html = String::new();
    html::push_html(&mut unsafe_html, events.into_iter());
    let clean = ammonia::Builder::default()
        .url_schemes(["https", "http", "mailto", "tel"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&unsafe_html)
        .to_string();
    if made.is_empty() {
        return clean;
    }
    let mut out = String::with_capacity(clean.len());
    let mut rest = clean.as_str();
    while let Some(open) = rest.find(MARK.0) {
        out.push_str(&rest[..open]);
        let after = &rest[open + MARK.0.len_utf8()..];
        let Some(close) = after.find(MARK.1) else {
            rest = after;
            break;
        };
        if let Some(html) = after[..close]
            .parse::<usize>()
            .ok()
            .and_then(|n| made.get(n))
        {
            out.push_str(html);
        }
        rest = &after[close + MARK.1.len_utf8()..];
    }
    out.push_str(rest);
    out
}

/// Markdown shown as a block of the page. Pages render on the server only;
/// the browser build never needs to render Markdown.
#[component]
pub fn Markdown(#[prop(into)] text: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let html = safe_html(&text);
    #[cfg(not(feature = "ssr"))]
    let html = {
        let _ = text;
        String::new()
    };
    view! { <div class="markdown" inner_html=html></div> }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::safe_html;

    #[test]
    fn a_script_tag_in_a_step_is_shown_as_text() {
        let html = safe_html("Check the queue <script>alert('x')</script> now");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;alert"), "{html}");
    }

    #[test]
    fn dangerous_links_attributes_and_images_do_not_get_through() {
        let html = safe_html(
            "[click](javascript:alert(1)) <img src=x onerror=alert(1)> \
             ![x](https://example.com/x.png \"t\")\n\n<a href=\"javascript:x\">a</a>",
        );
        assert!(!html.contains("<a href=\"javascript"), "{html}");
        assert!(!html.contains("<img src=\"x\""), "{html}");
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "shown as text: {html}"
        );
        assert!(
            html.contains("&lt;a href=\"javascript:x\"&gt;"),
            "shown as text: {html}"
        );
    }

    #[test]
    fn inserts_go_into_running_text_only_never_into_an_attribute() {
        use super::safe_html_with;
        let tag = |t: &str| -> super::Inserts {
            t.match_indices("[[x]]")
                .map(|(at, m)| (at..at + m.len(), "<b class=\"made\">X</b>".to_owned()))
                .collect()
        };
        let html = safe_html_with(
            "See [[x]] and [a link](https://example.com \"title [[x]]\") \
             ![alt [[x]]](https://example.com/i.png) `[[x]]`\n\n```\n[[x]]\n```\n\n\u{E000}0\u{E001}",
            &tag,
        );
        assert_eq!(html.matches("<b class=\"made\">X</b>").count(), 1, "{html}");
        assert!(html.contains("title=\"title [[x]]\""), "{html}");
        assert!(html.contains("<code>[[x]]</code>"), "{html}");
        assert!(
            !html.contains('\u{E000}'),
            "a typed mark is taken out: {html}"
        );
    }

    #[test]
    fn ordinary_markdown_is_rendered() {
        let html = safe_html(
            "**Pause** the `webhook` and see [docs](https://example.com/a)\n\n- one\n- two",
        );
        assert!(html.contains("<strong>Pause</strong>"), "{html}");
        assert!(html.contains("<code>webhook</code>"), "{html}");
        assert!(html.contains("<li>one</li>"), "{html}");
        assert!(
            html.contains("href=\"https://example.com/a\"") && html.contains("noopener"),
            "{html}"
        );
    }
}
