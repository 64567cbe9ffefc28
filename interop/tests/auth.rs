//! cctoken's key-based client authentication against oidc-provider and
//! Authlib (issue 12: RFC 7523 `private_key_jwt`, `client_secret_jwt`, and
//! client assertions from a file), over HTTP and HTTPS. Run by
//! `bash interop/run.sh` with `--ignored`.

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

fn b64url(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..=c.len() {
            out.push(T[(n >> (18 - 6 * i)) as usize & 63] as char);
        }
    }
    out
}

fn pem_der(path: &str) -> Vec<u8> {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let text = std::fs::read_to_string(path).unwrap();
    let (mut acc, mut bits, mut out) = (0u32, 0, Vec::new());
    for c in text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(str::bytes)
    {
        let Some(v) = T.iter().position(|t| *t == c) else {
            continue;
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
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
        b64url(&jti),
        now.min(now + exp_in - 60),
        now + exp_in
    );
    let input = format!(
        "{}.{}",
        b64url(header.as_bytes()),
        b64url(claims.as_bytes())
    );
    let sig = pair.sign(&rng, input.as_bytes()).unwrap();
    format!("{input}.{}", b64url(sig.as_ref()))
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

mod cases {
    use super::*;

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
