//! The JOSE layer's parsers of untrusted bytes: PEM → key, DER ECDSA
//! signature → `r‖s`, SubjectPublicKeyInfo → JWK, base64url, a JWT's
//! `exp`, DPoP `htu` normalisation and the assertion claims.
//!
//! Input layout: one byte choosing the function, the rest its input.
#![no_main]

use cctoken::fuzzing::{
    assertion_claims, b64url, b64url_decode, dpop_proof, jwt_exp, key_jwk, normalize_htu,
    sign_jws, signature_to_raw, spki_to_jwk, thumbprint,
};
use cctoken::{ErrorKind, PrivateKey};
use libfuzzer_sys::fuzz_target;

/// DER of a non-negative integer given as `half` big-endian bytes.
fn der_integer(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len() - 1);
    let mut value = bytes[start..].to_vec();
    if value[0] & 0x80 != 0 {
        value.insert(0, 0);
    }
    let mut out = vec![0x02, value.len() as u8];
    out.extend(value);
    out
}

/// `r‖s` back to DER: a signature the strict reader accepts is canonical,
/// so this must give the input again.
fn raw_to_der(raw: &[u8]) -> Vec<u8> {
    let (r, s) = raw.split_at(raw.len() / 2);
    let body = [der_integer(r), der_integer(s)].concat();
    let mut out = vec![0x30];
    if body.len() >= 0x80 {
        out.push(0x81);
    }
    out.push(body.len() as u8);
    out.extend(body);
    out
}

const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// A public JWK as cctoken writes it: a JSON object of base64url strings
/// with no private member.
fn check_jwk(jwk: &str) -> serde_json::Map<String, serde_json::Value> {
    let value: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(jwk).expect("JWK is a JSON object");
    for member in PRIVATE_MEMBERS {
        assert!(!value.contains_key(member), "private member {member}");
    }
    for (name, v) in &value {
        let v = v.as_str().expect("string members");
        if !["kty", "crv"].contains(&name.as_str()) {
            assert!(b64url_decode(v).is_some(), "{name} is base64url");
        }
    }
    value
}

/// Verifies `signature` over `input` from the public JWK with ring.
fn ring_verifies(jwk: &serde_json::Map<String, serde_json::Value>, alg: &str, input: &[u8], signature: &[u8]) -> bool {
    use ring::signature::{self as sig, RsaPublicKeyComponents, UnparsedPublicKey};
    let member = |name: &str| b64url_decode(jwk[name].as_str().unwrap()).unwrap();
    let point = || [&[4][..], &member("x"), &member("y")].concat();
    match alg {
        "ES256" => UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, point()).verify(input, signature).is_ok(),
        "ES384" => UnparsedPublicKey::new(&sig::ECDSA_P384_SHA384_FIXED, point()).verify(input, signature).is_ok(),
        "RS256" => RsaPublicKeyComponents { n: member("n"), e: member("e") }
            .verify(&sig::RSA_PKCS1_2048_8192_SHA256, input, signature)
            .is_ok(),
        "EdDSA" => UnparsedPublicKey::new(&sig::ED25519, member("x")).verify(input, signature).is_ok(),
        other => panic!("unexpected algorithm {other}"),
    }
}

fn pem(text: &str) {
    match PrivateKey::from_pem(text) {
        Ok(key) => {
            let jwk = check_jwk(&key_jwk(&key));
            let debug = format!("{key:?}");
            assert!(!debug.contains("PRIVATE"), "{debug}");
            let signature = sign_jws(&key, b"fuzz").expect("a loaded key signs");
            assert!(ring_verifies(&jwk, key.algorithm(), b"fuzz", &signature));
        }
        Err(e) => {
            assert!(
                matches!(e.kind(), ErrorKind::Credentials | ErrorKind::Config),
                "{e:?}"
            );
            // No base64 line of the input (key material) comes back in the
            // message. (Other lines may: the fuzzer writes our own phrases.)
            let shown = e.to_string();
            let base64 = |l: &&str| {
                l.len() >= 24 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
            };
            for line in text.lines().filter(base64) {
                assert!(!shown.contains(line), "{shown}");
            }
        }
    }
}

fn signature(der: &[u8], half: usize) {
    if let Some(raw) = signature_to_raw(der, half) {
        assert_eq!(raw.len(), 2 * half);
        assert_eq!(raw_to_der(&raw), der, "accepted DER is canonical");
    }
}

fn spki(der: &[u8]) {
    if let Some(jwk) = spki_to_jwk(der) {
        let jwk = check_jwk(&jwk);
        match jwk["kty"].as_str().unwrap() {
            "EC" => {
                let half = if jwk["crv"] == "P-256" { 32 } else { 48 };
                for m in ["x", "y"] {
                    assert_eq!(b64url_decode(jwk[m].as_str().unwrap()).unwrap().len(), half);
                }
            }
            "RSA" => {
                for m in ["n", "e"] {
                    let v = b64url_decode(jwk[m].as_str().unwrap()).unwrap();
                    assert!(!v.is_empty() && v[0] != 0, "{m} without leading zeros");
                }
            }
            "OKP" => assert_eq!(b64url_decode(jwk["x"].as_str().unwrap()).unwrap().len(), 32),
            other => panic!("kty {other}"),
        }
    }
}

fn base64(data: &[u8]) {
    assert_eq!(b64url_decode(&b64url(data)).as_deref(), Some(data));
    let text = String::from_utf8_lossy(data);
    if let Some(bytes) = b64url_decode(&text) {
        assert_eq!(b64url(&bytes), text, "accepted base64url is canonical");
    }
}

fn exp(text: &str) {
    if let Err(e) = jwt_exp(text) {
        assert_eq!(e.kind(), ErrorKind::Credentials);
        if text.len() >= 16 {
            assert!(!e.to_string().contains(text));
        }
    }
}

fn htu(text: &str) {
    match normalize_htu(text) {
        Ok(out) => {
            assert!(out.starts_with("https://") || out.starts_with("http://"), "{out}");
            assert!(!out.contains(['?', '#']), "{out}");
            assert_eq!(normalize_htu(&out).unwrap(), out, "idempotent");
        }
        Err(e) => assert_eq!(e.kind(), ErrorKind::Config),
    }
}

fn claims(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (id, aud) = text.split_once('\0').unwrap_or((&text, ""));
    let iat = data.len() as u64 * 1_000_003;
    let json = assertion_claims(id, aud, "jti", iat, iat + 300);
    let value: serde_json::Value = serde_json::from_str(&json).expect("claims are JSON");
    assert_eq!(value["iss"], id);
    assert_eq!(value["sub"], id);
    assert_eq!(value["aud"], aud);
    assert_eq!(value["iat"], iat);
    assert_eq!(value["exp"], iat + 300);
}

/// The test key of the DPoP case: made once, loaded from its PEM.
fn dpop_key() -> &'static PrivateKey {
    static KEY: std::sync::OnceLock<PrivateKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        PrivateKey::from_pem(include_str!("../../tests/fixtures/keys/p256-pkcs8.pem")).unwrap()
    })
}

/// A DPoP proof from fuzzed method, URL, nonce and token (split at NULs):
/// well-formed, verifiable with its own `jwk`, carrying exactly what was
/// given (the `htu` normalised, the `ath` of the token, checked with
/// ring's SHA-256), or a `Config` error; the key's JWK thumbprint is that
/// of the `jwk` in the header.
fn dpop(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let method = parts.next().unwrap_or("");
    let url = parts.next().unwrap_or("");
    let nonce = parts.next();
    let token = parts.next();
    let key = dpop_key();
    match dpop_proof(key, method, url, 1_700_000_000, nonce, token) {
        Ok(proof) => {
            let segments: Vec<&str> = proof.split('.').collect();
            assert_eq!(segments.len(), 3);
            let header: serde_json::Value =
                serde_json::from_slice(&b64url_decode(segments[0]).unwrap()).unwrap();
            let claims: serde_json::Value =
                serde_json::from_slice(&b64url_decode(segments[1]).unwrap()).unwrap();
            assert_eq!(header["typ"], "dpop+jwt");
            let jwk = check_jwk(&header["jwk"].to_string());
            let signature = b64url_decode(segments[2]).unwrap();
            let input = format!("{}.{}", segments[0], segments[1]);
            assert!(ring_verifies(&jwk, "ES256", input.as_bytes(), &signature));
            assert_eq!(claims["htm"], method);
            assert_eq!(claims["htu"], normalize_htu(url).unwrap().as_str());
            assert_eq!(claims["nonce"].as_str(), nonce);
            // `ath` and the thumbprint, computed here with ring's SHA-256
            // (RFC 9449 §4.2, RFC 7638 §3: the EC members in order).
            let sha256 = |text: &str| {
                b64url(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref())
            };
            match token {
                Some(token) => assert_eq!(claims["ath"], sha256(token).as_str()),
                None => assert!(claims.get("ath").is_none()),
            }
            let canonical = format!(
                r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#,
                header["jwk"]["crv"], header["jwk"]["x"], header["jwk"]["y"]
            );
            assert_eq!(thumbprint(key), sha256(&canonical));
        }
        Err(e) => assert_eq!(e.kind(), ErrorKind::Config, "{e:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let text = || String::from_utf8_lossy(rest);
    match pick % 9 {
        8 => dpop(rest),
        0 => pem(&text()),
        1 => signature(rest, 32),
        2 => signature(rest, 48),
        3 => spki(rest),
        4 => base64(rest),
        5 => exp(&text()),
        6 => htu(&text()),
        _ => claims(rest),
    }
});
