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
    /// The secrets.
    secrets: Vec<Vec<u8>>,
    /// Other values that carry a secret (Basic credentials).
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
        self.quote
            .then(|| sanitize(&self.redact_upto(text, max.saturating_add(1)), max))
    }

    /// `text` with every secret redacted, in any of the forms above, even
    /// when quoting is off (for an OAuth error code).
    pub(crate) fn redact(&self, text: &str) -> String {
        self.redact_upto(text, usize::MAX)
    }

    /// The first `limit` characters of [`redact`](Redactor::redact)'s
    /// result: the scan stops there, so an excerpt costs its own length,
    /// not the body's (a match that starts inside is still followed to its
    /// end).
    fn redact_upto(&self, text: &str, limit: usize) -> String {
        let bytes = text.as_bytes();
        let reader = Reader {
            text: bytes,
            budget: std::cell::Cell::new(WORK),
        };
        let needles: Vec<&[u8]> = self
            .secrets
            .iter()
            .map(Vec::as_slice)
            .chain(self.literals.iter().map(|l| l.as_bytes()))
            .collect();
        let mut out = Vec::with_capacity(bytes.len().min(limit.saturating_mul(4)));
        let (mut i, mut chars) = (0, 0);
        'scan: while i < bytes.len() && chars < limit {
            for needle in &needles {
                if let Some(end) = reader.match_at(i, needle) {
                    out.extend_from_slice(REDACTED.as_bytes());
                    chars += REDACTED.len();
                    i = end;
                    continue 'scan;
                }
            }
            // Count characters, not bytes: a UTF-8 continuation byte
            // (0b10xxxxxx) does not start one.
            if bytes[i] & 0xc0 != 0x80 {
                chars += 1;
            }
            out.push(bytes[i]);
            i += 1;
        }
        // Finish the character the limit fell in.
        while i < bytes.len() && bytes[i] & 0xc0 == 0x80 {
            out.push(bytes[i]);
            i += 1;
        }
        // A redaction may end inside a multi-byte character of the text.
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// Escapes decoded within escapes, at most: a form-encoded body echoed
/// percent-encoded (`%253D`), JSON inside JSON (`\\\\`), and one more.
const DEPTH: usize = 3;
/// Nested decodings tried per text before only single escapes are (a
/// hostile text of nothing but `%` would otherwise cost 12³ per byte).
const WORK: u32 = 1 << 20;

/// One decoded byte sequence of the text (at most 4 bytes: one UTF-8
/// character), and where in the text it ends.
type Unit = ([u8; 4], usize, usize);

/// Reads a text at any depth of escaping, byte position by position.
struct Reader<'a> {
    text: &'a [u8],
    budget: std::cell::Cell<u32>,
}

impl Reader<'_> {
    /// The first unit of the text from `i` decoded `depth` times.
    fn unit(&self, i: usize, depth: usize) -> Option<Unit> {
        let first = *self.text.get(i)?;
        let raw = ([first, 0, 0, 0], 1, i + 1);
        // Only `%`, `+`, `\` and `&` start an escape, at any depth.
        if depth == 0 || !matches!(first, b'%' | b'+' | b'\\' | b'&') {
            return Some(raw);
        }
        if depth > 1 {
            let left = self.budget.get();
            if left == 0 {
                return self.unit(i, 1);
            }
            self.budget.set(left - 1);
        }
        // Enough of the stream one level less decoded for one escape.
        let (mut bytes, mut ends, mut m, mut at) = ([0u8; 16], [0usize; 16], 0, i);
        while m < 12 {
            let Some((b, n, end)) = self.unit(at, depth - 1) else {
                break;
            };
            for &byte in &b[..n] {
                bytes[m] = byte;
                ends[m] = end;
                m += 1;
            }
            at = end;
        }
        let mut out = [0u8; 4];
        match decode(&bytes[..m], 0, &mut out) {
            Some((n, used)) => Some((out, n, ends[used - 1])),
            None => self.unit(i, depth - 1),
        }
    }

    /// The distinct readings of the text at `i` (as it is, and decoded up
    /// to [`DEPTH`] times) that the needle's bytes from `k` begin with.
    fn readings(&self, i: usize, needle: &[u8], k: usize) -> Vec<(usize, usize)> {
        let mut found: Vec<(usize, usize)> = Vec::new();
        for depth in 0..=DEPTH {
            if let Some((b, n, end)) = self.unit(i, depth) {
                if needle[k..].starts_with(&b[..n]) && !found.contains(&(n, end)) {
                    found.push((n, end));
                }
            }
        }
        found
    }

    /// Where a match of `needle` starting at `start` ends, reading each of
    /// its bytes from the text as it is or as an escape (nested up to
    /// [`DEPTH`]) decoding to it, in any combination: a depth-first search
    /// that remembers dead ends, so it costs at most the text's length times
    /// the needle's. A text that ends after 4 bytes of the needle matched
    /// (an echo cut short) counts as a match.
    fn match_at(&self, start: usize, needle: &[u8]) -> Option<usize> {
        // Frames: position in the text, in the needle, and the readings
        // left to try there.
        let mut stack = vec![(start, 0, self.readings(start, needle, 0))];
        let mut dead: Vec<(usize, usize)> = Vec::new();
        while let Some((i, k, choices)) = stack.last_mut() {
            let (i, k) = (*i, *k);
            let Some((n, end)) = choices.pop() else {
                dead.push((i, k));
                stack.pop();
                continue;
            };
            let (k, i) = (k + n, end);
            if k == needle.len() {
                return Some(i);
            }
            if i >= self.text.len() {
                if k >= 4 {
                    return Some(i);
                }
                continue;
            }
            if !dead.contains(&(i, k)) {
                let next = self.readings(i, needle, k);
                stack.push((i, k, next));
            }
        }
        None
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
