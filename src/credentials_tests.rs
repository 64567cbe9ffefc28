use super::*;
use crate::ErrorKind;

fn url_err(url: &str) -> String {
    let e = Credentials::new(url, "id", "secret").expect_err(url);
    assert_eq!(e.kind(), ErrorKind::Config, "{url}");
    e.to_string()
}

#[test]
fn bad_urls_are_config_errors_naming_the_problem() {
    assert!(url_err("auth.example.com/token").contains("https://"));
    assert!(url_err("ftp://auth.example.com/token").contains("ftp"));
    assert!(url_err("https:///token").contains("no host"));
    assert!(url_err("https://host:0/").contains("port"));
    assert!(url_err("https://host:99999/").contains("port"));
    assert!(url_err("https://host:x/").contains("port"));
    assert!(url_err("https://host:/").contains("port"));
    assert!(url_err("https://user:pw@host/").contains("user info"));
    assert!(url_err("https://host/token#frag").contains("fragment"));
    assert!(url_err("https://ho st/").contains("whitespace"));
    assert!(url_err("https://hôst/").contains("xn--"));
    assert!(url_err("https://[::1/").contains("IPv6"));
    assert!(url_err("https://[nope]/").contains("IPv6"));
}

#[test]
fn good_urls_parse() {
    for url in [
        "https://auth.example.com/oauth/token",
        "HTTPS://auth.example.com",
        "https://auth.example.com:8443/t?x=1",
        "http://127.0.0.1:8080/token",
        "http://[::1]:8080/token",
        "http://localhost/token",
    ] {
        Credentials::new(url, "id", "s").unwrap_or_else(|e| panic!("{url}: {e}"));
    }
    let c = Credentials::new("HTTPS://a.example/t", "id", "s").unwrap();
    assert_eq!(c.token_url(), "https://a.example/t");
}

#[test]
fn http_policy() {
    let ok = |u: &str| Credentials::new(u, "id", "s").unwrap().validate();
    assert!(ok("http://127.0.0.1/t").is_ok());
    assert!(ok("http://127.9.9.9/t").is_ok());
    assert!(ok("http://LOCALHOST:1/t").is_ok());
    assert!(ok("http://[::1]/t").is_ok());
    let e = ok("http://auth.example.com/t").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("auth.example.com"), "{e}");
    assert!(ok("http://10.0.0.1/t").is_err());
    assert!(ok("http://128.0.0.1/t").is_err());
    let allowed = Credentials::new("http://auth.example.com/t", "id", "s")
        .unwrap()
        .dangerous_allow_http();
    assert!(allowed.validate().is_ok());
}

#[test]
fn empty_id_or_secret() {
    let e = Credentials::new("https://a/t", "", "s").unwrap_err();
    assert!(e.to_string().contains("client id is empty"));
    let e = Credentials::new("https://a/t", "id", "").unwrap_err();
    assert!(e.to_string().contains("client secret is empty"));
}

#[test]
fn reserved_params_are_refused() {
    for name in [
        "grant_type",
        "client_id",
        "client_secret",
        "scope",
        "client_assertion",
        "client_assertion_type",
    ] {
        let c = Credentials::new("https://a/t", "id", "s")
            .unwrap()
            .with_param(name, "x");
        let e = c.validate().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.to_string().contains(name), "{e}");
    }
}

/// Review finding: a refused parameter was kept, and `Debug` prints
/// parameter values: `with_param("client_secret", …)` given by mistake
/// showed the secret.
#[test]
fn refused_params_are_not_kept_for_debug() {
    let c = Credentials::new("https://a/t", "id", "s")
        .unwrap()
        .with_param("client_secret", "hunter2hunter2")
        .with_param("bad name", "hunter3hunter3")
        .with_param("audience", "https://api");
    let shown = format!("{c:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("hunter3"),
        "{shown}"
    );
    assert!(shown.contains("https://api"), "{shown}");
    assert!(c.validate().is_err());
}

#[test]
fn zero_limits_are_refused() {
    let c = || Credentials::new("https://a/t", "id", "s").unwrap();
    assert!(c().with_timeout(Duration::ZERO).validate().is_err());
    assert!(c().with_max_response_bytes(0).validate().is_err());
}

#[test]
fn basic_unencoded_refuses_colon_in_id() {
    let c = Credentials::new("https://a/t", "a:b", "s")
        .unwrap()
        .with_auth(ClientAuth::BasicUnencoded);
    assert!(c.validate().unwrap_err().to_string().contains(':'));
    assert!(c.with_auth(ClientAuth::Basic).validate().is_ok());
}

#[test]
fn scope_appends() {
    let c = Credentials::new("https://a/t", "id", "s")
        .unwrap()
        .with_scope("read")
        .with_scope(" write ");
    assert_eq!(c.scope(), Some("read write"));
}

#[test]
fn request_form_body_auth() {
    let c = Credentials::new("https://a/t", "my id", "p&ss")
        .unwrap()
        .with_scope("x y")
        .with_param("audience", "https://api");
    let r = c.request(std::time::SystemTime::now()).unwrap().0;
    assert_eq!(
        std::str::from_utf8(r.body()).unwrap(),
        "grant_type=client_credentials&client_id=my%20id&client_secret=p%26ss&scope=x%20y&audience=https%3A%2F%2Fapi"
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(r.header("accept"), Some("application/json"));
    assert_eq!(r.header("user-agent"), Some(USER_AGENT));
    assert_eq!(r.header("authorization"), None);
}

#[test]
fn request_basic_keeps_credentials_out_of_body() {
    let c = Credentials::new("https://a/t", "id", "pw")
        .unwrap()
        .with_auth(ClientAuth::Basic)
        .with_encoding(Encoding::Json);
    let r = c.request(std::time::SystemTime::now()).unwrap().0;
    assert_eq!(
        std::str::from_utf8(r.body()).unwrap(),
        r#"{"grant_type":"client_credentials"}"#
    );
    assert_eq!(r.header("authorization"), Some("Basic aWQ6cHc="));
}

#[test]
fn request_multipart_content_type_carries_boundary() {
    let c = Credentials::new("https://a/t", "id", "pw")
        .unwrap()
        .with_encoding(Encoding::Multipart);
    let r = c.request(std::time::SystemTime::now()).unwrap().0;
    let ct = r.header("content-type").unwrap();
    let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
    let body = std::str::from_utf8(r.body()).unwrap();
    assert!(body.starts_with(&format!("--{boundary}\r\n")));
    assert!(body.ends_with(&format!("--{boundary}--\r\n")));
}

#[test]
fn debug_hides_secret() {
    let c = Credentials::new("https://a/t", "id", "hunter2").unwrap();
    let d = format!("{c:?}");
    assert!(!d.contains("hunter2"), "{d}");
    let d = format!("{:?}", c.request(std::time::SystemTime::now()).unwrap().0);
    assert!(!d.contains("hunter2"), "{d}");
    let d = format!(
        "{:?}",
        c.with_auth(ClientAuth::Basic)
            .request(std::time::SystemTime::now())
            .unwrap()
            .0
    );
    assert!(!d.contains(&crate::encode::base64(b"id:hunter2")), "{d}");
}

#[test]
fn param_names_follow_rfc6749_8_2() {
    let c = || Credentials::new("https://a/t", "id", "s").unwrap();
    assert!(c()
        .with_param("audience", "x")
        .with_param("a-b.c_1", "y")
        .validate()
        .is_ok());
    for bad in ["", "a b", "a\"b", "a\r\nb", "é", "a=b", "a%b"] {
        let e = c().with_param(bad, "x").validate().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{bad:?}");
        assert!(e.to_string().contains("RFC 6749 §8.2"), "{e}");
    }
}
