//! cctoken's key-based client authentication against oidc-provider and
//! Authlib (issue 12: RFC 7523 `private_key_jwt`, `client_secret_jwt`, and
//! client assertions from a file) and DPoP (issue 13: RFC 9449, with and
//! without server nonces) and discovery from the issuer (issue 14: RFC
//! 8414, the command's `--issuer`), over HTTP and HTTPS. Run by
//! `bash interop/run.sh` with `--ignored`.

/// The main suite's base64 for tests (no dependencies), not the crate's.
#[path = "../../tests/common/b64.rs"]
#[allow(dead_code, reason = "shared with the main suite, which uses all of it")]
mod b64;

use cctoken::{ClientAuth, Credentials, ErrorKind, PrivateKey, Result, Token};
use cctoken_interop::{config, record, Scheme, Server};
use ring::rand::SecureRandom;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const TIMEOUT: Duration = Duration::from_secs(10);

fn server(key: &str) -> &'static Server {
    config().server(key)
}

fn describe(result: &Result<Token>) -> String {
    match result {
        Ok(t) => format!("token ({})", t.token_type()),
        Err(e) => format!(
            "refused: {:?} HTTP {:?} error={:?} ({e})",
            e.kind(),
            e.status(),
            e.oauth_error()
        ),
    }
}

fn fetch(s: &Server, scheme: Scheme, case: &str, creds: &Credentials) -> Result<Token> {
    let result = creds.fetch();
    record(s, scheme.name(), case, &describe(&result));
    result
}

/// The token is issued and the server's own resource accepts it, for the
/// client that asked.
fn issued(s: &Server, scheme: Scheme, case: &str, creds: &Credentials) -> Token {
    let token = fetch(s, scheme, case, creds)
        .unwrap_or_else(|e| panic!("{} {}: {case}: {e}", s.key, scheme.name()));
    let (status, body) = s.get("/resource", Some(token.access_token()));
    assert_eq!(
        status, 200,
        "{}: {case}: resource refused the token: {body}",
        s.key
    );
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["client_id"], creds.client_id(), "{}: {case}", s.key);
    token
}

fn key(role: &str, alg: &str) -> PrivateKey {
    let client = config().client(role);
    let path = client.key.as_deref().expect("a key file");
    PrivateKey::from_pem_file(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .with_algorithm(alg)
        .unwrap()
}

fn with_key(s: &Server, scheme: Scheme, role: &str, alg: &str) -> Credentials {
    let client = config().client(role);
    Credentials::with_private_key(&s.token_url(scheme), &client.id, key(role, alg))
        .unwrap()
        .with_timeout(TIMEOUT)
}

fn refused_invalid_client(s: &Server, case: &str, result: Result<Token>) {
    let e = result
        .err()
        .unwrap_or_else(|| panic!("{}: {case}: a token", s.key));
    assert_eq!(e.kind(), ErrorKind::OAuth, "{}: {case}: {e}", s.key);
    assert_eq!(
        e.oauth_error(),
        Some("invalid_client"),
        "{}: {case}: {e}",
        s.key
    );
    let status = if s.key == "oidc_provider" { 401 } else { 400 };
    assert_eq!(e.status(), Some(status), "{}: {case}: {e}", s.key);
}

fn pem_der(path: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    b64::decode(body.trim())
}

/// A client assertion as another system (a Kubernetes token issuer, a CI
/// system) would write it: ES256 with the assertion-file client's key,
/// minted here with ring, not with cctoken.
fn mint(client_id: &str, audience: &str, exp_in: i64) -> String {
    let rng = ring::rand::SystemRandom::new();
    let path = config().client("jwt_assertion_file").key.clone().unwrap();
    let pair = ring::signature::EcdsaKeyPair::from_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &pem_der(&path),
        &rng,
    )
    .unwrap();
    let mut jti = [0u8; 16];
    rng.fill(&mut jti).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let header = r#"{"alg":"ES256","typ":"JWT"}"#;
    let claims = format!(
        r#"{{"iss":"{client_id}","sub":"{client_id}","aud":"{audience}","jti":"{}","iat":{},"exp":{}}}"#,
        b64::url(&jti),
        now.min(now + exp_in - 60),
        now + exp_in
    );
    let input = format!(
        "{}.{}",
        b64::url(header.as_bytes()),
        b64::url(claims.as_bytes())
    );
    let sig = pair.sign(&rng, input.as_bytes()).unwrap();
    format!("{input}.{}", b64::url(sig.as_ref()))
}

fn work_dir(name: &str) -> std::path::PathBuf {
    let base = config()
        .work
        .clone()
        .expect("run.sh names a work directory");
    let dir = std::path::Path::new(&base).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_600(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// `GET /resource` on the server's plain-HTTP listener with a DPoP-bound
/// token and a proof made with `proof_key` (the token's key, or another).
fn resource_with_dpop(s: &Server, token: &Token, proof_key: Option<&PrivateKey>) -> (u16, String) {
    let port = s.port("http");
    let url = format!("http://127.0.0.1:{port}/resource");
    let proof = match proof_key {
        // A proof as another client would make it: the same token, another
        // key (what a thief holding the token without the key can do).
        Some(other) => {
            let creds = Credentials::new("https://unused.example/token", "x", "unused-secret")
                .unwrap()
                .with_dpop(other.clone());
            let stolen = creds
                .fetch_with(&|_: &cctoken::Request| {
                    Ok(cctoken::Response::new(
                        200,
                        format!(
                            r#"{{"access_token":"{}","token_type":"DPoP"}}"#,
                            token.access_token()
                        ),
                    ))
                })
                .unwrap();
            stolen.dpop_proof("GET", &url, None).unwrap()
        }
        None => token.dpop_proof("GET", &url, None).unwrap(),
    };
    let authorization = token.authorization_header();
    cctoken_interop::http_get_with(
        port,
        "/resource",
        &[("Authorization", &authorization), ("DPoP", &proof)],
    )
    .unwrap()
}

fn dpop_key(name: &str) -> PrivateKey {
    PrivateKey::from_pem_file(config().key_file(name)).unwrap()
}

/// The issuers a server serves metadata for over `scheme`: its listener's
/// base URL, and (Authlib) the same with a path (RFC 8414 §3.1).
fn issuers(s: &Server, scheme: Scheme) -> Vec<String> {
    let mut out = vec![s.issuer(scheme.name()).to_owned()];
    out.extend(s.path_issuer(scheme.name()).map(str::to_owned));
    out
}

mod cases {
    use super::*;

    /// Discovery from the issuer, then a token with the method cctoken
    /// chooses from the metadata: a secret (`client_secret_post`, listed by
    /// every server here) and, where the server offers it, a key.
    pub fn discovery(key: &str, scheme: Scheme) {
        let s = server(key);
        for issuer in issuers(s, scheme) {
            let metadata = cctoken::ServerMetadata::discover(&issuer)
                .unwrap_or_else(|e| panic!("{key}: discover {issuer}: {e}"));
            assert_eq!(metadata.issuer(), issuer);
            record(
                s,
                scheme.name(),
                &format!("discovery {issuer}"),
                &format!(
                    "token_endpoint {} methods {:?}",
                    metadata.token_endpoint(),
                    metadata.token_endpoint_auth_methods()
                ),
            );
            let post = config().client("post");
            let creds = Credentials::new(metadata.token_endpoint(), &post.id, &post.secret)
                .unwrap()
                .with_metadata(&metadata)
                .unwrap()
                .with_timeout(TIMEOUT);
            assert_eq!(
                creds.auth(),
                ClientAuth::RequestBody,
                "{key}: client_secret_post is listed"
            );
            issued(
                s,
                scheme,
                &format!("discovered {issuer}, client_secret_post"),
                &creds,
            );
            if metadata
                .token_endpoint_auth_methods()
                .iter()
                .any(|m| m == "private_key_jwt")
            {
                let jwt = config().client("jwt_es256");
                let creds = Credentials::with_private_key(
                    metadata.token_endpoint(),
                    &jwt.id,
                    super::key("jwt_es256", "ES256"),
                )
                .unwrap()
                .with_metadata(&metadata)
                .unwrap()
                .with_timeout(TIMEOUT);
                issued(
                    s,
                    scheme,
                    &format!("discovered {issuer}, private_key_jwt"),
                    &creds,
                );
            }
        }
    }

    /// The command with `--issuer`: discovery, the chosen method, a token;
    /// a one-byte different issuer is exit status 3 with a one-line reason.
    pub fn command_issuer(key: &str, scheme: Scheme) {
        let s = server(key);
        let Some(cli) = std::env::var_os("CCTOKEN_INTEROP_CLI") else {
            panic!("CCTOKEN_INTEROP_CLI is not set: run bash interop/run.sh");
        };
        let post = config().client("post");
        let dir = work_dir(&format!("cli-{key}-{}", scheme.name()));
        let secret = dir.join("secret");
        write_600(&secret, &post.secret);
        let run = |issuer: &str| {
            std::process::Command::new(&cli)
                .args([
                    "--issuer",
                    issuer,
                    "--client-id",
                    &post.id,
                    "--client-secret-file",
                ])
                .arg(&secret)
                .args(["--timeout", "10"])
                .output()
                .unwrap()
        };
        for issuer in issuers(s, scheme) {
            let o = run(&issuer);
            let stderr = String::from_utf8_lossy(&o.stderr);
            record(
                s,
                scheme.name(),
                &format!("cctoken --issuer {issuer}"),
                &format!("exit {:?} {stderr}", o.status.code()),
            );
            assert_eq!(o.status.code(), Some(0), "{key}: {issuer}: {stderr}");
            let token = String::from_utf8_lossy(&o.stdout).trim().to_owned();
            let (status, body) = s.get("/resource", Some(&token));
            assert_eq!(status, 200, "{key}: the command's token: {body}");
        }
        // DOT echoes any issuer it is asked for: no mismatch to see there.
        if key != "dot" {
            let other = format!("{}/", s.issuer(scheme.name()));
            let o = run(&other);
            let stderr = String::from_utf8_lossy(&o.stderr);
            record(
                s,
                scheme.name(),
                &format!("cctoken --issuer {other}"),
                &format!("exit {:?} {stderr}", o.status.code()),
            );
            assert_eq!(o.status.code(), Some(3), "{key}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
        }
    }

    /// oidc-provider issues DPoP-bound tokens; its resource accepts one
    /// with a proof from the token's key and refuses one from another key.
    pub fn dpop(scheme: Scheme) {
        let s = server("oidc_provider");
        let client = config().client("dpop");
        let creds = Credentials::new(&s.token_url(scheme), &client.id, &client.secret)
            .unwrap()
            .with_auth(ClientAuth::Basic)
            .with_dpop(dpop_key("dpop-es256"))
            .with_timeout(TIMEOUT);
        let token = fetch(s, scheme, "DPoP", &creds).unwrap();
        assert_eq!(token.token_type(), "DPoP");
        let (status, body) = resource_with_dpop(s, &token, None);
        record(
            s,
            scheme.name(),
            "DPoP, resource with the key's proof",
            &format!("HTTP {status}"),
        );
        assert_eq!(status, 200, "{body}");
        let (status, body) = resource_with_dpop(s, &token, Some(&dpop_key("dpop-other-es256")));
        record(
            s,
            scheme.name(),
            "DPoP, resource with another key's proof",
            &format!("HTTP {status} {body}"),
        );
        assert_eq!(status, 401, "{body}");
    }

    /// The listeners that require a nonce: cctoken answers `use_dpop_nonce`
    /// by itself, with a fresh proof (and a fresh client assertion).
    pub fn dpop_nonce(scheme: Scheme) {
        let s = server("oidc_provider");
        let listener = format!("{}_dpop_nonce", scheme.name());
        let url = format!("{}{}", s.issuer(&listener), s.token_path);
        let client = config().client("dpop_nonce");
        let secret_creds = Credentials::new(&url, &client.id, &client.secret)
            .unwrap()
            .with_auth(ClientAuth::Basic)
            .with_dpop(dpop_key("dpop-es256"))
            .with_timeout(TIMEOUT);
        let token = fetch(s, scheme, "DPoP, nonce required", &secret_creds).unwrap();
        assert_eq!(token.token_type(), "DPoP");
        // Again: the nonce kept from the last answer is used at once.
        fetch(s, scheme, "DPoP, nonce required, again", &secret_creds).unwrap();
        // private_key_jwt with another key: the retry needs a new assertion
        // (oidc-provider has used up the first one's jti).
        let jwt = config().client("jwt_es256");
        let key_creds = Credentials::with_private_key(&url, &jwt.id, key("jwt_es256", "ES256"))
            .unwrap()
            .with_dpop(dpop_key("dpop-other-es256"))
            .with_timeout(TIMEOUT);
        let token = fetch(
            s,
            scheme,
            "DPoP + private_key_jwt, nonce required",
            &key_creds,
        )
        .unwrap();
        assert_eq!(token.token_type(), "DPoP");
    }

    /// Authlib ignores DPoP and answers with a Bearer token: cctoken says
    /// the server ignored the proof.
    pub fn dpop_ignored(scheme: Scheme) {
        let s = server("authlib");
        let client = config().client("dpop");
        let creds = Credentials::new(&s.token_url(scheme), &client.id, &client.secret)
            .unwrap()
            .with_auth(ClientAuth::Basic)
            .with_dpop(dpop_key("dpop-es256"))
            .with_timeout(TIMEOUT);
        let e = fetch(s, scheme, "DPoP (ignored by the server)", &creds).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
        assert!(e.to_string().contains("ignored the DPoP proof"), "{e}");
    }

    pub fn private_key_jwt(key: &str, scheme: Scheme) {
        let s = server(key);
        for (role, alg) in [
            ("jwt_es256", "ES256"),
            ("jwt_es384", "ES384"),
            ("jwt_rsa", "RS256"),
            ("jwt_rsa", "PS256"),
            ("jwt_ed25519", "EdDSA"),
        ] {
            let creds = with_key(s, scheme, role, alg);
            issued(s, scheme, &format!("private_key_jwt {alg}"), &creds);
        }
    }

    pub fn client_secret_jwt(key: &str, scheme: Scheme) {
        let s = server(key);
        let client = config().client("jwt_secret");
        let creds = Credentials::new(&s.token_url(scheme), &client.id, &client.secret)
            .unwrap()
            .with_auth(ClientAuth::ClientSecretJwt)
            .with_timeout(TIMEOUT);
        issued(s, scheme, "client_secret_jwt HS256", &creds);
    }

    pub fn wrong_key(key: &str, scheme: Scheme) {
        let s = server(key);
        let creds = with_key(s, scheme, "jwt_wrong_key", "ES256");
        refused_invalid_client(
            s,
            "private_key_jwt, wrong key",
            fetch(s, scheme, "private_key_jwt, wrong key", &creds),
        );
    }

    /// The assertion file is read for every request: rewritten between two
    /// fetches, both succeed (the servers refuse a replayed `jti`, so the
    /// second fetch proves the file was read again). An expired assertion
    /// never leaves cctoken.
    pub fn assertion_file(key: &str, scheme: Scheme) {
        let s = server(key);
        let client = config().client("jwt_assertion_file");
        let url = s.token_url(scheme);
        let dir = work_dir(&format!("assertion-{key}-{}", scheme.name()));
        let file = dir.join("token");
        let creds = Credentials::with_client_assertion_file(&url, &client.id, &file)
            .unwrap()
            .with_timeout(TIMEOUT);
        write_600(&file, &mint(&client.id, &url, 300));
        issued(s, scheme, "assertion file", &creds);
        write_600(&file, &mint(&client.id, &url, 300));
        issued(s, scheme, "assertion file, rewritten", &creds);
        // The same file again: the server refuses the replayed `jti`.
        refused_invalid_client(
            s,
            "assertion file, replayed",
            fetch(s, scheme, "assertion file, replayed", &creds),
        );
        // Expired: refused by cctoken before any request (a Credentials
        // error, naming the file; tests/jwt.rs counts that nothing is
        // sent). prove_servers.py shows both servers refuse one too.
        write_600(&file, &mint(&client.id, &url, -600));
        let e = fetch(s, scheme, "assertion file, expired", &creds).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Credentials, "{e}");
        assert!(e.to_string().contains(&file.display().to_string()), "{e}");
    }
}

macro_rules! scheme_cases {
    ($server:literal, $scheme:expr) => {
        #[test]
        #[ignore = "needs the servers: bash interop/run.sh"]
        fn private_key_jwt() {
            cases::private_key_jwt($server, $scheme)
        }
        #[test]
        #[ignore = "needs the servers: bash interop/run.sh"]
        fn client_secret_jwt() {
            cases::client_secret_jwt($server, $scheme)
        }
        #[test]
        #[ignore = "needs the servers: bash interop/run.sh"]
        fn wrong_key() {
            cases::wrong_key($server, $scheme)
        }
        #[test]
        #[ignore = "needs the servers: bash interop/run.sh"]
        fn assertion_file() {
            cases::assertion_file($server, $scheme)
        }
    };
}

macro_rules! server_suite {
    ($module:ident, $server:literal) => {
        mod $module {
            use super::*;
            mod http {
                use super::*;
                scheme_cases!($server, Scheme::Http);
            }
            mod https {
                use super::*;
                scheme_cases!($server, Scheme::Https);
            }
        }
    };
}

server_suite!(oidc_provider, "oidc_provider");
server_suite!(authlib, "authlib");

macro_rules! discovery_suite {
    ($module:ident, $server:literal) => {
        mod $module {
            use super::*;
            #[test]
            #[ignore = "needs the servers: bash interop/run.sh"]
            fn discovery_http() {
                cases::discovery($server, Scheme::Http)
            }
            #[test]
            #[ignore = "needs the servers: bash interop/run.sh"]
            fn discovery_https() {
                cases::discovery($server, Scheme::Https)
            }
            #[test]
            #[ignore = "needs the servers: bash interop/run.sh"]
            fn command_issuer_http() {
                cases::command_issuer($server, Scheme::Http)
            }
            #[test]
            #[ignore = "needs the servers: bash interop/run.sh"]
            fn command_issuer_https() {
                cases::command_issuer($server, Scheme::Https)
            }
        }
    };
}

mod discovery {
    use super::*;
    discovery_suite!(oidc_provider, "oidc_provider");
    discovery_suite!(authlib, "authlib");
    discovery_suite!(dot, "dot");
}

mod dpop {
    use super::*;

    #[test]
    #[ignore = "needs the servers: bash interop/run.sh"]
    fn oidc_provider_http() {
        cases::dpop(Scheme::Http)
    }
    #[test]
    #[ignore = "needs the servers: bash interop/run.sh"]
    fn oidc_provider_https() {
        cases::dpop(Scheme::Https)
    }
    #[test]
    #[ignore = "needs the servers: bash interop/run.sh"]
    fn oidc_provider_nonce_http() {
        cases::dpop_nonce(Scheme::Http)
    }
    #[test]
    #[ignore = "needs the servers: bash interop/run.sh"]
    fn oidc_provider_nonce_https() {
        cases::dpop_nonce(Scheme::Https)
    }
    #[test]
    #[ignore = "needs the servers: bash interop/run.sh"]
    fn authlib_ignores_it_http() {
        cases::dpop_ignored(Scheme::Http)
    }
    #[test]
    #[ignore = "needs the servers: bash interop/run.sh"]
    fn authlib_ignores_it_https() {
        cases::dpop_ignored(Scheme::Https)
    }
}
