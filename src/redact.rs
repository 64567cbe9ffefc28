//! Keeping secrets out of what cctoken quotes from a server.
//!
//! A server may echo the request — body, headers — into an error
//! description or an error page. Before any server text goes into an
//! [`Error`](crate::Error), every secret of the request is replaced by
//! `[redacted]` in the *whole* text, then the text is escaped and cut to an
//! excerpt (so a cut cannot leave half a secret). A secret is recognised in
//! the forms a server echoes it: as it is, percent-encoded (hex in either
//! case, a space as `+` or `%20`), JSON-escaped (`\"`, `\/`, `\u00XX`, …),
//! HTML-escaped (`&amp;`, `&#43;`, …) — any mix of these, byte by byte —
//! and inside an echoed `Authorization: Basic` value. An echo cut short at
//! the end of the text is caught once 4 bytes of the secret are there.
//!
//! A secret shorter than [`MIN_QUOTED`] bytes would match ordinary words:
//! with one, no server text is quoted at all, only the status and the
//! OAuth error code (itself redacted).

use crate::error::sanitize;

/// Secrets shorter than this (in bytes) turn quoting of server text off.
pub(crate) const MIN_QUOTED: usize = 8;

const REDACTED: &str = "[redacted]";

/// The secrets of one request, and whether server text may be quoted.
pub(crate) struct Redactor {
    /// Matched with every encoding.
    secrets: Vec<Vec<u8>>,
    /// Matched as they are (Basic header values).
    literals: Vec<String>,
    quote: bool,
}

impl Redactor {
    /// Nothing to hide (a request without secrets, such as discovery).
    pub(crate) fn none() -> Redactor {
        Redactor {
            secrets: Vec::new(),
            literals: Vec::new(),
            quote: true,
        }
    }

    /// Adds a secret; one shorter than [`MIN_QUOTED`] bytes turns quoting off.
    pub(crate) fn secret(mut self, secret: &str) -> Redactor {
        if secret.len() < MIN_QUOTED {
            self.quote = false;
        }
        if !secret.is_empty() {
            // As it is, first: the byte-by-byte decoding below reads an
            // escape in preference to a raw `%`, `+`, `\` or `&`.
            self.literals.push(secret.to_owned());
            self.secrets.push(secret.as_bytes().to_vec());
        }
        self
    }

    /// Adds a value matched only as it is (a Basic credential).
    pub(crate) fn literal(mut self, value: &str) -> Redactor {
        if !value.is_empty() {
            self.literals.push(value.to_owned());
        }
        self
    }

    /// Whether server text may be quoted.
    pub(crate) fn quotes(&self) -> bool {
        self.quote
    }

    /// `text` from a server, for an error: secrets redacted, control
    /// characters escaped, cut to `max` characters. `None` when no server
    /// text may be quoted.
    pub(crate) fn quote(&self, text: &str, max: usize) -> Option<String> {
        self.quote.then(|| sanitize(&self.redact(text), max))
    }

    /// `text` with every secret redacted, in any of the forms above, even
    /// when quoting is off (for an OAuth error code).
    pub(crate) fn redact(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        'scan: while i < bytes.len() {
            for literal in &self.literals {
                if bytes[i..].starts_with(literal.as_bytes()) {
                    out.extend_from_slice(REDACTED.as_bytes());
                    i += literal.len();
                    continue 'scan;
                }
            }
            for secret in &self.secrets {
                if let Some(end) = match_at(bytes, i, secret) {
                    out.extend_from_slice(REDACTED.as_bytes());
                    i = end;
                    continue 'scan;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        // A redaction may end inside a multi-byte character of the text.
        String::from_utf8_lossy(&out).into_owned()
    }
}

impl Drop for Redactor {
    fn drop(&mut self) {
        for secret in self.secrets.drain(..) {
            crate::secret::zero_bytes(secret);
        }
        for literal in &mut self.literals {
            crate::secret::zero_string(literal);
        }
    }
}

/// Where a match of `secret` starting at `text[start]` ends, reading each
/// of the secret's bytes from the text as it is or as an escape decoding
/// to it. A text that ends after 4 bytes of the secret matched (an echo
/// cut short) counts as a match.
fn match_at(text: &[u8], start: usize, secret: &[u8]) -> Option<usize> {
    let (mut i, mut k) = (start, 0);
    let mut buf = [0u8; 4];
    while k < secret.len() {
        if i >= text.len() {
            return (k >= 4).then_some(i);
        }
        // An escape that decodes to the secret's next bytes, else the byte
        // as it is (a secret may itself contain `%`, `+`, `\` or `&`).
        match decode(text, i, &mut buf) {
            Some((n, used)) if secret[k..].starts_with(&buf[..n]) => {
                k += n;
                i += used;
            }
            _ if text[i] == secret[k] => {
                k += 1;
                i += 1;
            }
            _ => return None,
        }
    }
    Some(i)
}

fn hex_digit(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

/// The bytes the escape at `text[i]` stands for, in `out`: how many, and
/// how many bytes of text the escape takes.
fn decode(text: &[u8], i: usize, out: &mut [u8; 4]) -> Option<(usize, usize)> {
    let at = |j: usize| text.get(i + j).copied();
    let hex = |from: usize, len: usize| -> Option<u32> {
        let digits = text.get(i + from..i + from + len)?;
        digits
            .iter()
            .try_fold(0u32, |acc, &b| Some(acc * 16 + hex_digit(b)?))
    };
    let code_point = |c: u32, used: usize, out: &mut [u8; 4]| {
        let c = char::from_u32(c)?;
        Some((c.encode_utf8(out).len(), used))
    };
    match text[i] {
        b'%' => {
            out[0] = hex(1, 2)? as u8;
            Some((1, 3))
        }
        b'+' => {
            out[0] = b' ';
            Some((1, 1))
        }
        b'\\' => {
            let simple = match at(1)? {
                b'"' => b'"',
                b'\\' => b'\\',
                b'/' => b'/',
                b'b' => 8,
                b'f' => 12,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'u' => {
                    let unit = hex(2, 4)?;
                    if (0xd800..0xdc00).contains(&unit) && at(6)? == b'\\' && at(7)? == b'u' {
                        let low = hex(8, 4)?;
                        let c = 0x10000 + ((unit - 0xd800) << 10) + low.checked_sub(0xdc00)?;
                        return code_point(c, 12, out);
                    }
                    return code_point(unit, 6, out);
                }
                _ => return None,
            };
            out[0] = simple;
            Some((1, 2))
        }
        b'&' => {
            let end = text[i..].iter().take(12).position(|&b| b == b';')?;
            let entity = &text[i + 1..i + end];
            let c = match entity {
                b"amp" => '&' as u32,
                b"quot" => '"' as u32,
                b"apos" => '\'' as u32,
                b"lt" => '<' as u32,
                b"gt" => '>' as u32,
                [b'#', b'x' | b'X', digits @ ..] if !digits.is_empty() => {
                    digits.iter().try_fold(0u32, |acc, &b| {
                        acc.checked_mul(16)?.checked_add(hex_digit(b)?)
                    })?
                }
                [b'#', digits @ ..] if !digits.is_empty() => {
                    digits.iter().try_fold(0u32, |acc, &b| {
                        acc.checked_mul(10)?.checked_add((b as char).to_digit(10)?)
                    })?
                }
                _ => return None,
            };
            code_point(c, end + 1, out)
        }
        _ => None,
    }
}

#[cfg(test)]
#[path = "redact_tests.rs"]
mod tests;
