//! Keeping secrets out of what cctoken quotes from a server.
//!
//! A server may echo the request — body, headers — into an error
//! description or an error page. Before any server text goes into an
//! [`Error`](crate::Error), every secret of the request is replaced by
//! `[redacted]` in the *whole* text, then the text is escaped and cut to an
//! excerpt (so a cut cannot leave half a secret). A secret is recognised in
//! the forms a server echoes it: as it is, percent-encoded (hex in either
//! case, a space as `+` or `%20`), JSON-escaped (`\"`, `\/`, `\u00XX`, …),
//! HTML-escaped (`&amp;`, `&#43;`, …), any mix of these and up to four
//! layers deep (a form-encoded body echoed percent-encoded again), and
//! inside an echoed `Authorization: Basic` value. An echo cut short at the
//! end of the text is caught once 4 bytes of the secret are there.
//!
//! How: the text and each secret are both decoded — every escape at once,
//! again and again, up to four times — and every layer of the text is
//! searched for every layer of the secret; a decoded byte remembers the
//! span of the original text it came from, and those spans are redacted.
//! Decoding both sides the same way is what makes mixes work (a secret
//! whose own `%49` stays as it is in an echo that escaped its `\` twice
//! decodes to the same bytes as the echo), and searching every layer keeps
//! an escape that ends just past the secret (its trailing `\` before an
//! echo's closing quote) from hiding it.
//!
//! A secret shorter than [`MIN_QUOTED`] bytes would match ordinary words:
//! with one, no server text is quoted at all, only the status and the
//! OAuth error code when it is a registered one or has that shape and holds
//! no form of the secret ([`Redactor::code`]).

use crate::error::sanitize;

/// Secrets shorter than this (in bytes) turn quoting of server text off.
pub(crate) const MIN_QUOTED: usize = 8;

const REDACTED: &str = "[redacted]";
/// Shown in place of server text when quoting is off.
pub(crate) const WITHHELD: &str = "[withheld: short secret]";

/// OAuth error codes registered with IANA for the token endpoint and
/// bearer or DPoP use (RFC 6749 §5.2, RFC 6750 §3.1, RFC 8707, RFC 9449),
/// and the rate-limit codes vendors send (Auth0's `too_many_requests`).
const REGISTERED: [&str; 17] = [
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "server_error",
    "temporarily_unavailable",
    "invalid_token",
    "insufficient_scope",
    "invalid_target",
    "invalid_dpop_proof",
    "use_dpop_nonce",
    "too_many_requests",
    "slow_down",
    "unsupported_token_type",
];

/// Times a text is decoded, at most.
const LAYERS: usize = 4;

/// The secrets of one request, and whether server text may be quoted.
pub(crate) struct Redactor {
    /// Every layer of each secret and of each value that carries one
    /// (Basic credentials): as it is, decoded once, twice, ….
    needles: Vec<Vec<Vec<u8>>>,
    quote: bool,
}

impl Redactor {
    /// Nothing to hide (a request without secrets, such as discovery).
    pub(crate) fn none() -> Redactor {
        Redactor {
            needles: Vec::new(),
            quote: true,
        }
    }

    /// Adds a secret; one shorter than [`MIN_QUOTED`] bytes turns quoting off.
    pub(crate) fn secret(mut self, secret: &str) -> Redactor {
        if secret.len() < MIN_QUOTED {
            self.quote = false;
        }
        self.literal(secret)
    }

    /// Adds a value that carries a secret (a Basic credential), without
    /// the length rule.
    pub(crate) fn literal(mut self, value: &str) -> Redactor {
        if !value.is_empty() {
            self.needles.push(layers(value.as_bytes()));
        }
        self
    }

    /// Whether server text may be quoted.
    pub(crate) fn quotes(&self) -> bool {
        self.quote
    }

    /// `text` from a server, for an error: secrets redacted, control
    /// characters escaped, cut to `max` characters; [`WITHHELD`] when no
    /// server text may be quoted.
    pub(crate) fn quote(&self, text: &str, max: usize) -> String {
        if !self.quote {
            return WITHHELD.to_owned();
        }
        sanitize(&self.redact(text), max)
    }

    /// An OAuth error code from a server, for an error. With quoting on:
    /// redacted and sanitised as any server text. With quoting off (a
    /// short secret, which would match ordinary words): a registered code
    /// as it is, even if the secret happens to be part of it (`in` of
    /// `invalid_client`: a fixed word leaks nothing, and callers match on
    /// it); another code of the same shape (lower-case ASCII letters,
    /// digits and `_`, at most 64) as it is when it holds no form of the
    /// secret; anything else [`WITHHELD`].
    pub(crate) fn code(&self, code: &str, max: usize) -> String {
        if self.quote {
            return sanitize(&self.redact(code), max);
        }
        let shaped = (1..=64).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if REGISTERED.contains(&code) || (shaped && self.redact(code) == code) {
            code.to_owned()
        } else {
            WITHHELD.to_owned()
        }
    }

    /// `text` with every secret redacted, in any of the forms above.
    ///
    /// Every layer of the text (as it is, decoded once, twice, …) is
    /// searched for every layer of each secret: an escape that ends just
    /// after a secret (its trailing `\\` before an echo's closing `"`, its
    /// trailing `%4` before a `1`) then still leaves the secret whole in
    /// one of them.
    pub(crate) fn redact(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        if self.needles.is_empty() {
            return text.to_owned();
        }
        // A text of 4 GiB or more (a transport configured without a cap):
        // nothing of it is shown.
        let Some(mut view) = View::new(bytes) else {
            return REDACTED.to_owned();
        };
        let mut hidden = vec![false; bytes.len()];
        for layer in 0..=LAYERS {
            for needle in self.needles.iter().flatten() {
                view.hide(needle, &mut hidden);
            }
            if layer == LAYERS {
                break;
            }
            match view.decoded() {
                Some(next) => crate::secret::zero_bytes(std::mem::replace(&mut view, next).bytes),
                None => break,
            }
        }
        crate::secret::zero_bytes(view.bytes);
        let mut out = Vec::with_capacity(bytes.len());
        for (i, &b) in bytes.iter().enumerate() {
            if !hidden[i] {
                out.push(b);
            } else if i == 0 || !hidden[i - 1] {
                out.extend_from_slice(REDACTED.as_bytes());
            }
        }
        // A redaction may end inside a multi-byte character of the text.
        String::from_utf8_lossy(&out).into_owned()
    }
}

impl Drop for Redactor {
    fn drop(&mut self) {
        for needle in self.needles.drain(..).flatten() {
            crate::secret::zero_bytes(needle);
        }
    }
}

/// A text, decoded some number of times: its bytes, and for each byte the
/// span of the original text it stands for (offsets fit `u32`: texts are
/// capped far below 4 GiB, and [`View::new`] refuses a longer one).
struct View {
    bytes: Vec<u8>,
    spans: Vec<(u32, u32)>,
}

impl View {
    /// `text` undecoded, each byte standing for itself; `None` when its
    /// offsets do not fit `u32` (4 GiB or more).
    fn new(text: &[u8]) -> Option<View> {
        let len = u32::try_from(text.len()).ok()?;
        Some(View {
            bytes: text.to_vec(),
            spans: (0..len).map(|i| (i, i + 1)).collect(),
        })
    }

    /// Marks in `hidden` the original text under every occurrence of
    /// `needle`, whole, or — at the very end, once 4 bytes of it are
    /// there — cut short (an echo the server truncated).
    fn hide(&self, needle: &[u8], hidden: &mut [bool]) {
        let mut i = 0;
        while i < self.bytes.len() {
            let rest = &self.bytes[i..];
            let end = if rest.starts_with(needle) {
                i + needle.len()
            } else if rest.len() >= 4 && needle.starts_with(rest) {
                self.bytes.len()
            } else {
                i += 1;
                continue;
            };
            let (from, to) = (self.spans[i].0 as usize, self.spans[end - 1].1 as usize);
            hidden[from..to].fill(true);
            i = end;
        }
    }

    /// The view with every escape decoded once, or `None` when it has none.
    fn decoded(&self) -> Option<View> {
        let mut next = View {
            bytes: Vec::with_capacity(self.bytes.len()),
            spans: Vec::with_capacity(self.bytes.len()),
        };
        let (mut i, mut any) = (0, false);
        let mut buf = [0u8; 4];
        while i < self.bytes.len() {
            let (n, used) = match decode(&self.bytes, i, &mut buf) {
                Some(d) => {
                    any = true;
                    d
                }
                None => {
                    buf[0] = self.bytes[i];
                    (1, 1)
                }
            };
            let span = (self.spans[i].0, self.spans[i + used - 1].1);
            for &b in &buf[..n] {
                next.bytes.push(b);
                next.spans.push(span);
            }
            i += used;
        }
        if any {
            Some(next)
        } else {
            crate::secret::zero_bytes(next.bytes);
            None
        }
    }
}

/// Every layer of `value` (as it is, decoded once, twice, … up to
/// [`LAYERS`] times), without repeats.
fn layers(value: &[u8]) -> Vec<Vec<u8>> {
    let Some(mut view) = View::new(value) else {
        return vec![value.to_vec()];
    };
    let mut out = vec![view.bytes.clone()];
    for _ in 0..LAYERS {
        match view.decoded() {
            Some(next) => {
                crate::secret::zero_bytes(std::mem::replace(&mut view, next).bytes);
                if !view.bytes.is_empty() && !out.contains(&view.bytes) {
                    out.push(view.bytes.clone());
                }
            }
            None => break,
        }
    }
    crate::secret::zero_bytes(view.bytes);
    out
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
    let (c, used) = match text[i] {
        b'%' => (hex(1, 2)?, 3),
        b'+' => (u32::from(b' '), 1),
        b'\\' => match at(1)? {
            b'u' => {
                let unit = hex(2, 4)?;
                if (0xd800..0xdc00).contains(&unit) && at(6)? == b'\\' && at(7)? == b'u' {
                    let low = hex(8, 4)?.checked_sub(0xdc00)?;
                    (0x10000 + ((unit - 0xd800) << 10) + low, 12)
                } else {
                    (unit, 6)
                }
            }
            b @ (b'"' | b'\\' | b'/') => (u32::from(b), 2),
            b'b' => (8, 2),
            b'f' => (12, 2),
            b'n' => (10, 2),
            b'r' => (13, 2),
            b't' => (9, 2),
            _ => return None,
        },
        b'&' => {
            let end = text[i..].iter().take(12).position(|&b| b == b';')?;
            let c = match &text[i + 1..i + end] {
                b"amp" => u32::from(b'&'),
                b"quot" => u32::from(b'"'),
                b"apos" => u32::from(b'\''),
                b"lt" => u32::from(b'<'),
                b"gt" => u32::from(b'>'),
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
            (c, end + 1)
        }
        _ => return None,
    };
    // `%XX` is a byte (percent-encoding is of UTF-8 bytes); the others are
    // characters.
    if text[i] == b'%' {
        out[0] = c as u8;
        return Some((1, used));
    }
    code_point(c, used, out)
}

#[cfg(test)]
#[path = "redact_tests.rs"]
mod tests;
