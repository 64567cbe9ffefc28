//! The JWS tests that sign, hash or draw random bytes: they need the
//! crypto provider.

use super::*;
use crate::test_keys::*;

/// RFC 7515 A.1–A.3's JWS Payload, CRLFs and spaces included.
const RFC7515_PAYLOAD: &str =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";

/// RFC 7515 A.1: HS256 over the RFC's header and payload with its 64-byte
/// key, reproduced exactly (HMAC is deterministic).
#[test]
fn rfc7515_a1_hs256_exact() {
    let key = b64url_decode(
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
    )
    .unwrap();
    let jws = sign_compact(
        "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}",
        RFC7515_PAYLOAD,
        &Hs256(&key),
    )
    .unwrap();
    assert_eq!(
        jws,
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9\
         .eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ\
         .dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    );
}

/// RFC 7515 A.2: RS256 (RSASSA-PKCS1-v1_5, deterministic) with the RFC's
/// key, reproduced exactly.
#[test]
fn rfc7515_a2_rs256_exact() {
    let key = PrivateKey::from_pem(RFC7515_A2_RSA).unwrap();
    assert_eq!(key.algorithm(), "RS256");
    let jws = sign_compact("{\"alg\":\"RS256\"}", RFC7515_PAYLOAD, &key).unwrap();
    assert_eq!(
        jws,
        "eyJhbGciOiJSUzI1NiJ9\
         .eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ\
         .cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7\
         AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4\
         BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K\
         0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv\
         hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB\
         p0igcN_IoypGlUPQGe77Rw"
    );
}

const RFC7515_A3_JWK: &str = r#"{"crv":"P-256","kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;

/// RFC 7515 A.3: ECDSA signatures are randomised, so the RFC's own
/// signature is checked with ring, and so is one we make with its key.
#[test]
fn rfc7515_a3_es256_rfc_signature_verifies() {
    let rfc = "eyJhbGciOiJFUzI1NiJ9\
               .eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ\
               .DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
    assert!(jws_verifies(RFC7515_A3_JWK, rfc));
    // The check can fail: a changed payload does not verify.
    assert!(!jws_verifies(
        RFC7515_A3_JWK,
        &rfc.replacen(".eyJpc3MiOiJqb2", ".eyJpc3MiOiJqb3", 1)
    ));
}

#[test]
fn rfc7515_a3_es256_our_signature_verifies() {
    let key = PrivateKey::from_pem(RFC7515_A3_P256).unwrap();
    assert_eq!(key.jwk().canonical_json(), RFC7515_A3_JWK);
    let jws = sign_compact("{\"alg\":\"ES256\"}", RFC7515_PAYLOAD, &key).unwrap();
    let (_, _, input, signature) = split_jws(&jws);
    assert!(
        input.starts_with("eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQo")
    );
    assert_eq!(signature.len(), 64);
    assert!(jws_verifies(RFC7515_A3_JWK, &jws));
}

/// RFC 7638 §3.1: the thumbprint of the RFC's RSA key (its `alg` and `kid`
/// are not required members and do not count).
#[test]
fn rfc7638_thumbprint_exact() {
    let jwk = Jwk::Rsa {
        n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".into(),
        e: "AQAB".into(),
    };
    assert!(jwk
        .canonical_json()
        .starts_with(r#"{"e":"AQAB","kty":"RSA","n":"0vx7"#));
    assert_eq!(
        jwk.thumbprint().unwrap(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

const RFC9449_JWK: &str = r#"{"crv":"P-256","kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"}"#;

/// RFC 9449 §6.1: the `jkt` of the RFC's EC key.
#[test]
fn rfc9449_jkt_exact() {
    let jwk = Jwk::Ec {
        crv: "P-256",
        x: "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs".into(),
        y: "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA".into(),
    };
    assert_eq!(jwk.canonical_json(), RFC9449_JWK);
    assert_eq!(
        jwk.thumbprint().unwrap(),
        "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
    );
}

/// RFC 9449 §7.1: the `ath` of the RFC's access token.
#[test]
fn rfc9449_ath_exact() {
    assert_eq!(
        ath("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU").unwrap(),
        "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    );
}

/// RFC 9449 §4.1 (Figure 3): the RFC's DPoP proof verifies against the
/// `jwk` in its own header, and decodes to the header and claims the RFC
/// shows.
#[test]
fn rfc9449_proof_verifies() {
    let proof = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19\
                 .eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ\
                 .2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
    let (header, claims, _, _) = split_jws(proof);
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(
        header["jwk"]["x"],
        "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs"
    );
    assert_eq!(claims["htu"], "https://server.example.com/token");
    assert_eq!(claims["iat"], 1562262616);
    assert!(jws_verifies(RFC9449_JWK, proof));
}

#[test]
fn sha256_abc() {
    assert_eq!(
        b64url(&crypto::sha256(b"abc").unwrap()),
        // ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad
        "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
    );
}

/// HMAC-SHA256 against ring's, for keys around the 64-byte block size
/// (longer keys are hashed first: RFC 2104 §2; RFC 4231 test case 6 uses a
/// 131-byte key).
#[test]
fn hmac_sha256_matches_ring_for_every_key_length() {
    for len in [0, 1, 31, 32, 63, 64, 65, 100, 131, 1000] {
        let key: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        let ours = crypto::hmac_sha256(&key, b"message").unwrap();
        let theirs = ring::hmac::sign(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key),
            b"message",
        );
        assert_eq!(&ours[..], theirs.as_ref(), "key of {len} bytes");
    }
}

#[test]
fn hmac_sha256_rfc4231_case_6() {
    let tag = crypto::hmac_sha256(
        &[0xaa; 131],
        b"Test Using Larger Than Block-Size Key - Hash Key First",
    )
    .unwrap();
    let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
}

/// `(pem, alg, signature length)`: RFC 7518 §3.4 for ECDSA (64 and 96
/// bytes), the modulus length for RSA, 64 bytes for Ed25519 (RFC 8032).
const SIGNING: [(&str, &str, usize); 7] = [
    (P256_SEC1, "ES256", 64),
    (P256_PKCS8, "ES256", 64),
    (P384, "ES384", 96),
    (RSA_PKCS1, "RS256", 256),
    (RSA_PKCS8, "PS256", 256),
    (ED25519, "EdDSA", 64),
    (RFC7515_A2_RSA, "PS256", 256),
];

/// One named test per algorithm: many signatures over different inputs
/// all have the RFC length (short ECDSA `r`/`s` included, which appear in
/// about 1 of 128 signatures) and verify with ring; a changed input does
/// not.
macro_rules! signs_and_verifies {
    ($($name:ident: $index:expr;)*) => {$(
        #[test]
        fn $name() {
            let (pem, alg, len) = SIGNING[$index];
            let key = PrivateKey::from_pem(pem).unwrap().with_algorithm(alg).unwrap();
            let jwk = key.jwk().canonical_json();
            for i in 0..300u32 {
                let input = format!("header.claims-{i}");
                let signature = key.sign_jws(input.as_bytes()).unwrap();
                assert_eq!(signature.len(), len, "{alg}");
                assert!(ring_verifies(&jwk, alg, input.as_bytes(), &signature), "{alg} {i}");
                if i % 50 == 0 {
                    assert!(!ring_verifies(&jwk, alg, b"something else", &signature));
                }
            }
        }
    )*};
}

signs_and_verifies! {
    es256_sec1_signs_and_verifies: 0;
    es256_pkcs8_signs_and_verifies: 1;
    es384_signs_and_verifies: 2;
    rs256_signs_and_verifies: 3;
    ps256_signs_and_verifies: 4;
    eddsa_signs_and_verifies: 5;
    ps256_rfc_key_signs_and_verifies: 6;
}

#[test]
fn ps256_is_randomised_rs256_is_not() {
    let rs = PrivateKey::from_pem(RSA_PKCS1).unwrap();
    assert_eq!(rs.sign_jws(b"x").unwrap(), rs.sign_jws(b"x").unwrap());
    let ps = rs.with_algorithm("PS256").unwrap();
    assert_ne!(ps.sign_jws(b"x").unwrap(), ps.sign_jws(b"x").unwrap());
}

struct Failing;

impl JwsSigner for Failing {
    fn sign(&self, _input: &[u8]) -> Result<Vec<u8>> {
        Err(Error::config("no"))
    }
}

#[test]
fn sign_compact_passes_signer_errors_on() {
    let e = sign_compact("{}", "{}", &Failing).unwrap_err();
    assert_eq!(e.to_string(), "invalid configuration: no");
}

// Client assertions (RFC 7523).

const IAT: u64 = 1_700_000_000;
const TOKEN_URL: &str = "https://as.example.com/oauth2/token";

#[test]
fn jti_is_128_random_bits() {
    let a = new_jti().unwrap();
    assert_eq!(a.len(), 22);
    assert_eq!(b64url_decode(&a).unwrap().len(), 16);
    assert_ne!(a, new_jti().unwrap());
}

/// Checks one assertion's header and claims exactly, and returns its `jti`.
fn check_assertion(jws: &str, header: &str, lifetime: u64) -> String {
    let parts: Vec<&str> = jws.split('.').collect();
    let decoded = |i: usize| String::from_utf8(b64url_decode(parts[i]).unwrap()).unwrap();
    assert_eq!(decoded(0), header);
    let (_, claims, _, _) = split_jws(jws);
    let jti = claims["jti"].as_str().unwrap().to_owned();
    assert_eq!(b64url_decode(&jti).unwrap().len(), 16, "jti of 128 bits");
    assert_eq!(
        decoded(1),
        format!(
            r#"{{"iss":"client-1","sub":"client-1","aud":"{TOKEN_URL}","jti":"{jti}","iat":{IAT},"exp":{}}}"#,
            IAT + lifetime
        )
    );
    assert!(claims["exp"].as_u64().unwrap() <= claims["iat"].as_u64().unwrap() + 300);
    jti
}

#[test]
fn client_assertion_es256_with_kid_exact() {
    let key = PrivateKey::from_pem(P256_PKCS8)
        .unwrap()
        .with_key_id("key-1");
    let jws = client_assertion(&key, "client-1", TOKEN_URL, IAT, Duration::from_secs(60)).unwrap();
    check_assertion(&jws, r#"{"alg":"ES256","typ":"JWT","kid":"key-1"}"#, 60);
    assert!(jws_verifies(JWK_P256, &jws));
}

#[test]
fn client_assertion_without_kid_exact() {
    for (pem, alg, jwk, _) in SIGNING_KEYS {
        let key = PrivateKey::from_pem(pem).unwrap();
        let jws =
            client_assertion(&key, "client-1", TOKEN_URL, IAT, MAX_ASSERTION_LIFETIME).unwrap();
        check_assertion(&jws, &format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#), 300);
        assert!(jws_verifies(jwk, &jws), "{alg}");
    }
}

#[test]
fn client_assertion_ps256() {
    let key = PrivateKey::from_pem(RSA_PKCS8)
        .unwrap()
        .with_algorithm("PS256")
        .unwrap();
    let jws = client_assertion(&key, "client-1", TOKEN_URL, IAT, Duration::from_secs(120)).unwrap();
    check_assertion(&jws, r#"{"alg":"PS256","typ":"JWT"}"#, 120);
    assert!(jws_verifies(JWK_RSA, &jws));
}

#[test]
fn client_assertion_jti_differs_every_call() {
    let key = PrivateKey::from_pem(ED25519).unwrap();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..200 {
        let jws =
            client_assertion(&key, "client-1", TOKEN_URL, IAT, Duration::from_secs(60)).unwrap();
        let jti = check_assertion(&jws, r#"{"alg":"EdDSA","typ":"JWT"}"#, 60);
        assert!(seen.insert(jti), "jti repeated");
    }
}

macro_rules! lifetime_bad {
    ($($name:ident: $lifetime:expr;)*) => {$(
        #[test]
        fn $name() {
            let key = PrivateKey::from_pem(P256_PKCS8).unwrap();
            let e = client_assertion(&key, "c", TOKEN_URL, IAT, $lifetime).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config);
            assert!(e.to_string().contains("between 1 and 300 seconds"), "{e}");
            let e = client_secret_assertion(&[1; 32], "c", TOKEN_URL, IAT, $lifetime).unwrap_err();
            assert!(e.to_string().contains("between 1 and 300 seconds"), "{e}");
        }
    )*};
}

lifetime_bad! {
    lifetime_zero: Duration::ZERO;
    lifetime_under_a_second: Duration::from_millis(999);
    lifetime_301_s: Duration::from_secs(301);
    lifetime_300_s_and_a_bit: Duration::from_millis(300_001);
    lifetime_huge: Duration::MAX;
}

#[test]
fn assertion_expiry_overflow_is_an_error() {
    let key = PrivateKey::from_pem(P256_PKCS8).unwrap();
    let e = client_assertion(&key, "c", TOKEN_URL, u64::MAX, Duration::from_secs(1)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
}

/// An HS256 assertion verifies with ring's HMAC under `secret`.
fn hs256_verifies(secret: &[u8], jws: &str) -> bool {
    let (_, _, input, signature) = split_jws(jws);
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    ring::hmac::verify(&key, input.as_bytes(), &signature).is_ok()
}

#[test]
fn client_secret_assertion_exact_and_verifies() {
    let secret = b"0123456789abcdef0123456789abcdef";
    let jws = client_secret_assertion(secret, "client-1", TOKEN_URL, IAT, Duration::from_secs(90))
        .unwrap();
    check_assertion(&jws, r#"{"alg":"HS256","typ":"JWT"}"#, 90);
    assert!(hs256_verifies(secret, &jws));
    assert!(!hs256_verifies(b"0123456789abcdef0123456789abcdeF", &jws));
}

#[test]
fn client_secret_assertion_long_secret() {
    let secret = [0x5a; 200];
    let jws = client_secret_assertion(&secret, "client-1", TOKEN_URL, IAT, Duration::from_secs(90))
        .unwrap();
    assert!(hs256_verifies(&secret, &jws));
}

#[test]
fn client_secret_assertion_refuses_short_secret() {
    let secret = b"short-secret-of-31-bytes-xxxxxx";
    assert_eq!(secret.len(), 31);
    let e = client_secret_assertion(secret, "client-1", TOKEN_URL, IAT, Duration::from_secs(60))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(
        e.to_string(),
        "invalid configuration: client_secret_jwt needs a client secret of at least 32 bytes \
         (RFC 7518 §3.2); this one is shorter"
    );
    assert!(!format!("{e:?}").contains("short-secret"));
}

#[test]
fn client_secret_assertion_refuses_empty_secret() {
    let e = client_secret_assertion(b"", "c", TOKEN_URL, IAT, Duration::from_secs(60)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
}

// DPoP proofs (RFC 9449).

const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Checks a proof's header and claims exactly; returns its `jti`.
fn check_proof(jws: &str, alg: &str, jwk: &str, claims_tail: &str) -> String {
    let parts: Vec<&str> = jws.split('.').collect();
    let decoded = |i: usize| String::from_utf8(b64url_decode(parts[i]).unwrap()).unwrap();
    assert_eq!(
        decoded(0),
        format!(r#"{{"typ":"dpop+jwt","alg":"{alg}","jwk":{jwk}}}"#)
    );
    let (header, claims, _, _) = split_jws(jws);
    for member in PRIVATE_MEMBERS {
        assert!(
            header["jwk"].get(member).is_none(),
            "private member {member}"
        );
    }
    let jti = claims["jti"].as_str().unwrap().to_owned();
    assert_eq!(b64url_decode(&jti).unwrap().len(), 16);
    assert_eq!(
        decoded(1),
        format!(
            r#"{{"jti":"{jti}","htm":"POST","htu":"https://server.example.com/token","iat":1562262616{claims_tail}}}"#
        )
    );
    assert!(jws_verifies(jwk, jws), "{alg}");
    jti
}

macro_rules! dpop_exact {
    ($($name:ident: $pem:expr, $alg:expr, $jwk_index:expr;)*) => {$(
        #[test]
        fn $name() {
            let jwk = SIGNING_KEYS[$jwk_index].2;
            let key = PrivateKey::from_pem($pem)
                .unwrap()
                .with_algorithm($alg)
                .unwrap()
                .with_key_id("never-in-a-proof");
            let url = "HTTPS://Server.Example.com:443/token?q=1#f";
            let proof = dpop_proof(&key, "POST", url, 1562262616, None, None).unwrap();
            check_proof(&proof, $alg, jwk, "");
            let proof = dpop_proof(&key, "POST", url, 1562262616, Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"), None).unwrap();
            check_proof(&proof, $alg, jwk, r#","nonce":"eyJ7S_zG.eyJH0-Z.HX4w-7v""#);
            let token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
            let proof = dpop_proof(&key, "POST", url, 1562262616, Some("n"), Some(token)).unwrap();
            check_proof(&proof, $alg, jwk, r#","nonce":"n","ath":"fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo""#);
        }
    )*};
}

dpop_exact! {
    dpop_es256_exact: P256_SEC1, "ES256", 0;
    dpop_es384_exact: P384, "ES384", 3;
    dpop_rs256_exact: RSA_PKCS1, "RS256", 4;
    dpop_ps256_exact: RSA_PKCS8, "PS256", 5;
    dpop_eddsa_exact: ED25519, "EdDSA", 6;
}

#[test]
fn dpop_jti_differs_every_call() {
    let key = PrivateKey::generate().unwrap();
    let a = dpop_proof(&key, "GET", "https://rs.example/x", 1, None, None).unwrap();
    let b = dpop_proof(&key, "GET", "https://rs.example/x", 1, None, None).unwrap();
    assert_ne!(split_jws(&a).1["jti"], split_jws(&b).1["jti"]);
}

#[test]
fn dpop_refuses_bad_method() {
    let key = PrivateKey::from_pem(P256_PKCS8).unwrap();
    for method in ["", "PO ST", "GET\r\n", "POST:"] {
        let e = dpop_proof(&key, method, "https://as.example/t", 1, None, None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{method:?}");
    }
}

#[test]
fn dpop_refuses_bad_url() {
    let key = PrivateKey::from_pem(P256_PKCS8).unwrap();
    let e = dpop_proof(&key, "POST", "https://u:p@as.example/t", 1, None, None).unwrap_err();
    assert!(e.to_string().contains("user information"), "{e}");
}

/// Writes assertions and proofs of every kind to the file named by
/// `CCTOKEN_JOSE_SAMPLES`, one JSON object a line, for
/// `tests/jose_verify.py` to check with PyJWT and `cryptography` (the CI
/// step `jose-python` runs it with `--ignored`).
#[test]
#[ignore = "a generator for tests/jose_verify.py: run by .ci/run's jose-python step"]
fn write_samples_for_python() {
    let out = std::env::var_os("CCTOKEN_JOSE_SAMPLES")
        .expect("CCTOKEN_JOSE_SAMPLES names the file to write the samples to");
    let now = unix_time(std::time::SystemTime::now()).unwrap();
    let keys = [
        ("p256-sec1.pem", P256_SEC1, "ES256"),
        ("p256-pkcs8.pem", P256_PKCS8, "ES256"),
        ("p384.pem", P384, "ES384"),
        ("rsa-pkcs1.pem", RSA_PKCS1, "RS256"),
        ("rsa-pkcs8.pem", RSA_PKCS8, "PS256"),
        ("ed25519.pem", ED25519, "EdDSA"),
        ("rfc7515-a3-p256.pem", RFC7515_A3_P256, "ES256"),
        ("rfc7515-a2-rsa.pem", RFC7515_A2_RSA, "PS256"),
    ];
    let mut lines = Vec::new();
    let token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
    for (file, pem, alg) in keys {
        let key = PrivateKey::from_pem(pem)
            .unwrap()
            .with_algorithm(alg)
            .unwrap();
        let kid = key.clone().with_key_id("kid-1");
        let assertion =
            client_assertion(&kid, "client-1", TOKEN_URL, now, Duration::from_secs(300)).unwrap();
        lines.push(serde_json::json!({
            "kind": "assertion", "key_file": file, "alg": alg, "kid": "kid-1",
            "client_id": "client-1", "aud": TOKEN_URL, "jws": assertion,
        }));
        let proof = dpop_proof(
            &key,
            "POST",
            "https://Server.example.com:443/token?x",
            now,
            Some("nonce-1"),
            Some(token),
        )
        .unwrap();
        lines.push(serde_json::json!({
            "kind": "dpop", "key_file": file, "alg": alg, "htm": "POST",
            "htu": "https://server.example.com/token", "nonce": "nonce-1",
            "access_token": token, "jws": proof,
        }));
    }
    let secret = "a client secret of more than 32 bytes";
    let hs = client_secret_assertion(
        secret.as_bytes(),
        "client-1",
        TOKEN_URL,
        now,
        Duration::from_secs(300),
    )
    .unwrap();
    lines.push(serde_json::json!({
        "kind": "hs256", "secret": secret, "alg": "HS256",
        "client_id": "client-1", "aud": TOKEN_URL, "jws": hs,
    }));
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(out, text).unwrap();
}
