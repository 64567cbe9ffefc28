use super::*;

/// One named test per issuer: `name: issuer => [first, second]`.
macro_rules! places {
    ($($name:ident: $issuer:expr => [$first:expr, $second:expr];)*) => {
        $(#[test] fn $name() {
            assert_eq!(locations($issuer).expect("a usable issuer"), [$first.to_owned(), $second.to_owned()]);
        })*
    };
}

places! {
    no_path: "https://h.example" => [
        "https://h.example/.well-known/oauth-authorization-server",
        "https://h.example/.well-known/openid-configuration"];
    root_path: "https://h.example/" => [
        "https://h.example/.well-known/oauth-authorization-server",
        "https://h.example/.well-known/openid-configuration"];
    one_segment: "https://h.example/tenant" => [
        "https://h.example/.well-known/oauth-authorization-server/tenant",
        "https://h.example/tenant/.well-known/openid-configuration"];
    trailing_slash_dropped: "https://h.example/tenant/" => [
        "https://h.example/.well-known/oauth-authorization-server/tenant",
        "https://h.example/tenant/.well-known/openid-configuration"];
    two_segments_and_port: "https://h.example:8443/realms/x" => [
        "https://h.example:8443/.well-known/oauth-authorization-server/realms/x",
        "https://h.example:8443/realms/x/.well-known/openid-configuration"];
    scheme_case_normalised: "HTTPS://h.example/t" => [
        "https://h.example/.well-known/oauth-authorization-server/t",
        "https://h.example/t/.well-known/openid-configuration"];
    http_loopback: "http://127.0.0.1:8080/t" => [
        "http://127.0.0.1:8080/.well-known/oauth-authorization-server/t",
        "http://127.0.0.1:8080/t/.well-known/openid-configuration"];
    http_localhost: "http://localhost" => [
        "http://localhost/.well-known/oauth-authorization-server",
        "http://localhost/.well-known/openid-configuration"];
    entra_tenant: "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0" => [
        "https://login.microsoftonline.com/.well-known/oauth-authorization-server/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
        "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0/.well-known/openid-configuration"];
}

/// One named test per refused issuer: `name: issuer => text in the message`.
macro_rules! refused {
    ($($name:ident: $issuer:expr => $why:expr;)*) => {
        $(#[test] fn $name() {
            let e = locations($issuer).expect_err("refused");
            assert_eq!(e.kind(), ErrorKind::Config, "{e}");
            let shown = e.to_string();
            assert!(shown.contains($why), "{shown}");
            assert!(shown.starts_with("invalid configuration: issuer `"), "{shown}");
        })*
    };
}

refused! {
    http_remote: "http://auth.example.com" => "plain http:// to a non-loopback host";
    ftp: "ftp://auth.example.com" => "has scheme `ftp`";
    no_scheme: "auth.example.com" => "must start with https://";
    query: "https://auth.example.com/t?x=1" => "has a query";
    bare_query: "https://auth.example.com?x=1" => "has a query";
    fragment: "https://auth.example.com/#x" => "has a fragment";
    user_info: "https://user:pw@auth.example.com" => "has user info";
    no_host: "https:///t" => "has no host";
    space: "https://auth.example.com/a b" => "whitespace";
    bad_port: "https://auth.example.com:0" => "invalid port";
    placeholder_host: "https://{yourOktaDomain}/oauth2/default" => "host with characters";
    oidc_url: "https://auth.example.com/t/.well-known/openid-configuration" => "give the issuer itself (`https://auth.example.com/t`?)";
    oauth_url: "https://auth.example.com/.well-known/oauth-authorization-server/t" => "(`https://auth.example.com/t`?)";
    oauth_url_root: "https://auth.example.com/.well-known/oauth-authorization-server" => "(`https://auth.example.com`?)";
}

const ISSUER: &str = "https://auth.example.com";

fn doc(members: &str) -> String {
    format!(r#"{{"issuer":"{ISSUER}","token_endpoint":"{ISSUER}/token"{members}}}"#)
}

fn refuse(body: &str, issuer: &str) -> String {
    let e = from_document(body.as_bytes(), issuer).expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
    e.detail().to_owned()
}

#[test]
fn minimal_document() {
    let m = from_document(doc("").as_bytes(), ISSUER).unwrap();
    assert_eq!(m.issuer(), ISSUER);
    assert_eq!(m.token_endpoint(), "https://auth.example.com/token");
    assert_eq!(m.token_endpoint_auth_methods(), ["client_secret_basic"]);
    assert!(!m.auth_methods_listed());
    assert!(m.dpop_signing_algs().is_empty());
    assert!(m.token_endpoint_auth_signing_algs().is_empty());
    assert_eq!(m.token_endpoint_url(), "https://auth.example.com/token");
}

#[test]
fn lists_come_back_as_names_in_order() {
    let m = from_document(
        doc(
            r#","token_endpoint_auth_methods_supported":["private_key_jwt","client_secret_post"],
            "dpop_signing_alg_values_supported":["ES256","RS256"],
            "token_endpoint_auth_signing_alg_values_supported":["PS256"]"#,
        )
        .as_bytes(),
        ISSUER,
    )
    .unwrap();
    assert_eq!(
        m.token_endpoint_auth_methods(),
        ["private_key_jwt", "client_secret_post"]
    );
    assert!(m.auth_methods_listed());
    assert_eq!(m.dpop_signing_algs(), ["ES256", "RS256"]);
    assert_eq!(m.token_endpoint_auth_signing_algs(), ["PS256"]);
}

#[test]
fn empty_and_null_lists() {
    let m = from_document(
        doc(r#","token_endpoint_auth_methods_supported":[],"dpop_signing_alg_values_supported":null"#)
            .as_bytes(),
        ISSUER,
    )
    .unwrap();
    assert!(m.token_endpoint_auth_methods().is_empty());
    assert!(m.auth_methods_listed());
    assert!(m.dpop_signing_algs().is_empty());
    let m = from_document(
        doc(r#","token_endpoint_auth_methods_supported":null"#).as_bytes(),
        ISSUER,
    )
    .unwrap();
    assert_eq!(m.token_endpoint_auth_methods(), ["client_secret_basic"]);
    assert!(!m.auth_methods_listed());
}

#[test]
fn token_endpoint_normalised_form_is_kept_for_credentials() {
    let body =
        r#"{"issuer":"https://auth.example.com","token_endpoint":"HTTPS://Auth.example.com?x=1"}"#;
    let m = from_document(body.as_bytes(), ISSUER).unwrap();
    assert_eq!(m.token_endpoint(), "HTTPS://Auth.example.com?x=1");
    assert_eq!(m.token_endpoint_url(), "https://Auth.example.com/?x=1");
}

#[test]
fn loopback_token_endpoint_may_be_http() {
    for te in [
        "http://127.0.0.1:8080/token",
        "http://127.7.7.7/token",
        "http://localhost/token",
        "http://[::1]:9/token",
    ] {
        let body = format!(r#"{{"issuer":"{ISSUER}","token_endpoint":"{te}"}}"#);
        let m = from_document(body.as_bytes(), ISSUER).unwrap_or_else(|e| panic!("{te}: {e}"));
        assert_eq!(m.token_endpoint_url(), te);
    }
}

/// One named test per refused document: `name: extra members => text`.
macro_rules! bad_documents {
    ($($name:ident: $body:expr => $why:expr;)*) => {
        $(#[test] fn $name() {
            let body = $body;
            let why = refuse(AsRef::<str>::as_ref(&body), ISSUER);
            assert!(why.contains($why), "{why}");
        })*
    };
}

bad_documents! {
    empty: "" => "the document is empty";
    not_json: "<html>" => "not valid JSON";
    array: "[]" => "not a JSON object";
    duplicate: doc(r#","token_endpoint":"https://attacker.example/token""#) => "duplicate member names";
    no_issuer: r#"{"token_endpoint":"https://auth.example.com/token"}"# => "no `issuer` member";
    null_issuer: r#"{"issuer":null,"token_endpoint":"https://auth.example.com/token"}"# => "no `issuer` member";
    issuer_array: r#"{"issuer":["https://auth.example.com"]}"# => "`issuer` is not a string";
    no_token_endpoint: format!(r#"{{"issuer":"{ISSUER}"}}"#) => "no `token_endpoint` member";
    token_endpoint_array: format!(r#"{{"issuer":"{ISSUER}","token_endpoint":["{ISSUER}/token"]}}"#) => "`token_endpoint` is not a string";
    token_endpoint_number: format!(r#"{{"issuer":"{ISSUER}","token_endpoint":1}}"#) => "`token_endpoint` is not a string";
    token_endpoint_http: format!(r#"{{"issuer":"{ISSUER}","token_endpoint":"http://auth.example.com/token"}}"#) => "`token_endpoint` `http://auth.example.com/token` is plain http:// to a non-loopback host";
    token_endpoint_relative: format!(r#"{{"issuer":"{ISSUER}","token_endpoint":"/token"}}"#) => "`token_endpoint` `/token` must start with https://";
    token_endpoint_fragment: format!(r#"{{"issuer":"{ISSUER}","token_endpoint":"{ISSUER}/t#f"}}"#) => "must not have a fragment";
    token_endpoint_crlf: format!(r#"{{"issuer":"{ISSUER}","token_endpoint":"{ISSUER}/t\r\nX: y"}}"#) => "`token_endpoint` `https://auth.example.com/t\\r\\nX: y` contains whitespace";
    methods_string: doc(r#","token_endpoint_auth_methods_supported":"client_secret_post client_secret_basic""#) => "`token_endpoint_auth_methods_supported` is a string, not an array of strings";
    methods_number_inside: doc(r#","token_endpoint_auth_methods_supported":["client_secret_post",1]"#) => "`token_endpoint_auth_methods_supported` is not an array of strings";
    methods_object: doc(r#","token_endpoint_auth_methods_supported":{"a":1}"#) => "`token_endpoint_auth_methods_supported` is not an array of strings";
    methods_with_space: doc(r#","token_endpoint_auth_methods_supported":["client_secret_basic private_key_jwt"]"#) => "`token_endpoint_auth_methods_supported` holds an empty name or a name with a space";
    methods_empty_name: doc(r#","token_endpoint_auth_methods_supported":[""]"#) => "holds an empty name";
    dpop_string: doc(r#","dpop_signing_alg_values_supported":"ES256""#) => "`dpop_signing_alg_values_supported` is a string";
    signing_algs_bool: doc(r#","token_endpoint_auth_signing_alg_values_supported":true"#) => "`token_endpoint_auth_signing_alg_values_supported` is not an array";
}

/// One named test per issuer that differs from the one asked for.
macro_rules! mismatches {
    ($($name:ident: $found:expr, $asked:expr => $hint:expr;)*) => {
        $(#[test] fn $name() {
            let body = format!(r#"{{"issuer":"{}","token_endpoint":"https://a.example/token"}}"#, $found);
            let why = refuse(&body, $asked);
            assert!(why.contains(&format!("`issuer` is `{}`, not the issuer asked for, `{}`", $found, $asked)), "{why}");
            assert!(why.contains($hint), "{why}");
        })*
    };
}

mismatches! {
    issuer_trailing_slash_added: "https://accounts.google.com/", "https://accounts.google.com" => "trailing slash";
    issuer_trailing_slash_dropped: "https://dev.us.auth0.com", "https://dev.us.auth0.com/" => "trailing slash";
    host_case: "https://Auth.example.com", "https://auth.example.com" => "letter case";
    scheme: "http://auth.example.com", "https://auth.example.com" => "scheme";
    other_host: "https://login.salesforce.com", "https://api.salesforce.com" => "RFC 8414 §3.3";
    entra_placeholder: "https://login.microsoftonline.com/{tenantid}/v2.0", "https://login.microsoftonline.com/common/v2.0" => "<tenant-id>/v2.0";
}

#[test]
fn issuer_is_quoted_escaped_and_short() {
    let long = format!("https://a.example/{}\\r\\n", "x".repeat(5000));
    let body = format!(r#"{{"issuer":"{long}","token_endpoint":"https://a.example/t"}}"#);
    let why = refuse(&body, ISSUER);
    assert!(why.len() < 1000, "{}", why.len());
    assert!(!why.contains('\r') && !why.contains('\n'), "{why}");
}

#[test]
fn extras_are_scalars_other_than_the_known_members() {
    let m = from_document(
        doc(r#","n":7,"f":1.5,"b":false,"s":"x","nul":null,"arr":["a"],"obj":{"k":"v"}"#)
            .as_bytes(),
        ISSUER,
    )
    .unwrap();
    assert_eq!(m.extra("n"), Some("7"));
    assert_eq!(m.extra("f"), Some("1.5"));
    assert_eq!(m.extra("b"), Some("false"));
    assert_eq!(m.extra("s"), Some("x"));
    for absent in ["nul", "arr", "obj", "issuer", "token_endpoint", "missing"] {
        assert_eq!(m.extra(absent), None, "{absent}");
    }
}

#[test]
fn bom_is_tolerated() {
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(doc("").as_bytes());
    from_document(&body, ISSUER).unwrap();
}

#[test]
fn non_utf8_is_refused() {
    let mut body = doc("").into_bytes();
    body.insert(2, 0xff);
    assert!(refuse_bytes(&body).contains("not valid UTF-8"));
}

fn refuse_bytes(body: &[u8]) -> String {
    let e = from_document(body, ISSUER).expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    e.detail().to_owned()
}

#[test]
fn debug_shows_what_was_kept() {
    let m = from_document(
        doc(r#","jwks_uri":"https://auth.example.com/jwks""#).as_bytes(),
        ISSUER,
    )
    .unwrap();
    let shown = format!("{m:?}");
    for part in [
        "issuer: \"https://auth.example.com\"",
        "token_endpoint: \"https://auth.example.com/token\"",
        "[\"client_secret_basic\"]",
        "extras: [\"jwks_uri\"]",
    ] {
        assert!(shown.contains(part), "{part} in {shown}");
    }
}

#[test]
fn not_here_statuses() {
    for s in [400, 401, 403, 404, 405, 406, 410, 451, 499] {
        assert!(not_here(s), "{s}");
    }
    for s in [200, 204, 301, 302, 399, 408, 429, 500, 503, 599] {
        assert!(!not_here(s), "{s}");
    }
}
