//! Markdown written by people (runbook steps, role duties) turned into HTML
//! that is safe to put in a page: raw HTML, scripts, event handlers and
//! `javascript:` links never get through.
use leptos::prelude::*;

/// Markdown rendered and then cleaned by an HTML sanitiser with an allow
/// list, so what a step says is shown and nothing it contains can run.
#[cfg(feature = "ssr")]
pub fn safe_html(markdown: &str) -> String {
    use pulldown_cmark::{html, Event, Options, Parser};
    // Raw HTML in the source is shown as text, not dropped: a person who
    // typed "<script>" in a step sees what they typed.
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    )
    .map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut unsafe_html = String::new();
    html::push_html(&mut unsafe_html, parser);
    ammonia::Builder::default()
        .url_schemes(["https", "http", "mailto", "tel"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&unsafe_html)
        .to_string()
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
