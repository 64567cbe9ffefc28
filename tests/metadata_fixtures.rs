//! Every document of `tests/fixtures/metadata/` (published RFC 8414 and
//! OpenID Connect Discovery documents, and hostile mutations of them; see
//! its README) through discovery, one named test per file: served by a
//! closure transport at the location the vendor serves it from, checked
//! against the file as an independent parser (serde_json) reads it, and
//! against the values its README lists.

use cctoken::{ErrorKind, Request, Response, ServerMetadata};
use std::sync::Mutex;

const OAUTH: &str = "/.well-known/oauth-authorization-server";
const OIDC: &str = "/.well-known/openid-configuration";

/// Which well-known location serves the document (the other answers 404).
#[derive(Clone, Copy)]
enum At {
    /// RFC 8414 §3.1: `https://host/.well-known/oauth-authorization-server/path`.
    Oauth,
    /// OpenID Connect Discovery: `https://host/path/.well-known/openid-configuration`.
    Oidc,
}

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/metadata/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Discovers `issuer` over a transport that serves `body` at `at` and 404
/// elsewhere; returns the result and the URLs requested.
fn discover(issuer: &str, body: &str, at: At) -> (cctoken::Result<ServerMetadata>, Vec<String>) {
    let (origin, path) = match issuer.splitn(4, '/').collect::<Vec<_>>()[..] {
        [scheme, "", host] => (format!("{scheme}//{host}"), String::new()),
        [scheme, "", host, ""] => (format!("{scheme}//{host}"), String::new()),
        [scheme, "", host, path] => (
            format!("{scheme}//{host}"),
            format!("/{}", path.trim_end_matches('/')),
        ),
        _ => panic!("issuer {issuer}"),
    };
    let served = match at {
        At::Oauth => format!("{origin}{OAUTH}{path}"),
        At::Oidc => format!("{origin}{path}{OIDC}"),
    };
    let requested = Mutex::new(Vec::new());
    let result = ServerMetadata::discover_with(issuer, &|r: &Request| {
        assert_eq!(r.method(), "GET");
        assert!(r.body().is_empty());
        requested.lock().unwrap().push(r.url().to_owned());
        Ok(if r.url() == served {
            Response::new(200, body).with_header("Content-Type", "application/json")
        } else {
            Response::new(404, "Not Found")
        })
    });
    (result, requested.into_inner().unwrap())
}

/// The string array `name` of `json`, or `None`.
fn names(json: &serde_json::Value, name: &str) -> Option<Vec<String>> {
    json.get(name).map(|v| {
        v.as_array()
            .unwrap_or_else(|| panic!("{name} is an array"))
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    })
}

/// What a real document must give.
struct Want<'a> {
    issuer: &'a str,
    at: At,
    methods: &'a [&'a str],
    signing: &'a [&'a str],
    dpop: &'a [&'a str],
}

/// Discovers `want.issuer` from `body` and checks every getter against
/// `want` and against serde_json's reading of `body`.
fn accepts(body: &str, want: Want<'_>) -> ServerMetadata {
    let (result, requested) = discover(want.issuer, body, want.at);
    let m = result.unwrap_or_else(|e| panic!("{}: {e}", want.issuer));
    assert_eq!(
        requested.len(),
        match want.at {
            At::Oauth => 1,
            At::Oidc => 2,
        }
    );
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(m.issuer(), want.issuer);
    assert_eq!(m.issuer(), json["issuer"].as_str().unwrap());
    assert_eq!(m.token_endpoint(), json["token_endpoint"].as_str().unwrap());
    assert_eq!(m.token_endpoint_auth_methods(), want.methods);
    let listed = names(&json, "token_endpoint_auth_methods_supported")
        .unwrap_or_else(|| vec!["client_secret_basic".to_owned()]);
    assert_eq!(m.token_endpoint_auth_methods(), listed);
    assert_eq!(m.token_endpoint_auth_signing_algs(), want.signing);
    let signing = names(&json, "token_endpoint_auth_signing_alg_values_supported");
    assert_eq!(
        m.token_endpoint_auth_signing_algs(),
        signing.unwrap_or_default()
    );
    assert_eq!(m.dpop_signing_algs(), want.dpop);
    let dpop = names(&json, "dpop_signing_alg_values_supported");
    assert_eq!(m.dpop_signing_algs(), dpop.unwrap_or_default());
    // Every scalar member but the two with their own getters is an extra.
    for (k, v) in json.as_object().unwrap() {
        let text = match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let text = text.filter(|_| k != "issuer" && k != "token_endpoint");
        assert_eq!(m.extra(k), text.as_deref(), "{k}");
    }
    m
}

/// Discovers `issuer` from `body` and expects an invalid response whose
/// message contains `why`.
fn refuses(issuer: &str, body: &str, at: At, why: &str) -> String {
    let (result, _) = discover(issuer, body, at);
    let e = result.expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
    let shown = e.to_string();
    assert!(
        shown.starts_with("invalid server metadata (HTTP 200): "),
        "{shown}"
    );
    assert!(shown.contains(why), "{why} in {shown}");
    shown
}

const ALL_RS_ES: [&str; 6] = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"];

#[test]
fn auth0() {
    let m = accepts(
        &fixture("auth0.json"),
        Want {
            issuer: "https://dev-ltxchcls4igzho78.us.auth0.com/",
            at: At::Oidc,
            methods: &[
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
            ],
            signing: &["RS256", "RS384", "PS256"],
            dpop: &[],
        },
    );
    assert_eq!(
        m.token_endpoint(),
        "https://dev-ltxchcls4igzho78.us.auth0.com/oauth/token"
    );
    assert_eq!(m.extra("request_parameter_supported"), Some("false"));
}

/// Auth0's issuer ends with `/`: asked for without it, refused.
#[test]
fn auth0_without_the_trailing_slash() {
    refuses(
        "https://dev-ltxchcls4igzho78.us.auth0.com",
        &fixture("auth0.json"),
        At::Oidc,
        "`issuer` is `https://dev-ltxchcls4igzho78.us.auth0.com/`, not the issuer asked for, `https://dev-ltxchcls4igzho78.us.auth0.com`",
    );
}

/// Okta's sample has placeholders in every URL: substituted here. Okta
/// serves its RFC 8414 document appended to the issuer, not at the §3.1
/// location; the OpenID Connect location is where discovery finds it.
#[test]
fn okta() {
    let body = fixture("okta.json")
        .replace("{yourOktaDomain}", "example.okta.com")
        .replace("{authorizationServerId}", "default");
    let m = accepts(
        &body,
        Want {
            issuer: "https://example.okta.com/oauth2/default",
            at: At::Oidc,
            methods: &[
                "client_secret_basic",
                "client_secret_post",
                "client_secret_jwt",
                "private_key_jwt",
                "none",
            ],
            signing: &[],
            dpop: &ALL_RS_ES,
        },
    );
    assert_eq!(
        m.token_endpoint(),
        "https://example.okta.com/oauth2/default/v1/token"
    );
}

/// The placeholder issuer as it is published is not a URL.
#[test]
fn okta_placeholders_are_not_an_issuer() {
    let (result, requested) = discover(
        "https://{yourOktaDomain}/oauth2/{authorizationServerId}",
        &fixture("okta.json"),
        At::Oidc,
    );
    assert_eq!(result.unwrap_err().kind(), ErrorKind::Config);
    assert!(requested.is_empty());
}

#[test]
fn keycloak() {
    let m = accepts(
        &fixture("keycloak.json"),
        Want {
            issuer: "https://keycloak-eudi.netcompany-intrasoft.com/realms/pid-issuer-realm",
            at: At::Oidc,
            methods: &[
                "private_key_jwt",
                "client_secret_basic",
                "client_secret_post",
                "tls_client_auth",
                "client_secret_jwt",
            ],
            signing: &[
                "PS384", "ES384", "RS384", "HS256", "HS512", "ES256", "RS256", "HS384", "ES512",
                "PS256", "PS512", "RS512",
            ],
            dpop: &[
                "PS384", "ES384", "RS384", "ES256", "RS256", "ES512", "PS256", "PS512", "RS512",
            ],
        },
    );
    assert_eq!(
        m.extra("tls_client_certificate_bound_access_tokens"),
        Some("true")
    );
}

const ENTRA_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// The `common` document names the issuer `…/{tenantid}/v2.0`: never the
/// issuer asked for.
#[test]
fn entra_common_is_refused() {
    let shown = refuses(
        "https://login.microsoftonline.com/common/v2.0",
        &fixture("entra-v2-common.json"),
        At::Oidc,
        "`issuer` is `https://login.microsoftonline.com/{tenantid}/v2.0`, not the issuer asked for, `https://login.microsoftonline.com/common/v2.0`",
    );
    assert!(
        shown.contains(
            "ask for your tenant's issuer, `https://login.microsoftonline.com/<tenant-id>/v2.0`"
        ),
        "{shown}"
    );
}

/// A tenant's own document (simulated: the placeholder filled in, as
/// Entra does for `/<tenant-id>/v2.0`) is accepted when asked for that
/// tenant's issuer. Its `null` member is tolerated.
#[test]
fn entra_tenant() {
    let body = fixture("entra-v2-common.json")
        .replace("{tenantid}", ENTRA_TENANT)
        .replace("/common/", &format!("/{ENTRA_TENANT}/"));
    let issuer = format!("https://login.microsoftonline.com/{ENTRA_TENANT}/v2.0");
    let m = accepts(
        &body,
        Want {
            issuer: &issuer,
            at: At::Oidc,
            methods: &[
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            signing: &[],
            dpop: &[],
        },
    );
    assert_eq!(
        m.token_endpoint(),
        format!("https://login.microsoftonline.com/{ENTRA_TENANT}/oauth2/v2.0/token")
    );
    assert_eq!(m.extra("tenant_region_scope"), None);
    assert_eq!(m.extra("cloud_instance_name"), Some("microsoftonline.com"));
}

#[test]
fn google() {
    let m = accepts(
        &fixture("google.json"),
        Want {
            issuer: "https://accounts.google.com",
            at: At::Oidc,
            methods: &["client_secret_post", "client_secret_basic"],
            signing: &[],
            dpop: &[],
        },
    );
    assert_eq!(m.token_endpoint(), "https://oauth2.googleapis.com/token");
}

#[test]
fn cognito() {
    let m = accepts(
        &fixture("cognito.json"),
        Want {
            issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_ZLiEFD4b6",
            at: At::Oidc,
            methods: &["client_secret_basic", "client_secret_post"],
            signing: &[],
            dpop: &[],
        },
    );
    assert_eq!(
        m.token_endpoint(),
        "https://micronautguides.auth.eu-west-1.amazoncognito.com/oauth2/token"
    );
}

#[test]
fn salesforce() {
    accepts(
        &fixture("salesforce.json"),
        Want {
            issuer: "https://login.salesforce.com",
            at: At::Oidc,
            methods: &[
                "client_secret_post",
                "client_secret_basic",
                "private_key_jwt",
            ],
            signing: &[],
            dpop: &[],
        },
    );
}

/// Served from the RFC 8414 location: accepted for its own issuer.
#[test]
fn salesforce_api_rfc8414() {
    accepts(
        &fixture("salesforce-api-rfc8414.json"),
        Want {
            issuer: "https://login.salesforce.com",
            at: At::Oauth,
            methods: &["client_secret_post"],
            signing: &[],
            dpop: &[],
        },
    );
}

/// Published at `api.salesforce.com` with the issuer
/// `login.salesforce.com`: refused when asked for the host it is served at
/// (RFC 8414 §3.3).
#[test]
fn salesforce_api_rfc8414_at_the_api_host() {
    refuses(
        "https://api.salesforce.com",
        &fixture("salesforce-api-rfc8414.json"),
        At::Oauth,
        "`issuer` is `https://login.salesforce.com`, not the issuer asked for, `https://api.salesforce.com`",
    );
}

#[test]
fn hostile_issuer_trailing_slash() {
    refuses(
        "https://accounts.google.com",
        &fixture("hostile-issuer-trailing-slash.json"),
        At::Oidc,
        "`issuer` is `https://accounts.google.com/`, not the issuer asked for, `https://accounts.google.com` (they must be equal byte for byte, RFC 8414 §3.3); they differ in a trailing slash",
    );
}

#[test]
fn hostile_http_token_endpoint() {
    refuses(
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_ZLiEFD4b6",
        &fixture("hostile-http-token-endpoint.json"),
        At::Oidc,
        "`token_endpoint` `http://micronautguides.auth.eu-west-1.amazoncognito.com/oauth2/token` is plain http:// to a non-loopback host",
    );
}

#[test]
fn hostile_duplicate_members() {
    let shown = refuses(
        "https://dev-ltxchcls4igzho78.us.auth0.com/",
        &fixture("hostile-duplicate-members.json"),
        At::Oidc,
        "the document has duplicate member names",
    );
    assert!(!shown.contains("attacker"), "{shown}");
}

#[test]
fn hostile_wrong_types() {
    let body = fixture("hostile-wrong-types.json");
    refuses(
        "https://login.salesforce.com",
        &body,
        At::Oidc,
        "`token_endpoint` is not a string",
    );
    // With the token endpoint repaired, the second mutation shows.
    let repaired = body.replace(
        r#"["https://login.salesforce.com/services/oauth2/token"]"#,
        r#""https://login.salesforce.com/services/oauth2/token""#,
    );
    assert_ne!(repaired, body);
    refuses(
        "https://login.salesforce.com",
        &repaired,
        At::Oidc,
        "`token_endpoint_auth_methods_supported` is a string, not an array of strings",
    );
}

/// Every file of the directory has a test above.
#[test]
fn every_fixture_is_covered() {
    const COVERED: [&str; 12] = [
        "auth0.json",
        "cognito.json",
        "entra-v2-common.json",
        "google.json",
        "hostile-duplicate-members.json",
        "hostile-http-token-endpoint.json",
        "hostile-issuer-trailing-slash.json",
        "hostile-wrong-types.json",
        "keycloak.json",
        "okta.json",
        "salesforce-api-rfc8414.json",
        "salesforce.json",
    ];
    let dir = format!("{}/tests/fixtures/metadata", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    assert_eq!(files, COVERED);
}
