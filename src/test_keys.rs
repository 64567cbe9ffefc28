//! Keys for the JOSE tests (test-only: never use them for anything else).
//!
//! Made with OpenSSL 3.0:
//!
//! ```sh
//! openssl ecparam -name prime256v1 -genkey -noout -out p256-sec1.pem
//! openssl pkcs8 -topk8 -nocrypt -in p256-sec1.pem -out p256-pkcs8.pem
//! openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.pem
//! openssl genrsa -traditional -out rsa-pkcs1.pem 2048
//! openssl pkcs8 -topk8 -nocrypt -in rsa-pkcs1.pem -out rsa-pkcs8.pem
//! openssl genpkey -algorithm ED25519 -out ed25519.pem
//! openssl pkcs8 -topk8 -in p256-pkcs8.pem -passout pass:secret -out p256-encrypted.pem
//! openssl rsa -in rsa-pkcs1.pem -traditional -aes128 -passout pass:secret -out rsa-legacy-encrypted.pem
//! openssl req -new -x509 -key p256-pkcs8.pem -subj /CN=test -days 1 -out p256-cert.pem
//! openssl pkey -in p256-pkcs8.pem -pubout -out p256-pub.pem
//! openssl ecparam -name secp521r1 -genkey -noout -out p521.pem
//! openssl genrsa -traditional -out rsa1024.pem 1024
//! openssl ecparam -name prime256v1 -genkey -out p256-with-params.pem
//! ssh-keygen -t ed25519 -N '' -C test -f openssh-ed25519.key
//! ```
//!
//! The RFC 7515 keys (A.2 RSA, A.3 P-256) are the RFC's JWKs written as PEM
//! with Python's `cryptography` (the private numbers in, PEM out):
//!
//! ```python
//! import base64
//! from cryptography.hazmat.primitives.asymmetric import rsa, ec
//! from cryptography.hazmat.primitives import serialization as s
//! def b(v): return int.from_bytes(base64.urlsafe_b64decode(v + "=" * (-len(v) % 4)), "big")
//! # n, e, d, p, q, dp, dq, qi: the strings of RFC 7515 A.2.1
//! key = rsa.RSAPrivateNumbers(b(p), b(q), b(d), b(dp), b(dq), b(qi),
//!                             rsa.RSAPublicNumbers(b(e), b(n))).private_key()
//! print(key.private_bytes(s.Encoding.PEM, s.PrivateFormat.TraditionalOpenSSL,
//!                         s.NoEncryption()).decode())
//! # x, y, d: the strings of RFC 7515 A.3.1
//! key = ec.EllipticCurvePrivateNumbers(
//!     b(d), ec.EllipticCurvePublicNumbers(b(x), b(y), ec.SECP256R1())).private_key()
//! print(key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()).decode())
//! ```
//!
//! The expected JWKs below were computed from the same files by Python's
//! `cryptography`, independently of cctoken's DER reader.
#![cfg_attr(
    not(any(feature = "https", feature = "https-os-roots", feature = "aws-lc-rs")),
    allow(dead_code, reason = "without a provider only the refusals are tested")
)]

macro_rules! key {
    ($name:ident, $file:literal) => {
        pub(crate) const $name: &str = include_str!(concat!("../tests/fixtures/keys/", $file));
    };
}

key!(P256_SEC1, "p256-sec1.pem");
key!(P256_PKCS8, "p256-pkcs8.pem");
key!(P256_WITH_PARAMS, "p256-with-params.pem");
key!(P384, "p384.pem");
key!(RSA_PKCS1, "rsa-pkcs1.pem");
key!(RSA_PKCS8, "rsa-pkcs8.pem");
key!(ED25519, "ed25519.pem");
key!(P256_ENCRYPTED, "p256-encrypted.pem");
key!(RSA_LEGACY_ENCRYPTED, "rsa-legacy-encrypted.pem");
key!(P256_CERT, "p256-cert.pem");
key!(P256_PUB, "p256-pub.pem");
key!(P521, "p521.pem");
key!(RSA_1024, "rsa1024.pem");
key!(OPENSSH, "openssh-ed25519.key");
key!(RFC7515_A2_RSA, "rfc7515-a2-rsa.pem");
// Found by the `jose` fuzz target: `rsa-pkcs8.pem` with one base64
// character changed (in the CRT coefficients). ring loads it, then refuses
// every signature; OpenSSL refuses to load it.
key!(FUZZ_RSA_CANNOT_SIGN, "fuzz-rsa-cannot-sign.pem");
key!(RFC7515_A3_P256, "rfc7515-a3-p256.pem");

/// `(pem, alg, canonical JWK, RFC 7638 thumbprint)` per signing key.
pub(crate) const SIGNING_KEYS: [(&str, &str, &str, &str); 9] = [
    (
        P256_SEC1,
        "ES256",
        JWK_P256,
        "cZuN9voGoca-ZvZ6XAYw8WxflG54voh1h4daNGnG2vw",
    ),
    (
        P256_PKCS8,
        "ES256",
        JWK_P256,
        "cZuN9voGoca-ZvZ6XAYw8WxflG54voh1h4daNGnG2vw",
    ),
    (
        P256_WITH_PARAMS,
        "ES256",
        r#"{"crv":"P-256","kty":"EC","x":"WVYu5wi80TO4286QAzV7bivpD2yW7UAv03UxdSXvg-U","y":"zb_c4d6t5ltSXvAHtWCPLu78rOSsYFi1CzxxKDvZ59k"}"#,
        "myZkfCPdxQAgr3t7jxSTQOBcVg07RJjgcv_1Ak5uIv4",
    ),
    (
        P384,
        "ES384",
        r#"{"crv":"P-384","kty":"EC","x":"mB7G_AQZU_aWk5xjSWU0k3dc-EJp0KxZ19llWOeJNOQ4E-8z1qbR4t6nuM5gzP7a","y":"oAL3CCPLWz7HTHlC5RErGXYYDEi4k7a1VTKX9ioU85S3RCr4rSMgtRSasmzxSNRV"}"#,
        "NiWA52iBoW9ekGUIyZpWw-kRBXxrlR0IkZlzadsnukw",
    ),
    (
        RSA_PKCS1,
        "RS256",
        JWK_RSA,
        "vB_1xaJJbJcALptysSuNH-GfRqTQgRrRz4gGZAaK_6I",
    ),
    (
        RSA_PKCS8,
        "RS256",
        JWK_RSA,
        "vB_1xaJJbJcALptysSuNH-GfRqTQgRrRz4gGZAaK_6I",
    ),
    (
        ED25519,
        "EdDSA",
        r#"{"crv":"Ed25519","kty":"OKP","x":"SnaO16kDnToP62KpYurIlu9D80762HmuI4BhxTT8Icg"}"#,
        "Evsh-LH6A4Qw5Wy47t_eCBrL0Y5YoDZOA5e5cwW5vEI",
    ),
    (
        RFC7515_A3_P256,
        "ES256",
        r#"{"crv":"P-256","kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#,
        "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U",
    ),
    (
        RFC7515_A2_RSA,
        "RS256",
        r#"{"e":"AQAB","kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"}"#,
        "IsUn6_e04MaShXFIISMp4kG62LWzMIPy_MvSA5pJgX8",
    ),
];

pub(crate) const JWK_P256: &str = r#"{"crv":"P-256","kty":"EC","x":"h-vi5MHWzOWwMaPqoqIJziRJ1bwx-qej-YAVXCWv_X8","y":"nqMWmqwQpF30gp3H7GRjStg9G8WZaVlOt67kLkhG53E"}"#;
pub(crate) const JWK_RSA: &str = r#"{"e":"AQAB","kty":"RSA","n":"kyF9wCK6kzD4WkrmjWGxqILoY9XhQDsPf9IdYnyxIdyWu0dEXX4KEJ8q8mH5g6uPvLoGGSD8_7lXxURMegAMAWbs9ftxsXDjW0fQklsae70fQPZQQupzJkk2ult55mFAzUqb0_0nZVsRKo_Jkkm-miy2QxXQiJSYXdnDeN5tRt65MIJ-xWtPE6sW72TRY_LoiyHP3QxgC8RCawSE2edOGoEBY7imYAdutG6WYE2d-yl12rLjQy6pawFg9pxlVz7WP8DwTqF6rkn_5Y9te3wnNs-NWmtDRLEZRTNcp67zjS65ubGCEkqHfoc1kDfrRCCrbLvKK4ltValSEdhSWg_N-Q"}"#;

/// Verifies a JWS signature with ring's public-key API, from the public
/// JWK alone: independent of the provider and of cctoken's signing path.
pub(crate) fn ring_verifies(jwk: &str, alg: &str, input: &[u8], signature: &[u8]) -> bool {
    use ring::signature::{self as sig, RsaPublicKeyComponents, UnparsedPublicKey};
    let jwk: serde_json::Value = serde_json::from_str(jwk).expect("JWK is JSON");
    let member = |name: &str| {
        crate::jws::b64url_decode(jwk[name].as_str().expect("member present"))
            .expect("member is base64url")
    };
    let ec_point = || [&[4][..], &member("x"), &member("y")].concat();
    match alg {
        "ES256" => UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, ec_point())
            .verify(input, signature)
            .is_ok(),
        "ES384" => UnparsedPublicKey::new(&sig::ECDSA_P384_SHA384_FIXED, ec_point())
            .verify(input, signature)
            .is_ok(),
        "RS256" | "PS256" => {
            let params = if alg == "RS256" {
                &sig::RSA_PKCS1_2048_8192_SHA256
            } else {
                &sig::RSA_PSS_2048_8192_SHA256
            };
            RsaPublicKeyComponents {
                n: member("n"),
                e: member("e"),
            }
            .verify(params, input, signature)
            .is_ok()
        }
        "EdDSA" => UnparsedPublicKey::new(&sig::ED25519, member("x"))
            .verify(input, signature)
            .is_ok(),
        other => panic!("no verifier for {other}"),
    }
}

/// The header and claims of a compact JWS as JSON, the signing input and
/// the signature bytes.
pub(crate) fn split_jws(jws: &str) -> (serde_json::Value, serde_json::Value, String, Vec<u8>) {
    let parts: Vec<&str> = jws.split('.').collect();
    assert_eq!(parts.len(), 3, "three parts: {jws}");
    let json = |part: &str| {
        let bytes = crate::jws::b64url_decode(part).expect("base64url");
        serde_json::from_slice(&bytes).expect("JSON")
    };
    (
        json(parts[0]),
        json(parts[1]),
        format!("{}.{}", parts[0], parts[1]),
        crate::jws::b64url_decode(parts[2]).expect("base64url signature"),
    )
}

/// Verifies a compact JWS with [`ring_verifies`], with `alg` from its
/// header.
pub(crate) fn jws_verifies(jwk: &str, jws: &str) -> bool {
    let (header, _, input, signature) = split_jws(jws);
    let alg = header["alg"].as_str().expect("alg");
    ring_verifies(jwk, alg, input.as_bytes(), &signature)
}
