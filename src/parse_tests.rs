use super::*;

fn now() -> (Instant, SystemTime) {
    (Instant::now(), SystemTime::now())
}

fn parse(status: u16, body: &str) -> Result<Token> {
    token_response(
        &Response::new(status, body),
        64 * 1024,
        now(),
        &Redactor::none(),
        None,
    )
}

fn respond(r: &Response, cap: usize) -> Result<Token> {
    token_response(r, cap, now(), &Redactor::none(), None)
}

fn kind(status: u16, body: &str) -> ErrorKind {
    parse(status, body).expect_err("should fail").kind()
}

/// One named test per rejected body: `name: status, body => kind`.
macro_rules! rejects {
    ($($name:ident: $status:expr, $body:expr => $kind:ident;)*) => {
        $(#[test] fn $name() { assert_eq!(kind($status, $body), ErrorKind::$kind); })*
    };
}

rejects! {
    empty_200: 200, "" => InvalidResponse;
    not_json_200: 200, "access_token=abc" => InvalidResponse;
    json_array_200: 200, r#"["abc"]"# => InvalidResponse;
    no_access_token: 200, r#"{"token_type":"Bearer"}"# => InvalidResponse;
    empty_access_token: 200, r#"{"access_token":""}"# => InvalidResponse;
    numeric_access_token: 200, r#"{"access_token":12}"# => InvalidResponse;
    token_with_space: 200, r#"{"access_token":"a b"}"# => InvalidResponse;
    token_with_crlf: 200, r#"{"access_token":"a\r\nX: 1"}"# => InvalidResponse;
    token_non_ascii: 200, r#"{"access_token":"tök"}"# => InvalidResponse;
    token_nul: 200, r#"{"access_token":"a\u0000b"}"# => InvalidResponse;
    token_type_mac: 200, r#"{"access_token":"a","token_type":"mac"}"# => InvalidResponse;
    token_type_dpop: 200, r#"{"access_token":"a","token_type":"DPoP"}"# => InvalidResponse;
    token_type_number: 200, r#"{"access_token":"a","token_type":1}"# => InvalidResponse;
    expires_negative: 200, r#"{"access_token":"a","expires_in":-1}"# => InvalidResponse;
    expires_negative_float: 200, r#"{"access_token":"a","expires_in":-0.5}"# => InvalidResponse;
    expires_word: 200, r#"{"access_token":"a","expires_in":"soon"}"# => InvalidResponse;
    expires_signed_string: 200, r#"{"access_token":"a","expires_in":"+60"}"# => InvalidResponse;
    expires_empty_string: 200, r#"{"access_token":"a","expires_in":""}"# => InvalidResponse;
    expires_bool: 200, r#"{"access_token":"a","expires_in":true}"# => InvalidResponse;
    scope_number: 200, r#"{"access_token":"a","scope":3}"# => InvalidResponse;
    scope_array_mixed: 200, r#"{"access_token":"a","scope":["a",1]}"# => InvalidResponse;
    duplicate_access_token: 200, r#"{"access_token":"a","access_token":"b"}"# => InvalidResponse;
    trailing_garbage: 200, r#"{"access_token":"a"} x"# => InvalidResponse;
    error_200_is_oauth: 200, r#"{"error":"incorrect_client_credentials"}"# => OAuth;
    error_400: 400, r#"{"error":"invalid_client"}"# => OAuth;
    error_non_string_500: 500, r#"{"error":{"code":1}}"# => Http;
    error_non_string_200: 200, r#"{"error":true}"# => InvalidResponse;
    html_502: 502, "<html>bad gateway</html>" => Http;
    json_without_error_500: 500, r#"{"message":"down"}"# => Http;
    token_with_500_is_http: 500, r#"{"access_token":"a"}"# => Http;
    redirect_302: 302, "" => Redirect;
    redirect_308: 308, "" => Redirect;
    not_modified_304: 304, "" => Http;
    informational_100: 100, "" => Http;
    no_content_204: 204, "" => InvalidResponse;
}

#[test]
fn minimal_token_defaults_to_bearer_unknown_lifetime() {
    let t = parse(200, r#"{"access_token":"abc"}"#).unwrap();
    assert_eq!(t.access_token(), "abc");
    assert_eq!(t.token_type(), "Bearer");
    assert_eq!(t.lifetime(), None);
    assert_eq!(t.scope(), None);
}

#[test]
fn lowercase_bearer_accepted() {
    assert!(parse(200, r#"{"access_token":"a","token_type":"bearer"}"#).is_ok());
}

#[test]
fn expires_in_forms() {
    let life = |v: &str| {
        parse(200, &format!(r#"{{"access_token":"a","expires_in":{v}}}"#))
            .unwrap()
            .lifetime()
    };
    assert_eq!(life("3600"), Some(Duration::from_secs(3600)));
    assert_eq!(life("\"3599\""), Some(Duration::from_secs(3599)));
    assert_eq!(life("59.9"), Some(Duration::from_secs(59)));
    assert_eq!(life("0"), Some(Duration::ZERO));
    assert_eq!(life("null"), None);
    assert_eq!(life("31536000000"), Some(MAX_LIFETIME));
    assert_eq!(life("1e300"), Some(MAX_LIFETIME));
    assert_eq!(
        life(&format!("\"{}\"", "9".repeat(400))),
        Some(MAX_LIFETIME)
    );
    // miniserde refuses a number beyond f64's range: a clean error.
    let e = parse(
        200,
        &format!(
            r#"{{"access_token":"a","expires_in":{}}}"#,
            "9".repeat(10_000)
        ),
    );
    assert_eq!(e.unwrap_err().kind(), ErrorKind::InvalidResponse);
}

#[test]
fn scope_array_joined_and_empty_is_none() {
    let t = parse(200, r#"{"access_token":"a","scope":["read","write"]}"#).unwrap();
    assert_eq!(t.scope(), Some("read write"));
    let t = parse(200, r#"{"access_token":"a","scope":""}"#).unwrap();
    assert_eq!(t.scope(), None);
}

#[test]
fn extras_are_scalars_and_never_secrets() {
    let body = r#"{"access_token":"a","created_at":1601480215,"expires_on":"1388452167",
        "ok":true,"nested":{"x":1},"list":[1],"nothing":null,"refresh_token":"r","id_token":"i"}"#;
    let t = parse(200, body).unwrap();
    assert_eq!(t.extra("created_at"), Some("1601480215"));
    assert_eq!(t.extra("expires_on"), Some("1388452167"));
    assert_eq!(t.extra("ok"), Some("true"));
    for absent in [
        "nested",
        "list",
        "nothing",
        "refresh_token",
        "id_token",
        "access_token",
    ] {
        assert_eq!(t.extra(absent), None, "{absent}");
    }
}

#[test]
fn bom_is_tolerated() {
    let t = parse(200, "\u{feff}{\"access_token\":\"a\"}").unwrap();
    assert_eq!(t.access_token(), "a");
}

#[test]
fn non_utf8_body_is_invalid() {
    let r = Response::new(200, b"{\"access_token\":\"\xff\"}".to_vec());
    let e = respond(&r, 1024).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert!(e.to_string().contains("UTF-8"), "{e}");
}

#[test]
fn duplicates_nested_are_not_top_level() {
    // Same name at different depths, and ':' inside strings, are fine.
    let body = r#"{"access_token":"a:b","x":{"access_token":"c","y":"d:e"}}"#;
    assert_eq!(parse(200, body).unwrap().access_token(), "a:b");
}

#[test]
fn duplicate_other_member_is_invalid() {
    let e = parse(200, r#"{"access_token":"a","scope":"x","scope":"y"}"#).unwrap_err();
    assert!(e.to_string().contains("duplicate"), "{e}");
}

#[test]
fn body_over_cap_is_too_large() {
    let r = Response::new(200, vec![b' '; 11]);
    let e = respond(&r, 10).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResponseTooLarge);
}

#[test]
fn oauth_error_fields_and_retry_after() {
    let r = Response::new(
        503,
        r#"{"error":"temporarily_unavailable","error_description":"try\r\nlater","error_uri":"/x"}"#,
    )
    .with_header("Retry-After", "7");
    let e = respond(&r, 1024).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth);
    assert_eq!(e.status(), Some(503));
    assert_eq!(e.oauth_error(), Some("temporarily_unavailable"));
    assert_eq!(e.oauth_error_description(), Some("try\\r\\nlater"));
    assert_eq!(e.oauth_error_uri(), Some("/x"));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    assert!(e.is_transient());
}

#[test]
fn html_excerpt_is_short_and_escaped() {
    let body = format!("<html>\r\n{}</html>", "x".repeat(5000));
    let e = parse(502, &body).unwrap_err();
    let shown = e.to_string();
    assert!(shown.contains("<html>\\r\\n"), "{shown}");
    assert!(shown.len() < 300, "{}", shown.len());
    assert_eq!(e.status(), Some(502));
}

#[test]
fn redirect_names_location() {
    let r = Response::new(302, "").with_header("Location", "https://elsewhere/token");
    let e = respond(&r, 1024).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Redirect);
    assert!(e.to_string().contains("https://elsewhere/token"), "{e}");
}

/// A redirect whose `Location` carries a token (an implicit-flow style
/// `#access_token=…`) is not quoted: the token was issued to this client
/// and no redactor knows it.
#[test]
fn redirect_with_a_token_in_its_location_is_not_quoted() {
    let r = Response::new(302, "").with_header(
        "Location",
        "https://app.example/cb#access_token=tok-Zq8xL2mN5vB7&token_type=Bearer",
    );
    let e = respond(&r, 1024).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Redirect);
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains("tok-Zq8xL2mN5vB7"), "{shown}");
    assert!(shown.contains("carries an `access_token`"), "{shown}");
}

fn retry_after(value: &str) -> Option<Duration> {
    // 2015-10-21 07:27:00 UTC, a minute before the dates below.
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_420);
    super::retry_after(value, None, now)
}

#[test]
fn retry_after_delay_seconds() {
    assert_eq!(retry_after("60"), Some(Duration::from_secs(60)));
    assert_eq!(retry_after(" 2 "), Some(Duration::from_secs(2)));
    assert_eq!(retry_after("-1"), None);
    assert_eq!(retry_after(""), None);
    assert_eq!(retry_after("1.5"), None);
    assert_eq!(
        retry_after("99999999999999999999999"),
        Some(Duration::from_secs(u64::MAX))
    );
}

/// Item 7 of issue 11: all three HTTP-date forms of RFC 9110 §5.6.7.
#[test]
fn retry_after_http_date_forms() {
    let minute = Some(Duration::from_secs(60));
    assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), minute);
    assert_eq!(retry_after("Wednesday, 21-Oct-15 07:28:00 GMT"), minute);
    assert_eq!(retry_after("Wed Oct 21 07:28:00 2015"), minute);
    // In the past: no wait.
    assert_eq!(
        retry_after("Wed, 21 Oct 2015 07:00:00 GMT"),
        Some(Duration::ZERO)
    );
    for bad in [
        "Wed, 21 Oct 2015 07:28:00 PST",
        "Wed, 32 Oct 2015 07:28:00 GMT",
        "Wed, 21 Foo 2015 07:28:00 GMT",
        "Wed, 21 Oct 2015 24:28:00 GMT",
        "Wed, 21 Oct 1969 07:28:00 GMT",
        "tomorrow",
        "Wed, 21 Oct 2015 07:28:00 GMT extra",
    ] {
        assert_eq!(retry_after(bad), None, "{bad}");
    }
}

#[test]
fn http_date_known_values() {
    assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
    assert_eq!(
        http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
        Some(784_111_777)
    );
    assert_eq!(
        http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
        Some(784_111_777)
    );
    assert_eq!(http_date("Sun Nov  6 08:49:37 1994"), Some(784_111_777));
    assert_eq!(
        http_date("Tue, 29 Feb 2028 12:00:00 GMT"),
        Some(1_835_438_400)
    );
}

#[test]
fn retry_after_date_counts_from_the_date_header() {
    // The local clock is a day off; the server's own Date header is used.
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_420 + 86_400);
    assert_eq!(
        super::retry_after(
            "Wed, 21 Oct 2015 07:28:00 GMT",
            Some("Wed, 21 Oct 2015 07:27:30 GMT"),
            now
        ),
        Some(Duration::from_secs(30))
    );
}

#[test]
fn retry_after_on_too_large_and_oauth_bodies_of_any_status() {
    let r = Response::new(429, vec![b'x'; 20]).with_header("Retry-After", "3");
    let e = respond(&r, 10).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResponseTooLarge);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
    assert!(e.is_transient());
    let r = Response::new(429, r#"{"error":"too_many_requests"}"#).with_header("Retry-After", "4");
    let e = respond(&r, 1024).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(4)));
    assert!(
        e.is_transient(),
        "a 429 is transient whatever the body says"
    );
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let body = format!(
        r#"{{"access_token":"a","x":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let e = respond(&Response::new(200, body), 1 << 20).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
}

#[test]
fn lone_surrogate_escape_does_not_panic() {
    // Whatever miniserde makes of it, the result is a clean error or a
    // token whose value went through the printable-ASCII check.
    let r = parse(200, r#"{"access_token":"a\ud800b"}"#);
    if let Ok(t) = r {
        assert!(t.access_token().bytes().all(|b| (0x21..=0x7e).contains(&b)));
    }
}

#[test]
fn shape_counts_depth_and_members() {
    let s = shape(r#"{}"#);
    assert_eq!((s.depth, s.members), (1, 0));
    let s = shape(r#"{"a":1,"b":"x:y\":[{"}"#);
    assert_eq!((s.depth, s.members), (1, 2));
    let s = shape(r#"{"a":{"b":1,"c":[{"d":2}]},"e":3}"#);
    assert_eq!((s.depth, s.members), (4, 2));
}

#[test]
fn nesting_limit() {
    let nested = |n: usize| {
        format!(
            r#"{{"access_token":"a","x":{}{}}}"#,
            "[".repeat(n - 1),
            "]".repeat(n - 1)
        )
    };
    assert!(parse(200, &nested(MAX_DEPTH)).is_ok());
    let e = parse(200, &nested(MAX_DEPTH + 1)).unwrap_err();
    assert!(e.to_string().contains("nested deeper"), "{e}");
}

#[test]
fn member_limit() {
    let body = |n: usize| {
        let mut b = String::from(r#"{"access_token":"a""#);
        for i in 1..n {
            b.push_str(&format!(r#","m{i}":0"#));
        }
        b.push('}');
        b
    };
    assert!(parse(200, &body(MAX_MEMBERS)).is_ok());
    let e = parse(200, &body(MAX_MEMBERS + 1)).unwrap_err();
    assert!(e.to_string().contains("more than 256 members"), "{e}");
}

#[test]
fn nested_values_are_skipped_not_kept() {
    let t = parse(
        200,
        r#"{"access_token":"a","details":[{"type":"x","n":[1,2]}],"scope":["a","b"]}"#,
    )
    .unwrap();
    assert_eq!(t.extra("details"), None);
    assert_eq!(t.scope(), Some("a b"));
}
