//! Token and error responses → [`Token`] or [`Error`]. The fuzzed surface:
//! never panics, never recurses (miniserde parses with an explicit stack),
//! and holds at most the parsed body plus the copies kept in the token.

use crate::error::{find, sanitize, Error, ErrorKind, Result};
use crate::token::{Token, MAX_LIFETIME};
use crate::transport::Response;
use miniserde::de::{Deserialize, Map, Seq, Visitor};
use miniserde::json::{self, Number};
use std::time::{Duration, Instant, SystemTime};

/// Members never kept as extras: the token's own fields, and members that
/// may hold secrets.
const NOT_EXTRA: [&str; 6] = [
    "access_token",
    "token_type",
    "expires_in",
    "scope",
    "refresh_token",
    "id_token",
];

/// The longest excerpt of a non-JSON body shown in an error, in characters.
const EXCERPT: usize = 100;
/// The longest OAuth error text (code, description, URI) kept, in characters.
const OAUTH_TEXT: usize = 1000;

/// Interprets a token endpoint's response (RFC 6749 §5.1 and §5.2).
///
/// - A body over `cap` bytes: [`ErrorKind::ResponseTooLarge`].
/// - A redirect status (301, 302, 303, 307, 308): [`ErrorKind::Redirect`].
/// - A JSON object with an `error` member: [`ErrorKind::OAuth`], whatever
///   the status (some servers send errors with 200).
/// - Any other non-2xx status: [`ErrorKind::Http`] with the status,
///   `Retry-After`, and for a non-JSON body a short sanitised excerpt.
/// - A 2xx status: a [`Token`] if the body is a JSON object with a valid
///   `access_token`, else [`ErrorKind::InvalidResponse`].
pub(crate) fn token_response(
    response: &Response,
    cap: usize,
    issued: (Instant, SystemTime),
) -> Result<Token> {
    let status = response.status();
    let body = response.body();
    if body.len() > cap {
        return Err(Error::new(
            ErrorKind::ResponseTooLarge,
            format!("body of {} bytes exceeds the {cap}-byte cap", body.len()),
        )
        .with_status(status));
    }
    let retry_after = response.header("retry-after").and_then(retry_after);

    if matches!(status, 301 | 302 | 303 | 307 | 308) {
        let detail = match response.header("location") {
            Some(to) => format!("to `{}`, not followed", sanitize(to, 200)),
            None => "not followed".to_owned(),
        };
        return Err(Error::new(ErrorKind::Redirect, detail).with_status(status));
    }

    let object = json_object(body, "body");
    if let Ok(object) = &object {
        if let Some(code) = object.get("error") {
            return Err(oauth_error(code, object, status, retry_after));
        }
    }
    if !(200..300).contains(&status) {
        let detail = match &object {
            Ok(_) => "JSON body without an `error` member".to_owned(),
            Err(_) if body.is_empty() => "empty body".to_owned(),
            // Never quote a body that may hold a token.
            Err(_) if find(body, b"access_token").is_some() => {
                "non-JSON body mentioning access_token (not shown)".to_owned()
            }
            Err(_) => format!(
                "body starts `{}`",
                sanitize(
                    &String::from_utf8_lossy(&body[..body.len().min(4 * EXCERPT)]),
                    EXCERPT
                )
            ),
        };
        return Err(Error::new(ErrorKind::Http, detail)
            .with_status(status)
            .with_retry_after(retry_after));
    }
    let object = object.map_err(|why| Error::invalid(why).with_status(status))?;
    token(&object, issued).map_err(|e| e.with_status(status))
}

/// The deepest nesting accepted, and the most top-level members: a token
/// response has a handful of members and a few levels at most (RFC 9396
/// `authorization_details` reaches 3 or 4). The limits keep the parser's
/// stack and memory within a small multiple of the body.
const MAX_DEPTH: usize = 32;
const MAX_MEMBERS: usize = 256;

/// A top-level member's value, as far as cctoken reads it. Nested objects
/// and arrays other than arrays of strings are skipped, not stored.
#[derive(Debug)]
pub(crate) enum Member {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    /// An array of strings, joined with spaces (for `scope`).
    Strings(String),
    /// Any other array or object.
    Nested,
}

/// The members of the top-level object, in order. Also how the
/// credentials file and the token cache file are read, with the same limits.
pub(crate) struct Members(Vec<(String, Member)>);

impl Members {
    pub(crate) fn get(&self, name: &str) -> Option<&Member> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The member names, in order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    /// The member `name` if it is a string.
    pub(crate) fn string(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Member::String(s)) => Some(s),
            _ => None,
        }
    }
}

impl Drop for Members {
    /// Zeroes the strings: a parsed body or file may hold a token or a
    /// client secret.
    fn drop(&mut self) {
        for (_, member) in &mut self.0 {
            if let Member::String(s) | Member::Strings(s) = member {
                crate::secret::zero_string(s);
            }
        }
    }
}

impl Deserialize for Members {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        out.insert(Members(Vec::new()))
    }
}

impl Visitor for Members {
    fn map(&mut self) -> miniserde::Result<Box<dyn Map + '_>> {
        Ok(Box::new(MembersBuilder(&mut self.0)))
    }
}

struct MembersBuilder<'a>(&'a mut Vec<(String, Member)>);

impl Map for MembersBuilder<'_> {
    fn key(&mut self, k: &str) -> miniserde::Result<&mut dyn Visitor> {
        self.0.push((k.to_owned(), Member::Null));
        match self.0.last_mut() {
            Some((_, value)) => Ok(value),
            None => Err(miniserde::Error),
        }
    }

    fn finish(&mut self) -> miniserde::Result<()> {
        Ok(())
    }
}

impl Visitor for Member {
    fn null(&mut self) -> miniserde::Result<()> {
        *self = Member::Null;
        Ok(())
    }
    fn boolean(&mut self, b: bool) -> miniserde::Result<()> {
        *self = Member::Bool(b);
        Ok(())
    }
    fn string(&mut self, s: &str) -> miniserde::Result<()> {
        *self = Member::String(s.to_owned());
        Ok(())
    }
    fn negative(&mut self, n: i64) -> miniserde::Result<()> {
        *self = Member::Number(Number::I64(n));
        Ok(())
    }
    fn nonnegative(&mut self, n: u64) -> miniserde::Result<()> {
        *self = Member::Number(Number::U64(n));
        Ok(())
    }
    fn float(&mut self, n: f64) -> miniserde::Result<()> {
        *self = Member::Number(Number::F64(n));
        Ok(())
    }
    fn seq(&mut self) -> miniserde::Result<Box<dyn Seq + '_>> {
        Ok(Box::new(StringsBuilder {
            out: self,
            element: StringElement::default(),
        }))
    }
    fn map(&mut self) -> miniserde::Result<Box<dyn Map + '_>> {
        *self = Member::Nested;
        <dyn Visitor>::ignore().map()
    }
}

/// Joins an array of strings as it is read; any other element makes the
/// array `Nested`.
struct StringsBuilder<'a> {
    out: &'a mut Member,
    element: StringElement,
}

#[derive(Default)]
struct StringElement {
    joined: String,
    other: bool,
}

impl Visitor for StringElement {
    fn string(&mut self, s: &str) -> miniserde::Result<()> {
        if !self.joined.is_empty() {
            self.joined.push(' ');
        }
        self.joined.push_str(s);
        Ok(())
    }
    fn null(&mut self) -> miniserde::Result<()> {
        self.other = true;
        Ok(())
    }
    fn boolean(&mut self, _: bool) -> miniserde::Result<()> {
        self.null()
    }
    fn negative(&mut self, _: i64) -> miniserde::Result<()> {
        self.null()
    }
    fn nonnegative(&mut self, _: u64) -> miniserde::Result<()> {
        self.null()
    }
    fn float(&mut self, _: f64) -> miniserde::Result<()> {
        self.null()
    }
    fn seq(&mut self) -> miniserde::Result<Box<dyn Seq + '_>> {
        self.other = true;
        <dyn Visitor>::ignore().seq()
    }
    fn map(&mut self) -> miniserde::Result<Box<dyn Map + '_>> {
        self.other = true;
        <dyn Visitor>::ignore().map()
    }
}

impl Seq for StringsBuilder<'_> {
    fn element(&mut self) -> miniserde::Result<&mut dyn Visitor> {
        Ok(&mut self.element)
    }

    fn finish(&mut self) -> miniserde::Result<()> {
        *self.out = if self.element.other {
            Member::Nested
        } else {
            Member::Strings(std::mem::take(&mut self.element.joined))
        };
        Ok(())
    }
}

/// `body` as a JSON object with unique member names, or why not; `what`
/// names it in the reason ("body", "the file").
pub(crate) fn json_object(body: &[u8], what: &str) -> std::result::Result<Members, String> {
    // Tolerate a UTF-8 byte order mark, as some .NET servers send one.
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.is_empty() {
        return Err(format!("{what} is empty"));
    }
    let text = std::str::from_utf8(body).map_err(|_| format!("{what} is not valid UTF-8"))?;
    let shape = shape(text);
    if shape.depth > MAX_DEPTH {
        return Err(format!(
            "{what} is JSON nested deeper than {MAX_DEPTH} levels"
        ));
    }
    if shape.members > MAX_MEMBERS {
        return Err(format!(
            "{what} is a JSON object with more than {MAX_MEMBERS} members"
        ));
    }
    let members = match json::from_str::<Members>(text) {
        Ok(members) => members,
        Err(_) if text.trim_start().starts_with('{') => {
            return Err(format!(
                "{what} is not valid JSON (or holds a number beyond the range of f64)"
            ))
        }
        Err(_)
            if text.trim_start().starts_with(['[', '"', '-'])
                || text.trim_start().starts_with(|c: char| c.is_ascii_digit())
                || ["true", "false", "null"].contains(&text.trim()) =>
        {
            return Err(format!("{what} is not a JSON object"))
        }
        Err(_) => return Err(format!("{what} is not valid JSON")),
    };
    // Quadratic, but over at most MAX_MEMBERS short names, and without the
    // few KiB of code a sort would add to the binary.
    let names = &members.0;
    if (1..names.len()).any(|i| names[..i].iter().any(|(k, _)| *k == names[i].0)) {
        return Err(format!("{what} has duplicate member names"));
    }
    Ok(members)
}

/// How deep `text` nests and how many `:` it has at depth 1 (outside
/// strings): for valid JSON, the top-level object's member count.
struct Shape {
    depth: usize,
    members: usize,
}

fn shape(text: &str) -> Shape {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut shape = Shape {
        depth: 0,
        members: 0,
    };
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                shape.depth = shape.depth.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b':' if depth == 1 => shape.members += 1,
            _ => {}
        }
    }
    shape
}

fn oauth_error(
    code: &Member,
    object: &Members,
    status: u16,
    retry_after: Option<Duration>,
) -> Error {
    let text = |name: &str| match object.get(name) {
        Some(Member::String(s)) => Some(sanitize(s, OAUTH_TEXT)),
        _ => None,
    };
    let code = match code {
        Member::String(s) if !s.is_empty() => sanitize(s, OAUTH_TEXT),
        _ => {
            let kind = if (200..300).contains(&status) {
                ErrorKind::InvalidResponse
            } else {
                ErrorKind::Http
            };
            return Error::new(kind, "`error` member is not a non-empty string")
                .with_status(status)
                .with_retry_after(retry_after);
        }
    };
    Error::new(ErrorKind::OAuth, "")
        .with_status(status)
        .with_retry_after(retry_after)
        .with_oauth(code, text("error_description"), text("error_uri"))
}

fn token(object: &Members, issued: (Instant, SystemTime)) -> Result<Token> {
    let access_token = match object.get("access_token") {
        Some(Member::String(s)) if !s.is_empty() => s,
        Some(Member::String(_)) => return Err(Error::invalid("access_token is empty")),
        Some(_) => return Err(Error::invalid("access_token is not a string")),
        None => return Err(Error::invalid("no access_token")),
    };
    // RFC 6749 VSCHAR minus space: anything else could split a header.
    if !access_token.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(Error::invalid(
            "access_token has characters outside printable ASCII (space, control or non-ASCII)",
        ));
    }
    match object.get("token_type") {
        None | Some(Member::Null) => {}
        Some(Member::String(t)) if t.eq_ignore_ascii_case("bearer") => {}
        Some(Member::String(t)) => {
            return Err(Error::invalid(format!(
                "token_type `{}` is not supported (only Bearer)",
                sanitize(t, 40)
            )))
        }
        Some(_) => return Err(Error::invalid("token_type is not a string")),
    }
    let lifetime = match object.get("expires_in") {
        None | Some(Member::Null) => None,
        Some(v) => Some(expires_in(v)?),
    };
    let scope = match object.get("scope") {
        None | Some(Member::Null) => None,
        Some(Member::String(s) | Member::Strings(s)) => Some(s.clone()),
        Some(Member::Nested) => return Err(Error::invalid("scope array holds a non-string")),
        Some(_) => return Err(Error::invalid("scope is neither a string nor an array")),
    }
    .filter(|s| !s.is_empty());
    let extras = object
        .0
        .iter()
        .filter(|(k, _)| !NOT_EXTRA.contains(&k.as_str()))
        .filter_map(|(k, v)| {
            let v = match v {
                Member::String(s) => s.clone(),
                Member::Number(n) => n.to_string(),
                Member::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some((k.clone(), v))
        })
        .collect();
    Ok(Token::new(
        access_token.clone(),
        scope,
        extras,
        lifetime,
        issued,
    ))
}

/// `expires_in` (RFC 6749 §5.1): a number, or a string of decimal digits
/// (Azure AD v1). Fractions are floored, huge values clamped to
/// [`MAX_LIFETIME`]; negative or non-numeric values are refused.
fn expires_in(value: &Member) -> Result<Duration> {
    let max = MAX_LIFETIME.as_secs();
    let secs = match value {
        Member::Number(Number::U64(n)) => (*n).min(max),
        Member::Number(Number::I64(n)) if *n >= 0 => (*n as u64).min(max),
        Member::Number(Number::F64(f)) if *f >= 0.0 => {
            if *f >= max as f64 {
                max
            } else {
                f.floor() as u64
            }
        }
        Member::Number(_) => return Err(Error::invalid("expires_in is negative")),
        Member::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            // All digits: a parse failure can only be overflow.
            s.parse::<u64>().map_or(max, |n| n.min(max))
        }
        Member::String(_) => return Err(Error::invalid("expires_in is a string but not digits")),
        _ => return Err(Error::invalid("expires_in is not a number")),
    };
    Ok(Duration::from_secs(secs))
}

/// `Retry-After` as delta-seconds (RFC 9110 §10.2.3). An HTTP-date is not
/// read (clocks of client and server may differ): `None`.
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Duration::from_secs(
        value.parse::<u64>().unwrap_or(u64::MAX),
    ))
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
