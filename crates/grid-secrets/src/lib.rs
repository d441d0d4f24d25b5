#![doc = include_str!("../README.md")]

use std::fmt;

/// What a hidden password is shown as.
pub const HIDDEN: &str = "***";

/// Percent-decodes `s`; `None` when an escape is malformed (then the text is used raw).
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Whether `s` is a URL (`postgres://` or `postgresql://`).
fn is_url(s: &str) -> bool {
    let t = s.trim_start();
    t.starts_with("postgres://") || t.starts_with("postgresql://")
}

/// Where a URL's password and its query's `password=` values are: byte ranges of the raw
/// text.
fn url_password_spans(url: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return spans;
    };
    let query_start = url[scheme_end..]
        .find('?')
        .map_or(url.len(), |i| scheme_end + i);
    // The userinfo ends at the last '@' before the query (a raw '@' in a password is common
    // enough to allow); the password starts after its first ':'.
    if let Some(at) = url[scheme_end..query_start]
        .rfind('@')
        .map(|i| scheme_end + i)
        && let Some(colon) = url[scheme_end..at].find(':').map(|i| scheme_end + i)
    {
        spans.push((colon + 1, at));
    }
    if query_start < url.len() {
        let mut pos = query_start + 1;
        for pair in url[query_start + 1..].split('&') {
            if let Some(v) = pair.strip_prefix("password=") {
                let start = pos + "password=".len();
                spans.push((start, start + v.len()));
            }
            pos += pair.len() + 1;
        }
    }
    spans
}

/// Where a key=value string's `password` values are (the value's bytes, quotes excluded).
fn keyword_password_spans(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let key_start = i;
        while i < b.len() && b[i] != b'=' && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        let key = &s[key_start..i];
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' {
            i += 1;
            continue;
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let (start, end);
        if i < b.len() && b[i] == b'\'' {
            i += 1;
            start = i;
            while i < b.len() && b[i] != b'\'' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            end = i.min(b.len());
            i += 1;
        } else {
            start = i;
            while i < b.len() && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            end = i;
        }
        if key == "password" {
            spans.push((start, end));
        }
    }
    spans
}

fn spans(conninfo: &str) -> Vec<(usize, usize)> {
    if is_url(conninfo) {
        url_password_spans(conninfo)
    } else {
        keyword_password_spans(conninfo)
    }
}

/// The passwords a connection string carries, as written and as libpq would read them
/// (percent-decoded, quotes' escapes undone).
pub fn passwords_of(conninfo: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (a, b) in spans(conninfo) {
        let raw = &conninfo[a..b.min(conninfo.len())];
        if raw.is_empty() {
            continue;
        }
        out.push(raw.to_owned());
        if is_url(conninfo) {
            if let Some(d) = percent_decode(raw) {
                out.push(d);
            }
        } else {
            out.push(raw.replace("\\'", "'").replace("\\\\", "\\"));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The connection string with every password replaced by [`HIDDEN`] (any form; text that is
/// not a connection string comes back as it was).
///
/// ```
/// let shown = grid_secrets::redact("postgres://svc:s3cret@db:5432/grid");
/// assert!(!shown.contains("s3cret") && shown.contains(grid_secrets::HIDDEN));
/// let kv = grid_secrets::redact("host=db password='s3 cret' dbname=grid");
/// assert!(!kv.contains("s3"));
/// assert_eq!(grid_secrets::redact("not a connection string"), "not a connection string");
/// ```
pub fn redact(conninfo: &str) -> String {
    let mut s = conninfo.to_owned();
    let mut sp = spans(conninfo);
    sp.sort();
    for (a, b) in sp.into_iter().rev() {
        let b = b.min(s.len());
        if a < b {
            s.replace_range(a..b, HIDDEN);
        }
    }
    s
}

/// The shortest piece of a password [`scrub`] removes from a text: shorter ones are too
/// common in ordinary words to tell, and give too little away.
pub const MIN_FRAGMENT: usize = 4;

/// Every form a password may be quoted in: as written, decoded as libpq reads it, and
/// percent-encoded (as a URL would carry it).
fn forms(conninfo: &str) -> Vec<Vec<char>> {
    let mut out: Vec<String> = passwords_of(conninfo);
    let encoded: Vec<String> = out.iter().map(|p| percent_encode(p)).collect();
    out.extend(encoded);
    out.sort();
    out.dedup();
    out.into_iter().map(|p| p.chars().collect()).collect()
}

/// Every byte but RFC 3986's unreserved characters as `%XX`.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The length of the longest run of `text` from `i` that is a piece of some `secret`.
fn longest_piece(text: &[char], i: usize, secrets: &[Vec<char>]) -> usize {
    let mut best = 0;
    for secret in secrets {
        for j in 0..secret.len() {
            let n = text[i..]
                .iter()
                .zip(&secret[j..])
                .take_while(|(a, b)| a == b)
                .count();
            best = best.max(n);
        }
    }
    best
}

/// `text` (an error message, a log line) with every piece of `conninfo`'s password of
/// [`MIN_FRAGMENT`] characters or more — in any of its forms, raw, decoded or encoded —
/// replaced by [`HIDDEN`]; any quoted piece of `conninfo` itself (libpq quotes the part of
/// a string it cannot parse) and any connection URL inside it redacted.
///
/// ```
/// let url = "postgres://u:Tr0ub4dor&3@db/grid";
/// // libpq may quote only the tail of a password it could not parse.
/// let s = grid_secrets::scrub("invalid token: \"b4dor&3@db\"", url);
/// assert!(!s.contains("b4do") && !s.contains("dor&"), "{s}");
/// ```
pub fn scrub(text: &str, conninfo: &str) -> String {
    let secrets = forms(conninfo);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let n = longest_piece(&chars, i, &secrets);
        if n >= MIN_FRAGMENT {
            out.push_str(HIDDEN);
            i += n;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    let out = hide_quoted_pieces(&out, conninfo);
    // URLs the text quotes (libpq quotes the whole string in some errors).
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = rest.find("postgres") {
        let (head, tail) = rest.split_at(i);
        result.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ')')
            .unwrap_or(tail.len());
        result.push_str(&redact(&tail[..end]));
        rest = &tail[end..];
    }
    result.push_str(rest);
    result
}

/// `text` with every double-quoted span that is a piece of `conninfo` (of
/// [`MIN_FRAGMENT`] characters or more) replaced by [`HIDDEN`]: a connection string that
/// does not parse is reported without being echoed.
fn hide_quoted_pieces(text: &str, conninfo: &str) -> String {
    if !has_password_text(conninfo) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('"') {
        let Some(close) = rest[open + 1..].find('"').map(|c| open + 1 + c) else {
            break;
        };
        let quoted = &rest[open + 1..close];
        out.push_str(&rest[..=open]);
        let piece = quoted.trim_end_matches('…').trim_end_matches("...");
        if piece.chars().count() >= MIN_FRAGMENT && conninfo.contains(piece) {
            out.push_str(HIDDEN);
        } else {
            out.push_str(quoted);
        }
        out.push('"');
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Whether `conninfo` carries a password at all (then its unparsable pieces may hold one).
fn has_password_text(conninfo: &str) -> bool {
    !passwords_of(conninfo).is_empty()
}

/// The pieces of `password` of [`MIN_FRAGMENT`] characters that `text` shows (none is the
/// answer an audit or a test wants).
///
/// ```
/// assert!(grid_secrets::pieces_shown("failed for ***", "hunter22").is_empty());
/// assert_eq!(grid_secrets::pieces_shown("token 'ter22'", "hunter22"), ["ter2", "er22"]);
/// ```
pub fn pieces_shown(text: &str, password: &str) -> Vec<String> {
    let p: Vec<char> = password.chars().collect();
    let mut shown: Vec<String> = p
        .windows(MIN_FRAGMENT)
        .map(|w| w.iter().collect::<String>())
        .filter(|piece| text.contains(piece.as_str()))
        .collect();
    shown.dedup();
    shown
}

/// A database URL (or key=value connection string) whose `Debug` and `Display` hide its
/// password; [`DatabaseUrl::expose`] gives the real one to the code that connects.
///
/// ```
/// let url = grid_secrets::DatabaseUrl::new("postgres://svc:s3cret@db/grid");
/// assert!(!format!("{url} {url:?}").contains("s3cret"));
/// assert!(url.expose().contains("s3cret") && url.has_password());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Wraps a connection string.
    pub fn new(conninfo: impl Into<String>) -> DatabaseUrl {
        DatabaseUrl(conninfo.into())
    }

    /// The connection string, password included: only for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether it carries a password (in any form).
    pub fn has_password(&self) -> bool {
        !passwords_of(&self.0).is_empty()
    }

    /// `text` scrubbed of this URL's password ([`scrub`]).
    pub fn scrub(&self, text: &str) -> String {
        scrub(text, &self.0)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({:?})", redact(&self.0))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

impl From<String> for DatabaseUrl {
    fn from(s: String) -> Self {
        DatabaseUrl(s)
    }
}

impl From<&str> for DatabaseUrl {
    fn from(s: &str) -> Self {
        DatabaseUrl(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_is_redacted() {
        let cases = [
            ("postgres://u:secret@h:5/db", "postgres://u:***@h:5/db"),
            ("postgresql://u:p%40ss@h/db", "postgresql://u:***@h/db"),
            ("postgres://u:p@ss@h/db", "postgres://u:***@h/db"),
            (
                "postgres://u@h/db?password=secret&sslmode=disable",
                "postgres://u@h/db?password=***&sslmode=disable",
            ),
            ("postgres://h/db", "postgres://h/db"),
            (
                "host=h password=secret dbname=d",
                "host=h password=*** dbname=d",
            ),
            (
                "host=h password = 'se cr\\'et' dbname=d",
                "host=h password = '***' dbname=d",
            ),
            ("host=h dbname=d", "host=h dbname=d"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), expected, "{input}");
        }
    }

    #[test]
    fn passwords_are_found_raw_and_decoded() {
        assert_eq!(
            passwords_of("postgres://u:100%25sure@h/db"),
            ["100%25sure", "100%sure"]
        );
        // A raw '%' that is not an escape: libpq refuses it, and echoes it; the raw text counts.
        assert_eq!(passwords_of("postgres://u:100%sure@h/db"), ["100%sure"]);
        assert_eq!(passwords_of("host=h password='a\\'b'"), ["a'b", "a\\'b"]);
    }

    #[test]
    fn every_piece_of_four_or_more_is_scrubbed_in_every_form() {
        let password = "Tr0ub4dor&3:p@ss/w%rd 'q\"x";
        let url = format!("postgres://u:{password}@127.0.0.1:5432/db");
        let libpq = "invalid percent-encoded token: \"w%rd 'q\"x@127.0.0.1:5432/db\"";
        let s = scrub(libpq, &url);
        assert_no_piece(&s, password);
        // The password percent-encoded as a URL carries it, decoded as libpq reads it.
        let encoded = "postgres://u:s%C3%A9cr%40t!x@h/db";
        for text in ["s%C3%A9cr%40t", "sécr@t!x", "was cr@t!x here", "%40t!x"] {
            let s = scrub(text, encoded);
            assert!(!s.contains("cr@t") && !s.contains("%40t!"), "{text} -> {s}");
        }
        // Short pieces stay: they say nothing.
        assert_eq!(
            scrub("at the 3rd try", "postgres://u:3rd@h/db"),
            "at the 3rd try"
        );
    }

    fn assert_no_piece(text: &str, password: &str) {
        assert_eq!(pieces_shown(text, password), Vec::<String>::new(), "{text}");
    }

    #[test]
    fn error_texts_are_scrubbed() {
        let url = "postgres://u:100%25sure@h/db";
        let libpq = "invalid percent-encoded token: \"100%sure\" in postgres://u:100%25sure@h/db";
        let s = scrub(libpq, url);
        assert!(!s.contains("100%sure") && !s.contains("100%25sure"), "{s}");
        let d = DatabaseUrl::new(url);
        assert_eq!(format!("{d:?}"), "DatabaseUrl(\"postgres://u:***@h/db\")");
        assert_eq!(d.to_string(), "postgres://u:***@h/db");
        assert!(d.has_password() && !DatabaseUrl::new("postgres://h/db").has_password());
    }
}
