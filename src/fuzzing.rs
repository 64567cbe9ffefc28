//! Entry points for the cargo-fuzz targets in `fuzz/`. Not part of the
//! API: compiled only with the hidden `fuzzing` feature, and may change in
//! any release.

use crate::{
    discovery, encode, jws, load, parse, Credentials, PrivateKey, Response, Result, ServerMetadata,
    Token,
};
use std::time::{Instant, SystemTime};

/// The response parser, as a transport's response reaches it.
pub fn parse_response(
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
    cap: usize,
) -> Result<Token> {
    let mut response = Response::new(status, body);
    for (name, value) in headers {
        response = response.with_header(*name, *value);
    }
    parse::token_response(
        &response,
        cap,
        (Instant::now(), SystemTime::now()),
        &crate::redact::Redactor::none(),
        None,
    )
}

/// A server metadata document checked against the issuer asked for, as
/// discovery checks a 2xx body.
pub fn parse_metadata(body: &[u8], issuer: &str) -> Result<ServerMetadata> {
    discovery::from_document(body, issuer)
}

/// The two places discovery looks for `issuer`'s metadata, after checking
/// the issuer URL.
pub fn metadata_locations(issuer: &str) -> Result<[String; 2]> {
    discovery::locations(issuer)
}

/// The `creds.json` parser (without the file and permission handling).
pub fn parse_credentials_file(text: &str, default_url: Option<&str>) -> Result<Credentials> {
    let fallback = load::Settings {
        token_url: default_url.map(|u| load::Setting::new(u.to_owned(), "the URL given")),
        ..load::Settings::default()
    };
    load::parse_json(text, "fuzz.json", None)?
        .over(fallback)
        .build(&|field| format!("`{}` is missing", field.file_member()))
}

/// The `application/x-www-form-urlencoded` encoder.
pub fn form(fields: &[(&str, &str)]) -> String {
    encode::form(fields)
}

/// The JSON encoder.
pub fn json(fields: &[(&str, &str)]) -> String {
    encode::json(fields)
}

/// A multipart boundary absent from `fields`.
pub fn boundary(fields: &[(&str, &str)]) -> String {
    encode::boundary(fields)
}

/// The multipart encoder.
pub fn multipart(fields: &[(&str, &str)], boundary: &str) -> String {
    encode::multipart(fields, boundary)
}

/// The Basic `Authorization` value.
pub fn basic(client_id: &str, client_secret: &str, rfc6749: bool) -> String {
    encode::basic(client_id, client_secret, rfc6749)
}

/// An ECDSA signature in DER as JWS `r‖s`, each half `half` bytes (32 for
/// P-256, 48 for P-384); `None` when the DER is refused.
pub fn signature_to_raw(der: &[u8], half: usize) -> Option<Vec<u8>> {
    crate::der::signature_to_raw(der, half).ok()
}

/// The canonical public JWK (RFC 7638 member order) of a DER
/// `SubjectPublicKeyInfo`; `None` when it is refused.
pub fn spki_to_jwk(der: &[u8]) -> Option<String> {
    jws::Jwk::from_spki(der)
        .ok()
        .map(|jwk| jwk.canonical_json())
}

/// Unpadded base64url.
pub fn b64url(bytes: &[u8]) -> String {
    jws::b64url(bytes)
}

/// Strict unpadded base64url decoding.
pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    jws::b64url_decode(text)
}

/// The `exp` claim of a compact JWS, unverified.
pub fn jwt_exp(jwt: &str) -> Result<u64> {
    jws::jwt_exp(jwt)
}

/// A DPoP `htu` from a request URL.
pub fn normalize_htu(url: &str) -> Result<String> {
    jws::normalize_htu(url)
}

/// The claims of a client assertion.
pub fn assertion_claims(client_id: &str, audience: &str, jti: &str, iat: u64, exp: u64) -> String {
    jws::assertion_claims(client_id, audience, jti, iat, exp)
}

/// The key's canonical public JWK.
pub fn key_jwk(key: &PrivateKey) -> String {
    key.jwk().canonical_json()
}

/// The JWS signature of `input` with `key`.
pub fn sign_jws(key: &PrivateKey, input: &[u8]) -> Result<Vec<u8>> {
    key.sign_jws(input)
}

/// A `private_key_jwt` client assertion (RFC 7523) with a 300-second
/// lifetime.
pub fn client_assertion(
    key: &PrivateKey,
    client_id: &str,
    audience: &str,
    iat: u64,
) -> Result<String> {
    jws::client_assertion(key, client_id, audience, iat, jws::MAX_ASSERTION_LIFETIME)
}

/// A DPoP proof (RFC 9449) for `method` and `url`, with `nonce` and the
/// `ath` of `access_token` when given.
pub fn dpop_proof(
    key: &PrivateKey,
    method: &str,
    url: &str,
    iat: u64,
    nonce: Option<&str>,
    access_token: Option<&str>,
) -> Result<String> {
    jws::dpop_proof(key, method, url, iat, nonce, access_token)
}

/// The key's JWK thumbprint (RFC 7638).
pub fn thumbprint(key: &PrivateKey) -> String {
    key.thumbprint().to_owned()
}

/// The current time in seconds since the epoch.
pub fn unix_now() -> Result<u64> {
    jws::unix_time(SystemTime::now())
}
