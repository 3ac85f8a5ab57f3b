//! Markdown to HTML for the test API's `html` (and so the web UI), as
//! CommonMark with the extensions Mattermost renders (tables,
//! strikethrough, task lists). A single newline is a line break, as both
//! servers' clients show it (people type Shift+Enter for one), not
//! CommonMark's soft break that joins the lines. Raw HTML in a message is shown as text, and
//! links or images with a scriptable scheme lose their target: the text
//! comes from whoever posts, the page shows it to whoever looks.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};

/// Schemes a link may not have (everything else, relative links included, is kept).
const UNSAFE_SCHEMES: [&str; 3] = ["javascript:", "vbscript:", "data:"];

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim_start().to_ascii_lowercase();
    if UNSAFE_SCHEMES.iter().any(|scheme| lower.starts_with(scheme)) {
        CowStr::Borrowed("#")
    } else {
        url
    }
}

/// `markdown` as HTML that is safe to insert into a page.
pub fn markdown_to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::SoftBreak => Event::HardBreak,
        // push_html escapes text, so raw HTML becomes visible text.
        Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

#[cfg(test)]
mod tests {
    use super::markdown_to_html;

    #[test]
    fn markdown_is_rendered() {
        assert_eq!(
            markdown_to_html("**deploy** done"),
            "<p><strong>deploy</strong> done</p>\n"
        );
        assert!(markdown_to_html("| a |\n|---|\n| b |").contains("<table>"));
        assert!(markdown_to_html("~~old~~").contains("<del>old</del>"));
        assert_eq!(
            markdown_to_html("[docs](https://example.com/a?b=1&c=2)"),
            "<p><a href=\"https://example.com/a?b=1&amp;c=2\">docs</a></p>\n"
        );
    }

    #[test]
    fn a_single_newline_breaks_the_line() {
        assert_eq!(
            markdown_to_html("deployed\nby alice"),
            "<p>deployed<br />\nby alice</p>\n"
        );
        assert_eq!(markdown_to_html("one\n\ntwo"), "<p>one</p>\n<p>two</p>\n");
    }

    #[test]
    fn raw_html_and_script_links_are_defused() {
        let html = markdown_to_html("<script>alert(1)</script> and <b onclick=x>hi</b>");
        assert!(!html.contains("<script>") && !html.contains("<b "), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        let link = markdown_to_html("[x](javascript:alert(1)) ![y](JavaScript:alert(2))");
        assert!(!link.to_lowercase().contains("javascript:"), "{link}");
    }
}
