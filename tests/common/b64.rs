//! Base64 for the tests, written here so that what the tests check does
//! not go through the crate's own encoder.

const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode(bytes: &[u8], table: &[u8; 64], pad: bool) -> String {
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(table[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 with `+/` and padding (RFC 4648 §4).
pub fn std(bytes: &[u8]) -> String {
    encode(bytes, STD, true)
}

/// Base64url without padding (RFC 4648 §5, as JOSE uses it).
pub fn url(bytes: &[u8]) -> String {
    encode(bytes, URL, false)
}

/// Decodes either alphabet, padded or not; panics on any other character.
pub fn decode(text: &str) -> Vec<u8> {
    let (mut acc, mut bits, mut out) = (0u32, 0, Vec::new());
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = STD
            .iter()
            .position(|t| *t == c)
            .or_else(|| URL.iter().position(|t| *t == c))
            .unwrap_or_else(|| panic!("not base64: {text:?}")) as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
