//! Slack-compatible message text, as Mattermost's incoming webhooks process it.
//!
//! Mattermost accepts Slack payloads and rewrites Slack markup into its own
//! markdown. It does so in two places, and this module mirrors both exactly so
//! stored posts match what a real server would store:
//!
//! 1. `ProcessSlackText` (app/slack.go): [`expand_announcements`] — `<!channel>`,
//!    `<!here>`, `<!all>` become `@channel`, `@here`, `@all` — and `<@USERID>`
//!    becomes `@username` (see [`slack_user_mentions`] / [`replace_user_mentions`];
//!    that step needs the user store, so it is left to the caller).
//! 2. `CreateWebhookPost` (app/webhook.go): [`slack_links_to_markdown`] — `<url|text>`
//!    becomes `[text](url)`.
//!
//! [`slack_to_markdown`] applies 1 (without user ids) and then 2, in that order.
//!
//! Deliberately *not* converted, because Mattermost does not convert them either:
//! `<!everyone>` (kept literally), bare `<url>` (kept literally; Mattermost's markdown
//! renders `<http://...>` as an autolink anyway), `<#C123|name>` channel references
//! (they match the link rule and become `[name](#C123)`, as in Mattermost).
//!
//! For attachments Mattermost applies step 1 to `pretext`, `text`, `title` and
//! field values, but step 2 only to `pretext`, `text` and field values (not `title`).
//!
//! The module also splits over-long messages: see [`split_runes`] (Mattermost's
//! exact algorithm) and [`split_message`] (friendlier break points).

/// Mattermost's maximum post size in runes (`model.PostMessageMaxRunesV2`).
pub const MAX_POST_RUNES: usize = 16383;

/// `<!channel>` / `<!here>` / `<!all>` to `@channel` / `@here` / `@all`
/// (Mattermost's `expandAnnouncement`). Nothing else is touched.
pub fn expand_announcements(text: &str) -> String {
    text.replace("<!channel>", "@channel")
        .replace("<!here>", "@here")
        .replace("<!all>", "@all")
}

/// `<url|text>` to `[text](url)`, with exactly the semantics of Mattermost's
/// `linkWithTextRegex` (`<([^<\|]+)\|([^>]+)>`, replaced left to right without
/// overlap): the url part is everything up to the first `|` and may not contain
/// `<`; the text part is everything up to the next `>` and may contain `|` or `<`;
/// neither may be empty. Text that does not match is kept byte for byte.
pub fn slack_links_to_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let candidate = &rest[open..];
        match match_link(candidate) {
            Some((url, label, len)) => {
                out.push('[');
                out.push_str(label);
                out.push_str("](");
                out.push_str(url);
                out.push(')');
                rest = &candidate[len..];
            }
            None => {
                // No match starting here; the next attempt starts after this `<`.
                out.push('<');
                rest = &candidate[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Match `<url|label>` at the start of `s` (which starts with `<`); returns the
/// url, the label and the byte length of the whole match.
fn match_link(s: &str) -> Option<(&str, &str, usize)> {
    let body = s.strip_prefix('<')?;
    // [^<|]+ is greedy and cannot give back a `|`, so it ends at the first `<` or `|`.
    let url_end = body.find(['<', '|'])?;
    if url_end == 0 || !body[url_end..].starts_with('|') {
        return None;
    }
    let after_bar = &body[url_end + 1..];
    // [^>]+ then `>`: the label ends at the first `>`.
    let label_end = after_bar.find('>')?;
    if label_end == 0 {
        return None;
    }
    let len = 1 + url_end + 1 + label_end + 1;
    Some((&body[..url_end], &after_bar[..label_end], len))
}

/// Slack markup to Mattermost markdown, as an incoming webhook's `text` is
/// converted: [`expand_announcements`], then [`slack_links_to_markdown`].
/// `<@USERID>` mentions are not resolved here (see [`replace_user_mentions`]).
pub fn slack_to_markdown(text: &str) -> String {
    slack_links_to_markdown(&expand_announcements(text))
}

/// The user ids of Slack mentions `<@USERID>` (`<@([a-zA-Z0-9]+)>`) in `text`,
/// in order of appearance, duplicates included. The caller looks them up.
pub fn slack_user_mentions(text: &str) -> Vec<&str> {
    let mut ids = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("<@") {
        let after = &rest[start + 2..];
        let id_len = after.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(after.len());
        if id_len > 0 && after[id_len..].starts_with('>') {
            ids.push(&after[..id_len]);
            rest = &after[id_len + 1..];
        } else {
            rest = after;
        }
    }
    ids
}

/// Replace each `<@USERID>` whose id `username_of` knows with `@username`
/// (Mattermost's `replaceUserIds`); unknown ids are left as they are.
pub fn replace_user_mentions(text: &str, mut username_of: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<@") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let id_len = after.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(after.len());
        if id_len > 0 && after[id_len..].starts_with('>') {
            let id = &after[..id_len];
            match username_of(id) {
                Some(name) => {
                    out.push('@');
                    out.push_str(&name);
                }
                None => {
                    out.push_str("<@");
                    out.push_str(id);
                    out.push('>');
                }
            }
            rest = &after[id_len + 1..];
        } else {
            out.push_str("<@");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Split `text` into chunks of at most `max_runes` characters exactly as Mattermost's
/// `splitWebhookPost` does: cut after every `max_runes` characters, with no regard
/// for words. Always returns at least one chunk (possibly empty: an attachment-only
/// post still needs its post). A `max_runes` of 0 is treated as 1.
///
/// Use this where fidelity to Mattermost matters (incoming webhook posts).
pub fn split_runes(text: &str, max_runes: usize) -> Vec<String> {
    let max = max_runes.max(1);
    let mut chunks = Vec::new();
    let mut rest = text;
    loop {
        match rest.char_indices().nth(max) {
            Some((cut, _)) => {
                chunks.push(rest[..cut].to_owned());
                rest = &rest[cut..];
            }
            None => {
                chunks.push(rest.to_owned());
                return chunks;
            }
        }
    }
}

/// Split `text` into chunks of at most `max_runes` characters, preferring to end a
/// chunk just after a newline, else just after other whitespace, else cutting hard.
/// A break point is only used when it keeps the chunk at least half full, so a
/// stray early newline does not produce a sliver of a post.
///
/// Concatenating the chunks gives back `text` exactly (nothing is trimmed, lost or
/// reordered). Always returns at least one chunk. A `max_runes` of 0 is treated as 1.
///
/// Unlike [`split_runes`] this is not what Mattermost does; it reads better and is
/// meant for posts we compose ourselves.
pub fn split_message(text: &str, max_runes: usize) -> Vec<String> {
    let max = max_runes.max(1);
    let min_fill = max.div_ceil(2);
    let mut chunks = Vec::new();
    let mut rest = text;
    loop {
        // Byte offset just past `max` characters, or None if `rest` fits.
        let Some((window_end, _)) = rest.char_indices().nth(max) else {
            chunks.push(rest.to_owned());
            return chunks;
        };
        let window = &rest[..window_end];
        // Candidate cut points are byte offsets just after a break character,
        // paired with the number of characters up to there.
        let mut newline_cut = None;
        let mut space_cut = None;
        for (chars, (offset, c)) in window.char_indices().enumerate() {
            let kept = chars + 1;
            if kept < min_fill {
                continue;
            }
            if c == '\n' {
                newline_cut = Some(offset + c.len_utf8());
            } else if c.is_whitespace() {
                space_cut = Some(offset + c.len_utf8());
            }
        }
        let cut = newline_cut.or(space_cut).unwrap_or(window_end);
        chunks.push(rest[..cut].to_owned());
        rest = &rest[cut..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements() {
        assert_eq!(
            expand_announcements("<!channel> <!here> <!all> <!everyone>"),
            "@channel @here @all <!everyone>"
        );
        assert_eq!(expand_announcements("x<!here>y<!here>"), "x@herey@here");
    }

    #[test]
    fn links_follow_the_mattermost_regex() {
        let cases = [
            ("see <https://a.com|A site>!", "see [A site](https://a.com)!"),
            ("<https://a.com>", "<https://a.com>"),
            ("<https://example.com|>", "<https://example.com|>"),
            ("<|>", "<|>"),
            ("<a|b|c>", "[b|c](a)"),
            ("<a<b|c>", "<a[c](b)"),
            ("<a|b>c>", "[b](a)c>"),
            (
                "no closing <https://example.com|Example",
                "no closing <https://example.com|Example",
            ),
            ("nested <<a|b>|c>", "nested <[b](a)|c>"),
            ("<mailto:a@b.com|Mail>", "[Mail](mailto:a@b.com)"),
            ("<#C1|general>", "[general](#C1)"),
            ("multi\nline <https://a.com|A>", "multi\nline [A](https://a.com)"),
            ("<a|b> <c|d> <e|f>", "[b](a) [d](c) [f](e)"),
            ("<a\nb|c\nd>", "[c\nd](a\nb)"),
            ("<a|<b>", "[<b](a)"),
            ("plain text", "plain text"),
            ("", ""),
            ("ünï <ü|çödé> ✓", "ünï [çödé](ü) ✓"),
        ];
        for (input, want) in cases {
            assert_eq!(slack_links_to_markdown(input), want, "input {input:?}");
        }
    }

    #[test]
    fn full_conversion_expands_before_linking() {
        assert_eq!(
            slack_to_markdown("<!channel> deploy <https://ci/1|#1> done"),
            "@channel deploy [#1](https://ci/1) done"
        );
        // Order matters: expanding first turns `<!here>` into `@here` inside the label;
        // linking first would end the label at the `>` of `<!here>`.
        assert_eq!(slack_to_markdown("<a|b <!here>>"), "[b @here](a)");
        assert_eq!(slack_to_markdown("<a|<!here>"), "<a|@here");
        assert_eq!(slack_to_markdown("<!everyone> <http://x>"), "<!everyone> <http://x>");
    }

    #[test]
    fn user_mentions() {
        let text = "hi <@U123> and <@U123>, not <@> or <@a-b> or <@x";
        assert_eq!(slack_user_mentions(text), vec!["U123", "U123"]);
        let out = replace_user_mentions("hi <@U1> <@U2> <@> <@U1", |id| (id == "U1").then(|| "alice".to_owned()));
        assert_eq!(out, "hi @alice <@U2> <@> <@U1");
    }

    #[test]
    fn split_runes_cuts_exactly_like_mattermost() {
        assert_eq!(split_runes("", 3), vec![""]);
        assert_eq!(split_runes("abc", 3), vec!["abc"]);
        assert_eq!(split_runes("abcd", 3), vec!["abc", "d"]);
        assert_eq!(split_runes("ab cdef", 3), vec!["ab ", "cde", "f"]);
        assert_eq!(split_runes("ééééé", 2), vec!["éé", "éé", "é"]);
        let long = "x".repeat(MAX_POST_RUNES * 2 + 1);
        let parts = split_runes(&long, MAX_POST_RUNES);
        assert_eq!(
            parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(),
            vec![MAX_POST_RUNES, MAX_POST_RUNES, 1]
        );
    }

    #[test]
    fn split_message_prefers_newlines_then_spaces() {
        assert_eq!(split_message("", 10), vec![""]);
        assert_eq!(split_message("short", 10), vec!["short"]);
        assert_eq!(split_message("aaaa bbb\ncc dd", 10), vec!["aaaa bbb\n", "cc dd"]);
        assert_eq!(split_message("aaaa bbbb cc", 10), vec!["aaaa bbbb ", "cc"]);
        // No break point: hard cut.
        assert_eq!(split_message("abcdefghijkl", 5), vec!["abcde", "fghij", "kl"]);
        // A newline that would leave a sliver (< half full) is ignored.
        assert_eq!(split_message("a\nbcdefghijkl", 6), vec!["a\nbcde", "fghijk", "l"]);
        assert_eq!(split_message("ab\u{3000}cd", 3), vec!["ab\u{3000}", "cd"]);
    }

    #[test]
    fn split_message_never_loses_or_reorders() {
        // Deterministic pseudo-random texts over an alphabet with multibyte chars
        // and break characters.
        let alphabet: Vec<char> = "ab \n\té✓ x".chars().collect();
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for round in 0..300 {
            let len = (round * 7) % 97;
            let text: String = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            for max in [0, 1, 2, 3, 5, 8, 13, 100] {
                for parts in [split_message(&text, max), split_runes(&text, max)] {
                    assert!(!parts.is_empty());
                    assert_eq!(parts.concat(), text, "max {max}");
                    for p in &parts {
                        assert!(p.chars().count() <= max.max(1), "{p:?} > {max}");
                    }
                    if parts.len() > 1 {
                        assert!(parts.iter().all(|p| !p.is_empty()));
                    }
                }
            }
        }
    }
}
