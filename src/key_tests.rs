use super::*;
use crate::test_keys::*;

#[cfg(not(any(feature = "https", feature = "https-os-roots", feature = "aws-lc-rs")))]
mod without_provider {
    use super::*;

    fn assert_no_provider(result: Result<PrivateKey>) {
        let e = result.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(
            e.to_string().contains(
                "built without a crypto provider: enable the `https`, `https-os-roots` or \
                 `aws-lc-rs` feature"
            ),
            "{e}"
        );
    }

    #[test]
    fn from_pem_needs_a_provider() {
        assert_no_provider(PrivateKey::from_pem(P256_PKCS8));
    }

    #[test]
    fn from_pem_file_needs_a_provider() {
        assert_no_provider(PrivateKey::from_pem_file("/nonexistent/key.pem"));
    }

    #[test]
    fn generate_needs_a_provider() {
        assert_no_provider(PrivateKey::generate());
    }
}

#[test]
fn private_key_is_send_sync() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<PrivateKey>();
}

#[test]
fn bit_length_counts_from_the_first_set_bit() {
    assert_eq!(bit_length(&[]), 0);
    assert_eq!(bit_length(&[0, 0]), 0);
    assert_eq!(bit_length(&[1]), 1);
    assert_eq!(bit_length(&[0, 0x80, 0]), 16);
    assert_eq!(bit_length(&[0x7f; 256]), 2047);
}

#[test]
fn pem_labels_found_in_order() {
    let (labels, legacy) = pem_labels(P256_WITH_PARAMS);
    assert_eq!(labels, ["EC PARAMETERS", "EC PRIVATE KEY"]);
    assert!(!legacy);
    let (labels, legacy) = pem_labels(RSA_LEGACY_ENCRYPTED);
    assert_eq!(labels, ["RSA PRIVATE KEY"]);
    assert!(legacy);
}

#[cfg(any(feature = "https", feature = "https-os-roots", feature = "aws-lc-rs"))]
mod with_provider {
    use super::*;

    #[test]
    fn installed_provider_is_the_features_choice() {
        crypto::ensure_provider().unwrap();
        let name = format!("{:?}", crypto::provider().unwrap().key_provider);
        let want = if cfg!(feature = "aws-lc-rs") {
            "AwsLcRs"
        } else {
            "Ring"
        };
        assert_eq!(name, want);
    }

    /// One named test per signing key: it loads, with the expected
    /// algorithm, public JWK (as Python's `cryptography` computed it) and
    /// thumbprint.
    macro_rules! loads {
        ($($name:ident: $index:expr;)*) => {$(
            #[test]
            fn $name() {
                let (pem, alg, jwk, thumbprint) = SIGNING_KEYS[$index];
                let key = PrivateKey::from_pem(pem).unwrap();
                assert_eq!(key.algorithm(), alg);
                assert_eq!(key.key_id(), None);
                assert_eq!(key.jwk().canonical_json(), jwk);
                assert_eq!(key.thumbprint(), thumbprint);
            }
        )*};
    }

    loads! {
        loads_p256_sec1: 0;
        loads_p256_pkcs8: 1;
        loads_p256_after_ec_parameters: 2;
        loads_p384: 3;
        loads_rsa_pkcs1: 4;
        loads_rsa_pkcs8: 5;
        loads_ed25519: 6;
        loads_rfc7515_a3_p256: 7;
        loads_rfc7515_a2_rsa: 8;
    }

    #[test]
    fn loads_with_crlf_line_ends() {
        let key = PrivateKey::from_pem(&P256_PKCS8.replace('\n', "\r\n")).unwrap();
        assert_eq!(key.jwk().canonical_json(), JWK_P256);
    }

    #[test]
    fn loads_with_text_around_the_block() {
        let pem = format!("my key, made 2026-12-01\n{P256_SEC1}\ntrailing notes\n");
        let key = PrivateKey::from_pem(&pem).unwrap();
        assert_eq!(key.jwk().canonical_json(), JWK_P256);
    }

    #[test]
    fn loads_with_a_certificate_beside_it() {
        let pem = format!("{P256_CERT}{P256_PKCS8}");
        assert_eq!(PrivateKey::from_pem(&pem).unwrap().algorithm(), "ES256");
    }

    #[test]
    fn with_key_id_sets_kid_and_leaves_the_original() {
        let key = PrivateKey::from_pem(P256_PKCS8).unwrap();
        let with = key.clone().with_key_id("2026-12 key");
        assert_eq!(with.key_id(), Some("2026-12 key"));
        assert_eq!(key.key_id(), None);
        assert_eq!(with.thumbprint(), key.thumbprint());
    }

    #[test]
    fn rsa_key_signs_ps256_on_request() {
        let key = PrivateKey::from_pem(RSA_PKCS8)
            .unwrap()
            .with_key_id("k")
            .with_algorithm("PS256")
            .unwrap();
        assert_eq!(key.algorithm(), "PS256");
        assert_eq!(key.key_id(), Some("k"));
        let back = key.clone().with_algorithm("RS256").unwrap();
        assert_eq!(key.algorithm(), "PS256");
        assert_eq!(back.algorithm(), "RS256");
    }

    #[test]
    fn matching_algorithm_is_accepted() {
        for (pem, alg, _, _) in SIGNING_KEYS {
            let key = PrivateKey::from_pem(pem).unwrap();
            assert_eq!(key.with_algorithm(alg).unwrap().algorithm(), alg);
        }
    }

    /// Table of key / algorithm pairs that do not fit, and the message.
    macro_rules! wrong_alg {
        ($($name:ident: $pem:expr, $alg:expr => $msg:expr;)*) => {$(
            #[test]
            fn $name() {
                let e = PrivateKey::from_pem($pem).unwrap().with_algorithm($alg).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::Config);
                assert_eq!(e.to_string(), format!("invalid configuration: {}", $msg));
            }
        )*};
    }

    wrong_alg! {
        es256_on_rsa: RSA_PKCS1, "ES256" => "this RSA key cannot sign ES256 (it signs RS256 or PS256)";
        es384_on_p256: P256_PKCS8, "ES384" => "this P-256 key cannot sign ES384 (it signs ES256)";
        es256_on_p384: P384, "ES256" => "this P-384 key cannot sign ES256 (it signs ES384)";
        ps256_on_p256: P256_PKCS8, "PS256" => "this P-256 key cannot sign PS256 (it signs ES256)";
        rs256_on_ed25519: ED25519, "RS256" => "this Ed25519 key cannot sign RS256 (it signs EdDSA)";
        eddsa_on_p256: P256_SEC1, "EdDSA" => "this P-256 key cannot sign EdDSA (it signs ES256)";
        lower_case_name: P256_PKCS8, "es256"
            => "unknown JWS algorithm `es256` (supported: ES256, ES384, RS256, PS256, EdDSA)";
        hs256_is_not_a_key_algorithm: P256_PKCS8, "HS256"
            => "unknown JWS algorithm `HS256` (supported: ES256, ES384, RS256, PS256, EdDSA)";
        none_is_refused: P256_PKCS8, "none"
            => "unknown JWS algorithm `none` (supported: ES256, ES384, RS256, PS256, EdDSA)";
    }

    #[test]
    fn generate_makes_distinct_es256_keys() {
        let a = PrivateKey::generate().unwrap();
        let b = PrivateKey::generate().unwrap();
        assert_eq!(a.algorithm(), "ES256");
        assert!(matches!(a.jwk(), Jwk::Ec { crv: "P-256", .. }));
        assert_ne!(a.thumbprint(), b.thumbprint());
        let signature = a.sign_jws(b"input").unwrap();
        let jwk = a.jwk().canonical_json();
        assert!(ring_verifies(&jwk, "ES256", b"input", &signature));
        assert!(!ring_verifies(&jwk, "ES256", b"other", &signature));
    }

    /// Every base64 line of a PEM body, and the private scalar as JWS
    /// would write it, must be absent from `text`.
    fn assert_no_key_material(text: &str, pem: &str) {
        for line in pem
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() > 16)
        {
            assert!(!text.contains(line), "key material in {text:?}");
            assert!(!text.contains(&line[..16]), "key material in {text:?}");
        }
    }

    #[test]
    fn debug_shows_algorithm_kid_thumbprint_only() {
        let key = PrivateKey::from_pem(P256_PKCS8).unwrap().with_key_id("k1");
        let debug = format!("{key:?}");
        assert_eq!(
            debug,
            "PrivateKey { algorithm: \"ES256\", key_id: Some(\"k1\"), \
             thumbprint: \"cZuN9voGoca-ZvZ6XAYw8WxflG54voh1h4daNGnG2vw\" }"
        );
        assert_no_key_material(&debug, P256_PKCS8);
        assert_no_key_material(&format!("{key:#?}"), P256_PKCS8);
        // The RFC 7515 A.3 key's private scalar `d`, in its JWK form.
        let rfc = format!("{:?}", PrivateKey::from_pem(RFC7515_A3_P256).unwrap());
        assert!(!rfc.contains("jpsQnnGQmL"), "{rfc}");
    }

    /// Table of PEM texts that are not one usable private key, and what
    /// the error must say.
    macro_rules! pem_err {
        ($($name:ident: $pem:expr => $($needle:expr),+;)*) => {$(
            #[test]
            fn $name() {
                let pem: &str = &$pem;
                let e = PrivateKey::from_pem(pem).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::Credentials, "{e}");
                let text = e.to_string();
                $(assert!(text.contains($needle), "{text:?} lacks {:?}", $needle);)+
                assert_no_key_material(&text, pem);
                assert_no_key_material(&format!("{e:?}"), pem);
            }
        )*};
    }

    pem_err! {
        pem_empty: "" => "the key is empty";
        pem_blank: "\n  \n" => "the key is empty";
        pem_garbage: "not a key at all" => "no PEM private key found";
        pem_bare_base64: P256_PKCS8.lines().nth(1).unwrap() => "no PEM private key found";
        pem_encrypted_pkcs8: P256_ENCRYPTED
            => "found an encrypted private key", "openssl pkcs8 -in KEY -out KEY.plain";
        pem_legacy_encrypted_rsa: RSA_LEGACY_ENCRYPTED
            => "found an encrypted private key", "openssl pkcs8";
        pem_certificate: P256_CERT => "found `CERTIFICATE`, not a private key";
        pem_public_key: P256_PUB => "found `PUBLIC KEY`, not a private key";
        pem_certificate_and_public_key: format!("{P256_CERT}{P256_PUB}")
            => "found `CERTIFICATE`, `PUBLIC KEY`, not a private key";
        pem_openssh: OPENSSH => "OpenSSH private key", "ssh-keygen -p -m PKCS8";
        pem_dsa: "-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n"
            => "found `DSA PRIVATE KEY`, a kind of private key cctoken does not read";
        pem_label_unknown_not_quoted: "-----BEGIN A\x1b[31mB-----\n" => "found an unknown label, not a private key";
        pem_label_with_key_material_not_quoted: "-----BEGIN MHcCAQEEIBYmzXh5JkCq7N8m9oxwSLgqJ-----\n" => "found an unknown label";
        pem_two_keys: format!("{P256_PKCS8}{RSA_PKCS8}") => "found 2 private keys";
        pem_bad_base64: P256_PKCS8.replacen("MIGH", "M!GH", 1) => "malformed PEM";
        pem_no_end_line: P256_PKCS8.replace("-----END PRIVATE KEY-----", "") => "malformed PEM";
        pem_truncated_der: {
            let mut lines: Vec<&str> = P256_PKCS8.lines().collect();
            lines.remove(2);
            lines.join("\n")
        } => "the crypto provider cannot use this private key";
        // ring cannot load P-521 keys; aws-lc-rs can, and the public key
        // then says why it is refused.
        pem_p521: P521 => "P-256", "P-384";
        pem_rsa_1024: RSA_1024 => "2048 bits";
        pem_ec_key_labelled_rsa: P256_SEC1.replace("EC PRIVATE KEY", "RSA PRIVATE KEY")
            => "the crypto provider cannot use this private key";
        // Fuzz regression: loaded by ring, then every signature failed
        // (aws-lc-rs refuses it on loading).
        regression_fuzz_rsa_key_loads_but_cannot_sign: FUZZ_RSA_CANNOT_SIGN
            => "private key", "cannot";
    }

    /// Fuzz regression (the `jose` target, 2026-12-01): a damaged file
    /// whose BEGIN lines held base64 had it quoted back as PEM labels.
    /// Only known labels are named now.
    #[test]
    fn regression_fuzz_pem_labels_quoted_key_material() {
        let input = include_bytes!("../fuzz/corpus/seed/jose-crash-pem-label-echo");
        let text = String::from_utf8_lossy(&input[1..]);
        let e = PrivateKey::from_pem(&text).unwrap_err();
        let shown = e.to_string();
        for line in text.lines().filter(|l| {
            l.len() >= 24
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        }) {
            assert!(!shown.contains(line), "{shown}");
        }
        assert!(shown.contains("unknown label"), "{shown}");
    }

    #[cfg(not(feature = "aws-lc-rs"))]
    #[test]
    fn regression_fuzz_ring_refuses_rsa_key_on_loading() {
        let e = PrivateKey::from_pem(FUZZ_RSA_CANNOT_SIGN).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot load credentials: the private key is damaged: \
             the crypto provider cannot sign with it"
        );
    }

    /// A private copy of `pem` in a fresh directory (removed with the
    /// returned `TempDir`), with `mode`.
    #[cfg(unix)]
    fn key_file(pem: &str, mode: u32) -> (crate::test_dirs::TempDir, std::path::PathBuf) {
        let dir = crate::test_dirs::TempDir::new("key");
        let path = dir.file("key.pem", pem, mode);
        (dir, path)
    }

    #[cfg(unix)]
    #[test]
    fn from_pem_file_loads_a_private_file() {
        let (_dir, path) = key_file(RSA_PKCS1, 0o600);
        let key = PrivateKey::from_pem_file(&path).unwrap();
        assert_eq!(key.algorithm(), "RS256");
        assert_eq!(key.jwk().canonical_json(), JWK_RSA);
    }

    #[cfg(unix)]
    #[test]
    fn from_pem_file_refuses_a_readable_file() {
        let (_dir, path) = key_file(P256_PKCS8, 0o644);
        let e = PrivateKey::from_pem_file(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Credentials);
        let text = e.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("chmod 600"), "{text}");
    }

    #[cfg(unix)]
    #[test]
    fn from_pem_file_names_the_file_in_pem_errors() {
        let (_dir, path) = key_file(P256_ENCRYPTED, 0o600);
        let e = PrivateKey::from_pem_file(&path).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "cannot load credentials: {}: found an encrypted private key; cctoken reads \
                 unencrypted keys only: decrypt it with `openssl pkcs8 -in KEY -out KEY.plain` \
                 (it asks for the passphrase), `chmod 600 KEY.plain`, and use KEY.plain",
                path.display()
            )
        );
    }

    #[test]
    fn from_pem_file_names_a_missing_file() {
        let e = PrivateKey::from_pem_file("/nonexistent/cctoken/key.pem").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Credentials);
        assert!(
            e.to_string().contains("/nonexistent/cctoken/key.pem"),
            "{e}"
        );
    }
}
