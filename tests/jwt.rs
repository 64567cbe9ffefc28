//! Issue 12: `private_key_jwt`, `client_secret_jwt` and client assertions
//! from a file (RFC 7523), on the wire over loopback. Signatures are checked
//! with ring's verification API, independently of the signing code (which
//! goes through the rustls provider).
#![cfg(any(feature = "https", feature = "https-os-roots"))]

mod common;

use cctoken::{ClientAuth, Credentials, Encoding, ErrorKind, PrivateKey, TokenSource};
use common::{b64, skipped, Captured, Reply, Server, TempDir};
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const SECRET_32: &str = "a-client-secret-of-32-bytes-0123";

/// The request's body fields, whatever the encoding.
fn fields(c: &Captured) -> HashMap<String, String> {
    let ct = c.header("content-type").unwrap();
    let body = c.body_text();
    let mut out = HashMap::new();
    if ct.starts_with("application/x-www-form-urlencoded") {
        for pair in body.split('&') {
            let (k, v) = pair.split_once('=').unwrap();
            let decode = |s: &str| {
                let mut bytes = Vec::new();
                let b = s.as_bytes();
                let mut i = 0;
                while i < b.len() {
                    if b[i] == b'%' {
                        bytes.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                        i += 3;
                    } else {
                        bytes.push(b[i]);
                        i += 1;
                    }
                }
                String::from_utf8(bytes).unwrap()
            };
            out.insert(decode(k), decode(v));
        }
    } else if ct.starts_with("application/json") {
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        for (k, v) in v.as_object().unwrap() {
            out.insert(k.clone(), v.as_str().unwrap().to_owned());
        }
    } else {
        let boundary = ct.split("boundary=").nth(1).unwrap();
        for part in body.split(&format!("--{boundary}")) {
            let Some((head, value)) = part.split_once("\r\n\r\n") else {
                continue;
            };
            let name = head
                .split("name=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            out.insert(name.to_owned(), value.trim_end_matches("\r\n").to_owned());
        }
    }
    out
}

/// A decoded JWS: header, claims, signing input, signature.
struct Jws {
    header: serde_json::Value,
    claims: serde_json::Value,
    input: Vec<u8>,
    signature: Vec<u8>,
}

fn jws(compact: &str) -> Jws {
    let parts: Vec<&str> = compact.split('.').collect();
    assert_eq!(parts.len(), 3, "{compact}");
    Jws {
        header: serde_json::from_slice(&b64::decode(parts[0])).unwrap(),
        claims: serde_json::from_slice(&b64::decode(parts[1])).unwrap(),
        input: format!("{}.{}", parts[0], parts[1]).into_bytes(),
        signature: b64::decode(parts[2]),
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The public key of `p256-pkcs8.pem`, uncompressed, as ring reads it.
fn p256_public() -> Vec<u8> {
    use ring::signature::KeyPair;
    let pem = common::key_pem("p256-pkcs8.pem");
    let der: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = b64::decode(&der);
    let pair = ring::signature::EcdsaKeyPair::from_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &der,
        &ring::rand::SystemRandom::new(),
    )
    .unwrap();
    pair.public_key().as_ref().to_vec()
}

fn token_server() -> Server {
    Server::start(|_| Reply::token("tok", 3600))
}

fn fetch_one(server: &Server, creds: &Credentials) -> Captured {
    let before = server.count();
    creds.fetch().expect("fetch");
    assert_eq!(server.count(), before + 1);
    server.requests().pop().unwrap()
}

/// The wire of both JWT methods, in every body encoding: `client_id`,
/// `client_assertion_type` and `client_assertion`, never `client_secret`,
/// no `Authorization` header; the claims exact and the signature valid.
#[test]
fn assertions_on_the_wire_in_every_encoding() {
    let server = token_server();
    let url = server.url("/token");
    let key = PrivateKey::from_pem(&common::key_pem("p256-pkcs8.pem"))
        .unwrap()
        .with_key_id("key-1");
    let public = p256_public();
    for encoding in [Encoding::Form, Encoding::Json, Encoding::Multipart] {
        for method in ["private_key_jwt", "client_secret_jwt"] {
            let creds = if method == "private_key_jwt" {
                Credentials::with_private_key(&url, "my-client", key.clone()).unwrap()
            } else {
                Credentials::new(&url, "my-client", SECRET_32)
                    .unwrap()
                    .with_auth(ClientAuth::ClientSecretJwt)
            }
            .with_encoding(encoding)
            .with_scope("read");
            let what = format!("{method} {encoding:?}");
            let mut jtis = Vec::new();
            for _ in 0..2 {
                let c = fetch_one(&server, &creds);
                assert!(c.header("authorization").is_none(), "{what}");
                assert!(!c.body_text().contains(SECRET_32), "{what}");
                let f = fields(&c);
                let mut names: Vec<&str> = f.keys().map(String::as_str).collect();
                names.sort();
                assert_eq!(
                    names,
                    [
                        "client_assertion",
                        "client_assertion_type",
                        "client_id",
                        "grant_type",
                        "scope"
                    ],
                    "{what}"
                );
                assert_eq!(f["client_assertion_type"], ASSERTION_TYPE);
                assert_eq!(f["client_id"], "my-client");
                let t = jws(&f["client_assertion"]);
                assert_eq!(t.header["typ"], "JWT", "{what}");
                assert_eq!(t.claims["iss"], "my-client");
                assert_eq!(t.claims["sub"], "my-client");
                assert_eq!(t.claims["aud"], url.as_str(), "one string: the token URL");
                let (iat, exp) = (
                    t.claims["iat"].as_u64().unwrap(),
                    t.claims["exp"].as_u64().unwrap(),
                );
                assert!(
                    iat.abs_diff(now()) <= 5 && exp > iat && exp - iat <= 300,
                    "{what}"
                );
                let jti = t.claims["jti"].as_str().unwrap().to_owned();
                assert!(b64::decode(&jti).len() >= 16, "jti of 128 bits or more");
                jtis.push(jti);
                if method == "private_key_jwt" {
                    assert_eq!(t.header["alg"], "ES256");
                    assert_eq!(t.header["kid"], "key-1");
                    ring::signature::UnparsedPublicKey::new(
                        &ring::signature::ECDSA_P256_SHA256_FIXED,
                        &public,
                    )
                    .verify(&t.input, &t.signature)
                    .expect("ES256 signature verifies");
                } else {
                    assert_eq!(t.header["alg"], "HS256");
                    assert!(t.header.get("kid").is_none());
                    let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET_32.as_bytes());
                    ring::hmac::verify(&k, &t.input, &t.signature).expect("HS256 verifies");
                }
            }
            assert_ne!(jtis[0], jtis[1], "{what}: a fresh jti every request");
        }
    }
}

#[test]
fn every_algorithm_signs_a_verifiable_assertion() {
    use ring::signature::{self as sig, UnparsedPublicKey};
    let server = token_server();
    let url = server.url("/token");
    for (file, alg) in [
        ("p256-sec1.pem", "ES256"),
        ("p384.pem", "ES384"),
        ("rsa-pkcs1.pem", "RS256"),
        ("rsa-pkcs8.pem", "PS256"),
        ("ed25519.pem", "EdDSA"),
    ] {
        let key = PrivateKey::from_pem(&common::key_pem(file))
            .unwrap()
            .with_algorithm(alg)
            .unwrap();
        assert_eq!(key.algorithm(), alg);
        let creds = Credentials::with_private_key(&url, "c", key).unwrap();
        let f = fields(&fetch_one(&server, &creds));
        let t = jws(&f["client_assertion"]);
        assert_eq!(t.header["alg"], alg);
        // The public key, from the PEM's SubjectPublicKeyInfo via openssl.
        let spki = std::process::Command::new("openssl")
            .args(["pkey", "-pubout", "-outform", "DER", "-in"])
            .arg(format!(
                "{}/tests/fixtures/keys/{file}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .output()
            .unwrap()
            .stdout;
        // The key bytes at the end of the SPKI: the BIT STRING's content.
        let public = match alg {
            "ES256" => spki[spki.len() - 65..].to_vec(),
            "ES384" => spki[spki.len() - 97..].to_vec(),
            "EdDSA" => spki[spki.len() - 32..].to_vec(),
            _ => spki[24..].to_vec(), // RSAPublicKey after the 2048-bit SPKI header
        };
        let algorithm: &dyn sig::VerificationAlgorithm = match alg {
            "ES256" => &sig::ECDSA_P256_SHA256_FIXED,
            "ES384" => &sig::ECDSA_P384_SHA384_FIXED,
            "RS256" => &sig::RSA_PKCS1_2048_8192_SHA256,
            "PS256" => &sig::RSA_PSS_2048_8192_SHA256,
            _ => &sig::ED25519,
        };
        UnparsedPublicKey::new(algorithm, &public)
            .verify(&t.input, &t.signature)
            .unwrap_or_else(|_| panic!("{alg} signature verifies"));
    }
}

#[test]
fn assertion_audience_is_one_string() {
    let server = token_server();
    let key = PrivateKey::generate().unwrap();
    let creds = Credentials::with_private_key(&server.url("/oauth/token"), "c", key)
        .unwrap()
        .with_assertion_audience("https://tenant.auth0.com/");
    assert_eq!(creds.assertion_audience(), "https://tenant.auth0.com/");
    let t = jws(&fields(&fetch_one(&server, &creds))["client_assertion"]);
    assert_eq!(t.claims["aud"], "https://tenant.auth0.com/");
}

#[test]
fn short_secret_and_mismatched_methods_are_config_errors_before_any_request() {
    let server = token_server();
    let url = server.url("/token");
    let short = Credentials::new(&url, "c", &SECRET_32[..31])
        .unwrap()
        .with_auth(ClientAuth::ClientSecretJwt);
    let e = short.fetch().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("at least 32 bytes"), "{e}");
    let e = Credentials::new(&url, "c", SECRET_32)
        .unwrap()
        .with_auth(ClientAuth::PrivateKeyJwt)
        .validate()
        .unwrap_err();
    assert!(e.to_string().contains("needs a private key"), "{e}");
    let key = PrivateKey::generate().unwrap();
    let e = Credentials::with_private_key(&url, "c", key)
        .unwrap()
        .with_auth(ClientAuth::Basic)
        .validate()
        .unwrap_err();
    assert!(e.to_string().contains("PrivateKeyJwt only"), "{e}");
    assert_eq!(server.count(), 0);
}

/// A JWT as another system would write it (the signature is not checked
/// by cctoken, only `exp`).
fn foreign_jwt(exp: u64, tag: &str) -> String {
    format!(
        "{}.{}.{}",
        b64::url(br#"{"alg":"RS256","kid":"k8s"}"#),
        b64::url(format!(r#"{{"iss":"https://kubernetes.default.svc","sub":"{tag}","aud":"api://AzureADTokenExchange","exp":{exp}}}"#).as_bytes()),
        b64::url(b"signature-bytes")
    )
}

#[test]
fn assertion_file_is_read_for_every_request_and_never_cached() {
    let server = token_server();
    let dir = TempDir::new("assertion");
    let first = foreign_jwt(now() + 600, "one");
    let file = dir.write("token", &format!("{first}\n"), 0o600);
    let creds = Credentials::with_client_assertion_file(&server.url("/token"), "c", &file).unwrap();
    assert_eq!(creds.auth(), ClientAuth::PrivateKeyJwt);
    let f = fields(&fetch_one(&server, &creds));
    assert_eq!(
        f["client_assertion"], first,
        "the file's content, newline dropped"
    );
    assert_eq!(f["client_assertion_type"], ASSERTION_TYPE);
    assert_eq!(f["client_id"], "c");
    // The other system rotates the file: the next request sends the new one.
    let second = foreign_jwt(now() + 900, "two");
    dir.write("token", &second, 0o600);
    assert_eq!(
        fields(&fetch_one(&server, &creds))["client_assertion"],
        second
    );
    // Through a TokenSource with a file cache, too: read for each fetch.
    let cache = dir.path().join("cache.json");
    let source = TokenSource::new(creds.clone()).with_file_cache(&cache);
    source.token().unwrap();
    assert_eq!(
        fields(&server.requests().pop().unwrap())["client_assertion"],
        second
    );
}

#[test]
fn expired_assertion_file_is_a_credentials_error_naming_the_file() {
    let server = token_server();
    let dir = TempDir::new("expired");
    let file = dir.write("token", &foreign_jwt(now() - 30, "old"), 0o600);
    let creds = Credentials::with_client_assertion_file(&server.url("/token"), "c", &file).unwrap();
    let e = creds.fetch().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    let shown = e.to_string();
    assert!(shown.contains(&file.display().to_string()), "{shown}");
    assert!(shown.contains("expired"), "{shown}");
    for garbage in [
        "not a jwt",
        "a.b.c",
        "",
        &foreign_jwt(0, "x").replace("\"exp\":0", "\"exp\":\"soon\""),
    ] {
        dir.write("token", garbage, 0o600);
        let e = creds.fetch().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Credentials, "{garbage}: {e}");
        assert!(
            !e.to_string().contains(garbage) || garbage.len() < 4,
            "never quoted"
        );
    }
    assert_eq!(server.count(), 0, "nothing sent");
}

#[test]
fn assertion_file_mode_rule_allows_root_owned_read_only_files() {
    use std::os::unix::fs::{chown, MetadataExt, PermissionsExt};
    let dir = TempDir::new("k8s");
    let probe = dir.write("probe", "", 0o600);
    if std::fs::metadata(&probe).unwrap().uid() != 0 {
        skipped("assertion_file_mode_rule_allows_root_owned_read_only_files: needs root");
        return;
    }
    let server = token_server();
    let jwt = foreign_jwt(now() + 600, "pod");
    // How Kubernetes mounts a projected token: root, 0644, behind a link.
    let file = dir.write("..data-token", &jwt, 0o644);
    let link = dir.path().join("token");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    let creds = Credentials::with_client_assertion_file(&server.url("/token"), "c", &link).unwrap();
    assert_eq!(fields(&fetch_one(&server, &creds))["client_assertion"], jwt);
    // Writable by the group: refused.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o664)).unwrap();
    assert_eq!(creds.fetch().unwrap_err().kind(), ErrorKind::Credentials);
    // Readable by others but owned by someone else: refused.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    chown(&file, Some(65534), None).unwrap();
    let e = creds.fetch().unwrap_err();
    assert!(e.to_string().contains("owned by uid 65534"), "{e}");
    // A private key file is never allowed group or other access, root's or not.
    chown(&file, Some(0), None).unwrap();
    let pem = dir.write("key.pem", &common::key_pem("p256-pkcs8.pem"), 0o644);
    let e = PrivateKey::from_pem_file(&pem).unwrap_err();
    assert!(e.to_string().contains("chmod 600"), "{e}");
}

/// The file cache is keyed on the key: another key misses.
#[test]
fn file_cache_is_keyed_on_the_private_key() {
    let n = std::sync::atomic::AtomicUsize::new(0);
    let server = Server::start(move |_| {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Reply::token(&format!("tok-{i}"), 3600)
    });
    let dir = TempDir::new("keycache");
    let cache = dir.path().join("token.json");
    let url = server.url("/token");
    let key_a = PrivateKey::from_pem(&common::key_pem("p256-pkcs8.pem")).unwrap();
    let key_b = PrivateKey::from_pem(&common::key_pem("p384.pem")).unwrap();
    let token = |key: &PrivateKey| {
        let creds = Credentials::with_private_key(&url, "c", key.clone()).unwrap();
        TokenSource::new(creds)
            .with_file_cache(&cache)
            .token()
            .unwrap()
    };
    assert_eq!(token(&key_a).access_token(), "tok-0");
    assert_eq!(token(&key_a).access_token(), "tok-0", "same key: cached");
    assert_eq!(token(&key_b).access_token(), "tok-1", "another key misses");
    assert_eq!(
        token(&key_a.clone().with_key_id("other")).access_token(),
        "tok-2"
    );
    assert_eq!(server.count(), 3);
}

#[test]
fn keys_load_from_credentials_files() {
    let server = token_server();
    let dir = TempDir::new("load");
    dir.write("key.pem", &common::key_pem("rsa-pkcs8.pem"), 0o600);
    let creds_json = dir.write(
        "creds.json",
        &format!(
            r#"{{"client_id":"file-client","private_key_file":"key.pem","key_id":"rsa-1","alg":"PS256","token_url":"{}","assertion_audience":"https://issuer.example/"}}"#,
            server.url("/token")
        ),
        0o600,
    );
    let creds = Credentials::from_json_file(&creds_json).unwrap();
    assert_eq!(creds.auth(), ClientAuth::PrivateKeyJwt);
    let t = jws(&fields(&fetch_one(&server, &creds))["client_assertion"]);
    assert_eq!(t.header["alg"], "PS256");
    assert_eq!(t.header["kid"], "rsa-1");
    assert_eq!(t.claims["aud"], "https://issuer.example/");
    let debug = format!("{creds:?}");
    let pem = common::key_pem("rsa-pkcs8.pem");
    let body_line = pem.lines().nth(3).unwrap();
    assert!(!debug.contains(body_line), "{debug}");

    // Two proofs in one file: refused, naming both.
    let both = dir.write(
        "both.json",
        r#"{"client_id":"c","client_secret":"s","private_key_file":"key.pem","token_url":"https://a.example/t"}"#,
        0o600,
    );
    let e = Credentials::from_json_file(&both).unwrap_err();
    assert!(e.to_string().contains("`client_secret` and"), "{e}");
    // A key id without a key.
    let stray = dir.write(
        "stray.json",
        r#"{"client_id":"c","client_secret":"s","key_id":"k","token_url":"https://a.example/t"}"#,
        0o600,
    );
    let e = Credentials::from_json_file(&stray).unwrap_err();
    assert!(
        e.to_string().contains("applies to a private key only"),
        "{e}"
    );
}
