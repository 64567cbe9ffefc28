//! Request bodies (form, JSON, multipart) and the Basic header. Pure
//! functions over `(name, value)` pairs, in the order given.

use crate::error::find;
use std::collections::hash_map::RandomState;
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};

/// The bytes kept as they are by [`percent_encode`]: RFC 3986 unreserved.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Appends `s` to `out` with every byte outside `A-Z a-z 0-9 - . _ ~`
/// written as `%XX` (upper-case hex); a space becomes `%20`, never `+`.
///
/// `%20` is read back as a space by form decoders and by plain
/// percent-decoders alike; `+` only by the former.
pub(crate) fn percent_encode(s: &str, out: &mut String) {
    for &b in s.as_bytes() {
        if is_unreserved(b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// `application/x-www-form-urlencoded`: `name=value` pairs joined by `&`,
/// both sides percent-encoded as [`percent_encode`] does.
pub(crate) fn form(fields: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        percent_encode(name, &mut out);
        out.push('=');
        percent_encode(value, &mut out);
    }
    out
}

/// Appends `s` as a JSON string literal (RFC 8259 §7): `"` and `\` escaped,
/// control characters as `\n`, `\r`, `\t` or `\u00XX`, everything else as
/// UTF-8.
pub(crate) fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON object of string members. A name given more than once (a
/// repeated `resource`) becomes one member holding an array of its values,
/// in order, at the place of its first occurrence.
pub(crate) fn json(fields: &[(&str, &str)]) -> String {
    let mut out = String::from("{");
    for (i, (name, value)) in fields.iter().enumerate() {
        if fields[..i].iter().any(|(n, _)| n == name) {
            continue; // already written with its first occurrence
        }
        if out.len() > 1 {
            out.push(',');
        }
        json_string(name, &mut out);
        out.push(':');
        let count = fields.iter().filter(|(n, _)| n == name).count();
        if count == 1 {
            json_string(value, &mut out);
        } else {
            out.push('[');
            let values = fields.iter().filter(|(n, _)| n == name);
            for (j, (_, v)) in values.enumerate() {
                if j > 0 {
                    out.push(',');
                }
                json_string(v, &mut out);
            }
            out.push(']');
        }
    }
    out.push('}');
    out
}

/// 64 unpredictable bits from the standard library's per-process random
/// hash keys (every `RandomState` has fresh keys: random per thread, then
/// incremented, so each call differs). For multipart boundaries, the cache
/// file's salt and temporary names; not for signing keys.
pub(crate) fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u8(0);
    h.finish()
}

/// A fresh multipart boundary that occurs in none of `fields`: `cctoken-`
/// and 32 hex digits from the standard library's per-process random hash
/// keys.
pub(crate) fn boundary(fields: &[(&str, &str)]) -> String {
    loop {
        let mut b = String::from("cctoken-");
        for _ in 0..2 {
            let _ = write!(b, "{:016x}", random_u64());
        }
        let inside = |s: &str| find(s.as_bytes(), b.as_bytes()).is_some();
        if !fields.iter().any(|(n, v)| inside(n) || inside(v)) {
            return b;
        }
    }
}

/// A field name inside `name="…"` of a `Content-Disposition` header: `"`,
/// CR and LF percent-encoded as the HTML standard does for form data.
fn disposition_name(name: &str, out: &mut String) {
    for c in name.chars() {
        match c {
            '"' => out.push_str("%22"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
}

/// `multipart/form-data` (RFC 7578) with `boundary`: one part per field,
/// lines ending in CRLF, values as raw UTF-8.
pub(crate) fn multipart(fields: &[(&str, &str)], boundary: &str) -> String {
    let mut out = String::new();
    for (name, value) in fields {
        out.push_str("--");
        out.push_str(boundary);
        out.push_str("\r\nContent-Disposition: form-data; name=\"");
        disposition_name(name, &mut out);
        out.push_str("\"\r\n\r\n");
        out.push_str(value);
        out.push_str("\r\n");
    }
    out.push_str("--");
    out.push_str(boundary);
    out.push_str("--\r\n");
    out
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Appends base64 of `input` to `out`: with `url`, base64url without
/// padding (RFC 4648 §5, as JOSE uses it); otherwise the standard alphabet
/// with `=` padding (RFC 4648 §4).
pub(crate) fn base64_into(input: &[u8], url: bool, out: &mut String) {
    for chunk in input.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            let c = BASE64[(n >> (18 - 6 * i)) as usize & 63];
            match (i <= chunk.len(), url, c) {
                (true, true, b'+') => out.push('-'),
                (true, true, b'/') => out.push('_'),
                (true, _, c) => out.push(c as char),
                (false, false, _) => out.push('='),
                (false, true, _) => {}
            }
        }
    }
}

/// Standard base64 (RFC 4648 §4) with `=` padding.
pub(crate) fn base64(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    base64_into(input, false, &mut out);
    out
}

/// The `Authorization` value for HTTP Basic client authentication.
///
/// With `rfc6749` (RFC 6749 §2.3.1) the id and the secret are each
/// percent-encoded by [`percent_encode`] before being joined with `:`;
/// without it (plain RFC 7617) they are joined as they are.
pub(crate) fn basic(client_id: &str, client_secret: &str, rfc6749: bool) -> String {
    let mut pair = String::new();
    if rfc6749 {
        percent_encode(client_id, &mut pair);
        pair.push(':');
        percent_encode(client_secret, &mut pair);
    } else {
        pair.push_str(client_id);
        pair.push(':');
        pair.push_str(client_secret);
    }
    let header = format!("Basic {}", base64(pair.as_bytes()));
    crate::secret::zero_string(&mut pair);
    header
}

#[cfg(test)]
#[path = "encode_tests.rs"]
mod tests;
