//! Token and error responses → [`Token`] or [`Error`]. The fuzzed surface:
//! never panics, never recurses (miniserde parses with an explicit stack),
//! and holds at most the parsed body plus the copies kept in the token.

use crate::error::{find, Error, ErrorKind, Result};
use crate::key::PrivateKey;
use crate::redact::{Redactor, WITHHELD};
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

/// What every response from a server gets checked for first, token
/// endpoint and metadata alike: a body over `cap` bytes
/// ([`ErrorKind::ResponseTooLarge`]) and a redirect, never followed
/// ([`ErrorKind::Redirect`], its `Location` quoted through `redactor`, or
/// not at all when it carries an `access_token`). The caller adds the
/// status and `Retry-After`.
pub(crate) fn size_and_redirect(
    response: &Response,
    cap: usize,
    redactor: &Redactor,
) -> Result<()> {
    let body = response.body();
    if body.len() > cap {
        return Err(Error::new(
            ErrorKind::ResponseTooLarge,
            format!("body of {} bytes exceeds the {cap}-byte cap", body.len()),
        ));
    }
    if matches!(response.status(), 301 | 302 | 303 | 307 | 308) {
        let detail = match response.header("location") {
            Some(to) if find(to.as_bytes(), b"access_token").is_some() => {
                "to a URL that carries an `access_token` (not shown), not followed".to_owned()
            }
            Some(to) => format!("to `{}`, not followed", redactor.quote(to, 200)),
            None => "not followed".to_owned(),
        };
        return Err(Error::new(ErrorKind::Redirect, detail));
    }
    Ok(())
}

/// Interprets a token endpoint's response (RFC 6749 §5.1 and §5.2).
///
/// - A body over `cap` bytes: [`ErrorKind::ResponseTooLarge`].
/// - A redirect status (301, 302, 303, 307, 308): [`ErrorKind::Redirect`].
/// - A JSON object with an `error` member: [`ErrorKind::OAuth`], whatever
///   the status (some servers send errors with 200).
/// - Any other non-2xx status: [`ErrorKind::Http`] with the status,
///   `Retry-After`, and for a non-JSON body a short sanitised excerpt.
/// - A 2xx status: a [`Token`] if the body is a JSON object with a valid
///   `access_token`, else [`ErrorKind::InvalidResponse`]. With `dpop` (the
///   request carried a proof made with that key) a `token_type` `DPoP` is
///   accepted and the token bound to the key.
///
/// Server text goes into an error only through `redactor` (see
/// [`crate::redact`]); every error with a status carries `Retry-After`.
pub(crate) fn token_response(
    response: &Response,
    cap: usize,
    issued: (Instant, SystemTime),
    redactor: &Redactor,
    dpop: Option<&PrivateKey>,
) -> Result<Token> {
    let status = response.status();
    let fail = |e: Error| {
        e.with_status(status)
            .with_retry_after_of(response, issued.1)
    };
    let body = response.body();
    size_and_redirect(response, cap, redactor).map_err(fail)?;

    let object = json_object(body, "body");
    if let Ok(object) = &object {
        if let Some(code) = object.get("error") {
            return Err(fail(oauth_error(code, object, status, redactor)));
        }
    }
    if !(200..300).contains(&status) {
        let detail = match &object {
            Ok(_) => "JSON body without an `error` member".to_owned(),
            Err(_) if body.is_empty() => "empty body".to_owned(),
            // Never quote a body that may hold a token.
            Err(_) if find(body, b"access_token").is_some() => {
                "non-JSON body with access_token (not shown)".to_owned()
            }
            // The whole body is redacted before the excerpt is cut.
            Err(_) => format!(
                "body starts `{}`",
                redactor.quote(&String::from_utf8_lossy(body), EXCERPT)
            ),
        };
        return Err(fail(Error::new(ErrorKind::Http, detail)));
    }
    let object = object.map_err(|why| fail(Error::invalid(why)))?;
    token(&object, issued, redactor, dpop).map_err(fail)
}

/// The deepest nesting accepted, and the most top-level members: a token
/// response has a handful of members and a few levels at most (RFC 9396
/// `authorization_details` reaches 3 or 4). The limits keep the parser's
/// stack and memory within a small multiple of the body.
const MAX_DEPTH: usize = 32;
const MAX_MEMBERS: usize = 256;

/// A top-level member's value, as far as cctoken reads it. Nested objects
/// and arrays other than arrays of strings are skipped, not stored. No
/// `Debug`: members hold access tokens and (in a `creds.json`) secrets.
pub(crate) enum Member {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    /// An array of strings, joined with spaces (for `scope`). `words`:
    /// every element was a non-empty string without a space, so splitting
    /// `joined` on spaces gives the elements back (for the name lists of a
    /// metadata document); always true for an empty array.
    Strings {
        joined: String,
        words: bool,
    },
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

    /// The members, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &Member)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
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
            if let Member::String(s) | Member::Strings { joined: s, .. } = member {
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
    /// An element was empty or held a space.
    not_words: bool,
    other: bool,
}

impl Visitor for StringElement {
    fn string(&mut self, s: &str) -> miniserde::Result<()> {
        if !self.joined.is_empty() {
            self.joined.push(' ');
        }
        self.not_words |= s.is_empty() || s.contains(' ');
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
            Member::Strings {
                joined: std::mem::take(&mut self.element.joined),
                words: !self.element.not_words,
            }
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

fn oauth_error(code: &Member, object: &Members, status: u16, redactor: &Redactor) -> Error {
    let code = match code {
        Member::String(s) if !s.is_empty() => redactor.code(s, OAUTH_TEXT),
        _ => {
            let kind = if (200..300).contains(&status) {
                ErrorKind::InvalidResponse
            } else {
                ErrorKind::Http
            };
            return Error::new(kind, "`error` member is not a non-empty string");
        }
    };
    let (description, uri) = (
        object.string("error_description"),
        object.string("error_uri"),
    );
    let withheld = !redactor.quotes() && (description.is_some() || uri.is_some());
    let text = |s: Option<&str>| {
        s.filter(|_| redactor.quotes())
            .map(|s| redactor.quote(s, OAUTH_TEXT))
    };
    Error::new(ErrorKind::OAuth, if withheld { WITHHELD } else { "" }).with_oauth(
        code,
        text(description),
        text(uri),
    )
}

fn token(
    object: &Members,
    issued: (Instant, SystemTime),
    redactor: &Redactor,
    dpop: Option<&PrivateKey>,
) -> Result<Token> {
    let access_token = match object.get("access_token") {
        Some(Member::String(s)) if !s.is_empty() => s,
        Some(Member::String(_)) => return Err(Error::invalid("access_token is empty")),
        Some(_) => return Err(Error::invalid("access_token is not a string")),
        None => return Err(Error::invalid("no access_token")),
    };
    // RFC 6749 VSCHAR minus space: anything else could split a header.
    if !access_token.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(Error::invalid(
            "access_token has characters outside printable ASCII",
        ));
    }
    // RFC 9449 §5: `DPoP` when the request carried a proof; a Bearer
    // answer to one means the server ignored the binding.
    let bound = match object.get("token_type") {
        None | Some(Member::Null) => false,
        Some(Member::String(t)) if t.eq_ignore_ascii_case("bearer") => false,
        Some(Member::String(t)) if dpop.is_some() && t.eq_ignore_ascii_case("dpop") => true,
        Some(Member::String(t)) => {
            return Err(Error::invalid(format!(
                "token_type `{}` is not supported (only Bearer)",
                redactor.quote(t, 40)
            )))
        }
        Some(_) => return Err(Error::invalid("token_type is not a string")),
    };
    let lifetime = match object.get("expires_in") {
        None | Some(Member::Null) => None,
        Some(v) => Some(expires_in(v)?),
    };
    let scope = match object.get("scope") {
        None | Some(Member::Null) => None,
        Some(Member::String(s) | Member::Strings { joined: s, .. }) => Some(s.clone()),
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
    // A Bearer answer to a DPoP request stays unbound: `dpop.rs` refuses it.
    let key = dpop.filter(|_| bound).cloned();
    Ok(Token::new(
        access_token.clone(),
        scope,
        extras,
        lifetime,
        issued,
        key,
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

/// `Retry-After` (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date taken
/// relative to the response's `Date` header when it has a valid one (so
/// that the two clocks' difference does not matter), else to `now`. A date
/// in the past means no wait.
pub(crate) fn retry_after(value: &str, date: Option<&str>, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let at = http_date(value)?;
    let reference = match date.and_then(|d| http_date(d.trim())) {
        Some(date) => date,
        None => now.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs(),
    };
    Some(Duration::from_secs(at.saturating_sub(reference)))
}

/// An HTTP-date (RFC 9110 §5.6.7) in any of its three forms, as seconds
/// since the Unix epoch: `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate),
/// `Sunday, 06-Nov-94 08:49:37 GMT` (RFC 850; a two-digit year is taken as
/// 1970–2069) and `Sun Nov  6 08:49:37 1994` (asctime).
pub(crate) fn http_date(text: &str) -> Option<u64> {
    let mut parts = [""; 8];
    let mut n = 0;
    for part in text.split([' ', ',', '-', ':']).filter(|p| !p.is_empty()) {
        *parts.get_mut(n)? = part;
        n += 1;
    }
    let [day, month, year, h, m, s] = match (n, parts[7]) {
        (8, "GMT") => [parts[1], parts[2], parts[3], parts[4], parts[5], parts[6]],
        (7, _) => [parts[2], parts[1], parts[6], parts[3], parts[4], parts[5]],
        _ => return None,
    };
    let num = |t: &str, max: u64| -> Option<u64> {
        let v = t.parse::<u64>().ok().filter(|v| *v <= max)?;
        t.bytes().all(|b| b.is_ascii_digit()).then_some(v)
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let year = match (year.len(), num(year, 9999)?) {
        (2, y) if y < 70 => 2000 + y,
        (2, y) => 1900 + y,
        (4, y) if y >= 1970 => y,
        _ => return None,
    };
    let (day, h, m, s) = (num(day, 31)?, num(h, 23)?, num(m, 59)?, num(s, 60)?);
    if day == 0 {
        return None;
    }
    // Days from 1970-01-01 to the date (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
