//! Compact JWS (RFC 7515) and what goes into one here: base64url, the
//! public JWK of a key and its thumbprint (RFC 7517, RFC 7638), the client
//! assertions of RFC 7523 (`private_key_jwt`, `client_secret_jwt`) and DPoP
//! proofs (RFC 9449). JSON is written by hand with
//! [`crate::encode::json_string`]. Nothing here reads the
//! clock: times are parameters, in seconds since the Unix epoch.

use crate::crypto;
use crate::der::{self, PublicKey};
use crate::encode::json_string;
use crate::error::{Error, ErrorKind, Result};
use crate::key::PrivateKey;
use crate::parse::Member;
use miniserde::json::Number;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The longest lifetime of a client assertion: `exp` is at most this long
/// after `iat` (the design's rule; RFC 7523 §3 leaves it to the server).
pub(crate) const MAX_ASSERTION_LIFETIME: Duration = Duration::from_secs(300);

/// The shortest secret `client_secret_jwt` signs with: 256 bits, the size
/// of the HS256 hash (RFC 7518 §3.2).
pub(crate) const MIN_HS256_SECRET: usize = 32;

/// `client_assertion_type` for both JWT client authentication methods
/// (RFC 7523 §2.2).
pub(crate) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Appends base64url of `bytes` without padding (RFC 7515 §2, RFC 4648 §5).
pub(crate) fn b64url_into(bytes: &[u8], out: &mut String) {
    crate::encode::base64_into(bytes, true, out);
}

/// base64url of `bytes` without padding.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    b64url_into(bytes, &mut out);
    out
}

/// Decodes unpadded base64url, strictly: no padding, no whitespace, no
/// characters outside the alphabet, no length of 1 mod 4, and unused
/// trailing bits zero (so every byte string has exactly one encoding).
/// `None` when `text` is not such an encoding.
pub(crate) fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for chunk in text.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            let v = B64URL.iter().position(|&a| a == c)? as u32;
            n |= v << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        let keep = chunk.len() * 6 / 8;
        // The bits below the last whole byte must be zero.
        if n & (0xff_ffff >> (8 * keep)) != 0 {
            return None;
        }
        out.extend_from_slice(&bytes[1..1 + keep]);
    }
    Some(out)
}

/// Seconds since the Unix epoch, for `iat`.
///
/// # Errors
///
/// [`ErrorKind::Config`] when the clock is before 1970.
pub(crate) fn unix_time(time: SystemTime) -> Result<u64> {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| Error::config("the system clock is before 1970"))
}

/// A public key as a JWK (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2): only the
/// public members, base64url-encoded. There is no way to put a private
/// member in one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Jwk {
    /// `kty` `EC`: `crv` is `P-256` or `P-384`.
    Ec {
        crv: &'static str,
        x: String,
        y: String,
    },
    /// `kty` `RSA`.
    Rsa { n: String, e: String },
    /// `kty` `OKP`, `crv` `Ed25519`.
    Ed25519 { x: String },
}

impl Jwk {
    /// The JWK of a DER `SubjectPublicKeyInfo`.
    pub(crate) fn from_spki(spki: &[u8]) -> std::result::Result<Jwk, &'static str> {
        Ok(match der::parse_spki(spki)? {
            PublicKey::Ec { p384, x, y } => Jwk::Ec {
                crv: if p384 { "P-384" } else { "P-256" },
                x: b64url(x),
                y: b64url(y),
            },
            PublicKey::Rsa { n, e } => Jwk::Rsa {
                n: b64url(n),
                e: b64url(e),
            },
            PublicKey::Ed25519 { x } => Jwk::Ed25519 { x: b64url(x) },
        })
    }

    /// The required members in lexicographic order, without whitespace:
    /// the form RFC 7638 §3.2 hashes, also used in DPoP headers.
    pub(crate) fn canonical_json(&self) -> String {
        let mut out = String::from("{");
        let mut member = |name: &str, value: &str| {
            if out.len() > 1 {
                out.push(',');
            }
            json_string(name, &mut out);
            out.push(':');
            json_string(value, &mut out);
        };
        match self {
            Jwk::Ec { crv, x, y } => {
                member("crv", crv);
                member("kty", "EC");
                member("x", x);
                member("y", y);
            }
            Jwk::Rsa { n, e } => {
                member("e", e);
                member("kty", "RSA");
                member("n", n);
            }
            Jwk::Ed25519 { x } => {
                member("crv", "Ed25519");
                member("kty", "OKP");
                member("x", x);
            }
        }
        out.push('}');
        out
    }

    /// The JWK thumbprint (RFC 7638 §3): base64url of the SHA-256 of
    /// [`canonical_json`](Jwk::canonical_json).
    pub(crate) fn thumbprint(&self) -> Result<String> {
        Ok(b64url(&crypto::sha256(self.canonical_json().as_bytes())?))
    }
}

/// Makes a JWS signature over the signing input.
pub(crate) trait JwsSigner {
    /// The signature of `input` (RFC 7515 §5.1 step 5), in the form JWS
    /// uses (for ECDSA: `r‖s`, RFC 7518 §3.4).
    fn sign(&self, input: &[u8]) -> Result<Vec<u8>>;
}

impl JwsSigner for PrivateKey {
    fn sign(&self, input: &[u8]) -> Result<Vec<u8>> {
        self.sign_jws(input)
    }
}

/// HS256: HMAC-SHA256 with a shared key (RFC 7518 §3.2). Does not check
/// the key length: [`client_secret_assertion`] does.
pub(crate) struct Hs256<'a>(pub(crate) &'a [u8]);

impl JwsSigner for Hs256<'_> {
    fn sign(&self, input: &[u8]) -> Result<Vec<u8>> {
        Ok(crypto::hmac_sha256(self.0, input)?.to_vec())
    }
}

/// The compact serialisation (RFC 7515 §7.1) of `claims_json` signed under
/// `header_json`, both used byte for byte as given.
///
/// # Errors
///
/// The signer's.
pub(crate) fn sign_compact(
    header_json: &str,
    claims_json: &str,
    signer: &dyn JwsSigner,
) -> Result<String> {
    let mut out = b64url(header_json.as_bytes());
    out.push('.');
    b64url_into(claims_json.as_bytes(), &mut out);
    let signature = signer.sign(out.as_bytes())?;
    out.push('.');
    b64url_into(&signature, &mut out);
    Ok(out)
}

/// A fresh `jti`: 128 bits from the provider's secure random generator,
/// base64url-encoded (22 characters).
pub(crate) fn new_jti() -> Result<String> {
    Ok(b64url(&crypto::random::<16>()?))
}

/// The claims of a client assertion (RFC 7523 §3): `iss` = `sub` = the
/// client id, one `aud`, `jti`, `iat`, `exp`.
pub(crate) fn assertion_claims(
    client_id: &str,
    audience: &str,
    jti: &str,
    iat: u64,
    exp: u64,
) -> String {
    let mut out = String::from("{\"iss\":");
    json_string(client_id, &mut out);
    out.push_str(",\"sub\":");
    json_string(client_id, &mut out);
    out.push_str(",\"aud\":");
    json_string(audience, &mut out);
    out.push_str(",\"jti\":");
    json_string(jti, &mut out);
    let _ = write!(out, ",\"iat\":{iat},\"exp\":{exp}}}");
    out
}

/// `iat` + `lifetime`, checked: a lifetime of zero or above
/// [`MAX_ASSERTION_LIFETIME`] is a configuration error.
fn expiry(iat: u64, lifetime: Duration) -> Result<u64> {
    let secs = lifetime.as_secs();
    if secs == 0 || lifetime > MAX_ASSERTION_LIFETIME {
        return Err(Error::config(format!(
            "a client assertion lifetime must be between 1 and {} seconds",
            MAX_ASSERTION_LIFETIME.as_secs()
        )));
    }
    iat.checked_add(secs)
        .ok_or_else(|| Error::config("assertion expiry overflows"))
}

/// A `private_key_jwt` client assertion (RFC 7523 §2.2, §3; OpenID Connect
/// Core §9): header `alg`, `typ` `JWT`, `kid` when the key has one; claims
/// as [`assertion_claims`] with a fresh `jti` and `exp` = `iat` +
/// `lifetime`.
///
/// # Errors
///
/// [`ErrorKind::Config`]: a lifetime of zero or over five minutes, or the
/// provider failing to sign.
pub(crate) fn client_assertion(
    key: &PrivateKey,
    client_id: &str,
    audience: &str,
    iat: u64,
    lifetime: Duration,
) -> Result<String> {
    let exp = expiry(iat, lifetime)?;
    let mut header = String::from("{\"alg\":");
    json_string(key.algorithm(), &mut header);
    header.push_str(",\"typ\":\"JWT\"");
    if let Some(kid) = key.key_id() {
        header.push_str(",\"kid\":");
        json_string(kid, &mut header);
    }
    header.push('}');
    let claims = assertion_claims(client_id, audience, &new_jti()?, iat, exp);
    sign_compact(&header, &claims, key)
}

/// A `client_secret_jwt` client assertion: as [`client_assertion`], signed
/// HS256 with the client secret.
///
/// # Errors
///
/// [`ErrorKind::Config`]: a secret shorter than 32 bytes (RFC 7518 §3.2:
/// the key must be at least as long as the hash), a bad lifetime, or the
/// provider failing.
pub(crate) fn client_secret_assertion(
    secret: &[u8],
    client_id: &str,
    audience: &str,
    iat: u64,
    lifetime: Duration,
) -> Result<String> {
    if secret.len() < MIN_HS256_SECRET {
        return Err(Error::config(format!(
            "client_secret_jwt needs a client secret of at least {MIN_HS256_SECRET} bytes \
             (RFC 7518 §3.2); this one is shorter"
        )));
    }
    let exp = expiry(iat, lifetime)?;
    let claims = assertion_claims(client_id, audience, &new_jti()?, iat, exp);
    sign_compact(r#"{"alg":"HS256","typ":"JWT"}"#, &claims, &Hs256(secret))
}

/// `htu` for a request URL (RFC 9449 §4.2, §4.3 step 9): query and
/// fragment dropped, scheme and host lower-cased, the scheme's default port
/// and an empty port removed, an empty path written `/` (RFC 3986 §6.2.2,
/// §6.2.3). Percent-encodings and dot segments are left as they are.
///
/// # Errors
///
/// [`ErrorKind::Config`]: not an `http` or `https` URL, a host that is
/// neither a bracketed IP literal nor an ASCII registered name (RFC 3986
/// §3.2.2; IDNs in their `xn--` form), a bad port, user information,
/// spaces or control characters.
pub(crate) fn normalize_htu(url: &str) -> Result<String> {
    let bad = |why: &str| Error::config(format!("cannot make a DPoP `htu` of this URL: {why}"));
    if url.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(bad("it contains spaces or control characters"));
    }
    let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("no scheme"))?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return Err(bad("not an http or https URL")),
    };
    let rest = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.contains('@') {
        return Err(bad("it contains user information"));
    }
    // RFC 3986 §3.2.2: an IP literal in brackets, or a registered name.
    let (host, port) = if let Some(inside) = authority.strip_prefix('[') {
        let (literal, after) = inside.split_once(']').ok_or_else(|| bad("bad host"))?;
        let ok = |b: u8| b.is_ascii_alphanumeric() || b":.%-_~".contains(&b);
        if literal.is_empty() || !literal.bytes().all(ok) {
            return Err(bad("bad host"));
        }
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => return Err(bad("bad host")),
        };
        (&authority[..literal.len() + 2], port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let ok = |b: u8| b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(&b);
        if !host.bytes().all(ok) {
            return Err(bad("bad host"));
        }
        (host, port)
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    let mut out = scheme;
    out.push_str("://");
    out.push_str(&host.to_ascii_lowercase());
    if let Some(port) = port.filter(|p| !p.is_empty()) {
        let number = port
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| port.parse::<u16>().ok())
            .flatten()
            .ok_or_else(|| bad("bad port"))?;
        if number != default_port {
            let _ = write!(out, ":{number}");
        }
    }
    out.push_str(if path.is_empty() { "/" } else { path });
    Ok(out)
}

/// `ath`: base64url of the SHA-256 of the access token (RFC 9449 §4.2).
pub(crate) fn ath(access_token: &str) -> Result<String> {
    Ok(b64url(&crypto::sha256(access_token.as_bytes())?))
}

/// A DPoP proof (RFC 9449 §4.2): header `typ` `dpop+jwt`, `alg`, and the
/// public `jwk`; claims `jti`, `htm`, `htu` (normalised by
/// [`normalize_htu`]), `iat`, then `nonce` when the server gave one and
/// `ath` when the proof goes with an access token.
///
/// # Errors
///
/// [`ErrorKind::Config`]: a method that is not an HTTP token, a URL
/// [`normalize_htu`] refuses, or the provider failing.
pub(crate) fn dpop_proof(
    key: &PrivateKey,
    method: &str,
    url: &str,
    iat: u64,
    nonce: Option<&str>,
    access_token: Option<&str>,
) -> Result<String> {
    // RFC 9110 §5.6.2 token characters.
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if method.is_empty() || !method.bytes().all(tchar) {
        return Err(Error::config("the HTTP method is not a valid token"));
    }
    let mut header = String::from("{\"typ\":\"dpop+jwt\",\"alg\":");
    json_string(key.algorithm(), &mut header);
    header.push_str(",\"jwk\":");
    header.push_str(&key.jwk().canonical_json());
    header.push('}');
    let mut claims = String::from("{\"jti\":");
    json_string(&new_jti()?, &mut claims);
    claims.push_str(",\"htm\":");
    json_string(method, &mut claims);
    claims.push_str(",\"htu\":");
    json_string(&normalize_htu(url)?, &mut claims);
    let _ = write!(claims, ",\"iat\":{iat}");
    if let Some(nonce) = nonce {
        claims.push_str(",\"nonce\":");
        json_string(nonce, &mut claims);
    }
    if let Some(token) = access_token {
        claims.push_str(",\"ath\":");
        json_string(&ath(token)?, &mut claims);
    }
    claims.push('}');
    sign_compact(&header, &claims, key)
}

/// The `exp` claim of a compact JWS (a client assertion made by another
/// tool), in seconds since the epoch, without verifying anything: cctoken
/// only needs to know when to stop sending it. A fractional `exp` is
/// floored.
///
/// # Errors
///
/// [`ErrorKind::Credentials`]: not three base64url parts, a payload that is
/// not a JSON object, no `exp`, or an `exp` that is not a non-negative
/// number. The messages never quote the JWT.
pub(crate) fn jwt_exp(jwt: &str) -> Result<u64> {
    let bad = |why: &str| Error::new(ErrorKind::Credentials, format!("client assertion: {why}"));
    let jwt = jwt.trim_end_matches(['\r', '\n']);
    let mut parts = jwt.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(
            "not a compact JWS (three base64url parts separated by dots)",
        ));
    };
    let payload = b64url_decode(payload).ok_or_else(|| bad("the payload is not base64url"))?;
    let claims = crate::parse::json_object(&payload, "the payload");
    crate::secret::zero_bytes(payload);
    let claims = claims.map_err(|why| bad(&why))?;
    match claims.get("exp") {
        None | Some(Member::Null) => Err(bad("no `exp` claim")),
        Some(Member::Number(Number::U64(n))) => Ok(*n),
        Some(Member::Number(Number::I64(n))) if *n >= 0 => Ok(*n as u64),
        Some(Member::Number(Number::F64(f))) if *f >= 0.0 => Ok(*f as u64),
        Some(Member::Number(_)) => Err(bad("`exp` is negative")),
        Some(_) => Err(bad("`exp` is not a number")),
    }
}

#[cfg(test)]
#[path = "jws_tests.rs"]
mod tests;
