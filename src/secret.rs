//! `Secret`: a string that never prints and is zeroed when dropped.

use std::fmt;

/// A client secret or an access token.
///
/// `Debug` prints `[redacted]`; there is no `Display`. On drop the bytes are
/// overwritten with zeros (best effort: copies the allocator made while the
/// string grew, and copies made by other crates, are out of reach).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: String) -> Secret {
        Secret(value)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        zero_string(&mut self.0);
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Overwrites a string's bytes with zeros, without `unsafe`.
pub(crate) fn zero_string(s: &mut String) {
    zero_bytes(std::mem::take(s).into_bytes());
}

/// Overwrites a buffer with zeros before it is freed.
pub(crate) fn zero_bytes(mut bytes: Vec<u8>) {
    bytes.iter_mut().for_each(|b| *b = 0);
    // Keep the writes from being optimised away as dead stores.
    std::hint::black_box(&bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new("hunter2".into());
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn zero_string_empties() {
        let mut s = String::from("hunter2");
        zero_string(&mut s);
        assert!(s.is_empty());
    }
}
