//! Issue 13: DPoP (RFC 9449) for token requests and API requests, on the
//! wire over loopback. Proofs are verified with ring from the `jwk` in
//! their own header, independently of the signing code.
#![cfg(any(feature = "https", feature = "https-os-roots"))]

mod common;

use cctoken::{ClientAuth, Credentials, Encoding, ErrorKind, PrivateKey, TokenSource};
use common::{b64, Captured, Reply, Server, TempDir};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A verified DPoP proof's header and claims (ES256 keys only).
fn proof(compact: &str) -> (serde_json::Value, serde_json::Value) {
    let parts: Vec<&str> = compact.split('.').collect();
    assert_eq!(parts.len(), 3, "{compact}");
    let header: serde_json::Value = serde_json::from_slice(&b64::decode(parts[0])).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&b64::decode(parts[1])).unwrap();
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["alg"], "ES256");
    let jwk = header["jwk"].as_object().unwrap();
    let mut members: Vec<&str> = jwk.keys().map(String::as_str).collect();
    members.sort();
    assert_eq!(members, ["crv", "kty", "x", "y"], "public members only");
    let mut point = vec![4u8];
    point.extend(b64::decode(jwk["x"].as_str().unwrap()));
    point.extend(b64::decode(jwk["y"].as_str().unwrap()));
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &point)
        .verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &b64::decode(parts[2]),
        )
        .expect("the proof verifies with its own jwk");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(claims["iat"].as_u64().unwrap().abs_diff(now) <= 5);
    assert!(b64::decode(claims["jti"].as_str().unwrap()).len() >= 16);
    (header, claims)
}

fn dpop_token(c: &Captured) -> Reply {
    let _ = c;
    Reply::json(
        200,
        r#"{"access_token":"dpop-tok","token_type":"DPoP","expires_in":3600}"#,
    )
}

#[test]
fn token_request_carries_a_proof_with_every_client_auth_and_encoding() {
    let server = Server::start(dpop_token);
    let url = server.url("/token");
    let dpop = PrivateKey::from_pem(&common::key_pem("p256-pkcs8.pem")).unwrap();
    let client_key = PrivateKey::from_pem(&common::key_pem("p384.pem")).unwrap();
    let secret = "a-client-secret-of-32-bytes-0123";
    for encoding in [Encoding::Form, Encoding::Json, Encoding::Multipart] {
        for auth in ["body", "basic", "private_key_jwt", "client_secret_jwt"] {
            let creds = match auth {
                "body" => Credentials::new(&url, "c", secret).unwrap(),
                "basic" => Credentials::new(&url, "c", secret)
                    .unwrap()
                    .with_auth(ClientAuth::Basic),
                "private_key_jwt" => {
                    Credentials::with_private_key(&url, "c", client_key.clone()).unwrap()
                }
                _ => Credentials::new(&url, "c", secret)
                    .unwrap()
                    .with_auth(ClientAuth::ClientSecretJwt),
            }
            .with_encoding(encoding)
            .with_dpop(dpop.clone());
            let token = creds.fetch().unwrap();
            assert_eq!(token.token_type(), "DPoP");
            assert_eq!(token.authorization_header(), "DPoP dpop-tok");
            let req = server.requests().pop().unwrap();
            let (header, claims) = proof(&req.header("dpop").expect("a DPoP header"));
            assert_eq!(claims["htm"], "POST", "{auth} {encoding:?}");
            assert_eq!(claims["htu"], url.as_str());
            assert!(claims.get("ath").is_none() && claims.get("nonce").is_none());
            // The proof's key is the DPoP key, not the client's.
            assert_eq!(header["jwk"]["crv"], "P-256", "{auth}");
        }
    }
}

#[test]
fn nonce_retry_happens_once_and_the_latest_nonce_is_kept() {
    let n = AtomicUsize::new(0);
    let server = Server::start(move |c| {
        let proof = c.header("dpop").unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&b64::decode(proof.split('.').nth(1).unwrap())).unwrap();
        match (n.fetch_add(1, Ordering::SeqCst), claims["nonce"].as_str()) {
            (0, None) => Reply::http(
                400,
                "application/json",
                &[("DPoP-Nonce", "nonce-1")],
                br#"{"error":"use_dpop_nonce","error_description":"nonce is required"}"#,
            ),
            (1, Some("nonce-1")) => Reply::http(
                200,
                "application/json",
                &[("DPoP-Nonce", "nonce-2")],
                br#"{"access_token":"t1","token_type":"DPoP","expires_in":3600}"#,
            ),
            (2, Some("nonce-2")) => {
                Reply::json(200, r#"{"access_token":"t2","token_type":"DPoP"}"#)
            }
            (i, nonce) => Reply::json(500, &format!(r#"{{"unexpected":"{i} {nonce:?}"}}"#)),
        }
    });
    let creds = Credentials::new(&server.url("/token"), "c", "secret-long-enough")
        .unwrap()
        .with_dpop(PrivateKey::generate().unwrap());
    assert_eq!(creds.fetch().unwrap().access_token(), "t1");
    assert_eq!(server.count(), 2, "one retry with the nonce");
    // A clone (as a TokenSource holds) uses the latest nonce at once.
    assert_eq!(creds.clone().fetch().unwrap().access_token(), "t2");
    assert_eq!(server.count(), 3);
}

#[test]
fn a_second_use_dpop_nonce_is_an_error_not_a_loop() {
    let n = AtomicUsize::new(0);
    let server = Server::start(move |_| {
        let i = n.fetch_add(1, Ordering::SeqCst);
        Reply::http(
            400,
            "application/json",
            &[("DPoP-Nonce", &format!("nonce-{i}"))],
            br#"{"error":"use_dpop_nonce"}"#,
        )
    });
    let creds = Credentials::new(&server.url("/token"), "c", "secret-long-enough")
        .unwrap()
        .with_dpop(PrivateKey::generate().unwrap());
    let e = creds.fetch().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth);
    assert_eq!(e.oauth_error(), Some("use_dpop_nonce"));
    assert_eq!(server.count(), 2);
    // Without a nonce header there is nothing to retry with.
    let bare = Server::start(|_| Reply::json(400, r#"{"error":"use_dpop_nonce"}"#));
    let creds = Credentials::new(&bare.url("/token"), "c", "secret-long-enough")
        .unwrap()
        .with_dpop(PrivateKey::generate().unwrap());
    assert_eq!(
        creds.fetch().unwrap_err().oauth_error(),
        Some("use_dpop_nonce")
    );
    assert_eq!(bare.count(), 1);
    // Review finding: only a 400 is the nonce protocol (RFC 9449 §8). A
    // 401 (or any other status) that says `use_dpop_nonce` is a refusal to
    // report, not to answer with a second token request.
    let other = Server::start(|_| {
        Reply::http(
            401,
            "application/json",
            &[("DPoP-Nonce", "nonce-x")],
            br#"{"error":"use_dpop_nonce"}"#,
        )
    });
    let creds = Credentials::new(&other.url("/token"), "c", "secret-long-enough")
        .unwrap()
        .with_dpop(PrivateKey::generate().unwrap());
    let e = creds.fetch().unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.oauth_error(), Some("use_dpop_nonce"));
    assert_eq!(other.count(), 1, "no retry for a 401");
}

#[test]
fn bearer_answer_to_dpop_and_dpop_answer_to_bearer_are_refused() {
    let bearer = Server::start(|_| Reply::token("plain", 3600));
    let e = Credentials::new(&bearer.url("/token"), "c", "secret-long-enough")
        .unwrap()
        .with_dpop(PrivateKey::generate().unwrap())
        .fetch()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert!(e.to_string().contains("ignored the DPoP proof"), "{e}");
    let dpop = Server::start(dpop_token);
    let e = Credentials::new(&dpop.url("/token"), "c", "secret-long-enough")
        .unwrap()
        .fetch()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert!(
        e.to_string().contains("token_type `DPoP` is not supported"),
        "{e}"
    );
}

#[test]
fn api_proofs_carry_ath_and_a_normalised_htu() {
    let server = Server::start(dpop_token);
    let token = Credentials::new(&server.url("/token"), "c", "secret-long-enough")
        .unwrap()
        .with_dpop(PrivateKey::from_pem(&common::key_pem("p256-pkcs8.pem")).unwrap())
        .fetch()
        .unwrap();
    let (_, a) = proof(
        &token
            .dpop_proof("GET", "HTTPS://API.Example.COM:443/things?page=2#top", None)
            .unwrap(),
    );
    assert_eq!(a["htm"], "GET");
    assert_eq!(a["htu"], "https://api.example.com/things");
    let ath = {
        use ring::digest::{digest, SHA256};
        b64::url(digest(&SHA256, b"dpop-tok").as_ref())
    };
    assert_eq!(a["ath"], ath.as_str());
    let (_, b) = proof(
        &token
            .dpop_proof("GET", "https://api.example.com/things", Some("n-7"))
            .unwrap(),
    );
    assert_eq!(b["nonce"], "n-7");
    assert_ne!(a["jti"], b["jti"], "a fresh jti");
    // A Bearer token has no proof.
    let bearer = Server::start(|_| Reply::token("plain", 3600));
    let plain = Credentials::new(&bearer.url("/token"), "c", "secret-long-enough")
        .unwrap()
        .fetch()
        .unwrap();
    assert_eq!(
        plain
            .dpop_proof("GET", "https://a.example/", None)
            .unwrap_err()
            .kind(),
        ErrorKind::Config
    );
}

#[test]
fn file_cache_serves_a_dpop_token_to_the_same_key_only() {
    let n = AtomicUsize::new(0);
    let server = Server::start(move |_| {
        let i = n.fetch_add(1, Ordering::SeqCst);
        Reply::json(
            200,
            &format!(r#"{{"access_token":"d{i}","token_type":"DPoP","expires_in":3600}}"#),
        )
    });
    let dir = TempDir::new("dpopcache");
    let cache = dir.path().join("token.json");
    let url = server.url("/token");
    let fetch = |key: &PrivateKey| {
        let creds = Credentials::new(&url, "c", "secret-long-enough")
            .unwrap()
            .with_dpop(key.clone());
        TokenSource::new(creds).with_file_cache(&cache).token()
    };
    let a = PrivateKey::from_pem(&common::key_pem("p256-pkcs8.pem")).unwrap();
    let b = PrivateKey::from_pem(&common::key_pem("rfc7515-a3-p256.pem")).unwrap();
    assert_eq!(fetch(&a).unwrap().access_token(), "d0");
    let again = fetch(&a).unwrap();
    assert_eq!(again.access_token(), "d0", "same key: cached");
    assert_eq!(again.token_type(), "DPoP");
    assert!(again
        .dpop_proof("GET", "https://api.example.com/", None)
        .is_ok());
    assert_eq!(
        fetch(&b).unwrap().access_token(),
        "d1",
        "another key misses"
    );
    // A key made in memory: the next process could not use the token.
    let e = fetch(&PrivateKey::generate().unwrap()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("PrivateKey::generate"), "{e}");
    assert_eq!(server.count(), 2);
}
