//! Token and error responses → [`Token`] or [`Error`]. The fuzzed surface:
//! never panics, never recurses (miniserde parses with an explicit stack),
//! and holds at most the parsed body plus the copies kept in the token.

use crate::error::{sanitize, Error, ErrorKind, Result};
use crate::token::{Token, MAX_LIFETIME};
use crate::transport::Response;
use miniserde::json::{self, Number, Object, Value};
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

    let object = json_object(body);
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
            Err(_) if contains(body, b"access_token") => {
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

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The body as a JSON object with unique member names, or why not.
fn json_object(body: &[u8]) -> std::result::Result<Object, String> {
    // Tolerate a UTF-8 byte order mark, as some .NET servers send one.
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.is_empty() {
        return Err("empty body".into());
    }
    let text = std::str::from_utf8(body).map_err(|_| "body is not valid UTF-8".to_owned())?;
    match json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => {
            // miniserde keeps the last of duplicate members; count them in
            // the text to refuse ambiguous responses.
            if top_level_members(text) != object.len() {
                return Err("body has duplicate member names".into());
            }
            Ok(object)
        }
        Ok(_) => Err("body is JSON but not an object".into()),
        Err(_) => Err("body is not JSON (or holds a number beyond the range of f64)".into()),
    }
}

/// The number of members of the top-level object in valid JSON `text`:
/// the `:` at nesting depth 1 outside strings.
fn top_level_members(text: &str) -> usize {
    let (mut depth, mut in_string, mut escaped, mut count) = (0usize, false, false, 0);
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
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b':' if depth == 1 => count += 1,
            _ => {}
        }
    }
    count
}

fn oauth_error(code: &Value, object: &Object, status: u16, retry_after: Option<Duration>) -> Error {
    let text = |name: &str| match object.get(name) {
        Some(Value::String(s)) => Some(sanitize(s, OAUTH_TEXT)),
        _ => None,
    };
    let code = match code {
        Value::String(s) if !s.is_empty() => sanitize(s, OAUTH_TEXT),
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

fn token(object: &Object, issued: (Instant, SystemTime)) -> Result<Token> {
    let access_token = match object.get("access_token") {
        Some(Value::String(s)) if !s.is_empty() => s,
        Some(Value::String(_)) => return Err(Error::invalid("access_token is empty")),
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
        None | Some(Value::Null) => {}
        Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => {}
        Some(Value::String(t)) => {
            return Err(Error::invalid(format!(
                "token_type `{}` is not supported (only Bearer)",
                sanitize(t, 40)
            )))
        }
        Some(_) => return Err(Error::invalid("token_type is not a string")),
    }
    let lifetime = match object.get("expires_in") {
        None | Some(Value::Null) => None,
        Some(v) => Some(expires_in(v)?),
    };
    let scope = match object.get("scope") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(items)) => {
            let mut parts = Vec::with_capacity(items.len());
            for item in items.iter() {
                match item {
                    Value::String(s) => parts.push(s.as_str()),
                    _ => return Err(Error::invalid("scope array holds a non-string")),
                }
            }
            Some(parts.join(" "))
        }
        Some(_) => return Err(Error::invalid("scope is neither a string nor an array")),
    }
    .filter(|s| !s.is_empty());
    let extras = object
        .iter()
        .filter(|(k, _)| !NOT_EXTRA.contains(&k.as_str()))
        .filter_map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
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
fn expires_in(value: &Value) -> Result<Duration> {
    let max = MAX_LIFETIME.as_secs();
    let secs = match value {
        Value::Number(Number::U64(n)) => (*n).min(max),
        Value::Number(Number::I64(n)) if *n >= 0 => (*n as u64).min(max),
        Value::Number(Number::F64(f)) if *f >= 0.0 => {
            if *f >= max as f64 {
                max
            } else {
                f.floor() as u64
            }
        }
        Value::Number(_) => return Err(Error::invalid("expires_in is negative")),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            // All digits: a parse failure can only be overflow.
            s.parse::<u64>().map_or(max, |n| n.min(max))
        }
        Value::String(_) => return Err(Error::invalid("expires_in is a string but not digits")),
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
