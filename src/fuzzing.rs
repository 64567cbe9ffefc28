//! Entry points for the cargo-fuzz targets in `fuzz/`. Not part of the
//! API: compiled only with the hidden `fuzzing` feature, and may change in
//! any release.

use crate::{discovery, encode, load, parse, Credentials, Response, Result, ServerMetadata, Token};
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
    load::parse_json(text, "fuzz.json")?
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
