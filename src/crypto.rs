//! The process's rustls `CryptoProvider`: installing it, and the few
//! primitives the JOSE code needs from it (SHA-256, HMAC-SHA256, random
//! bytes, loading and signing with a private key). Besides this file only
//! `transport.rs` and `key.rs` (PEM decoding by rustls' pki-types) name
//! rustls.
//!
//! Built without a TLS feature there is no provider: every function here
//! fails with [`no_provider`], and [`KeyPair`] cannot be made.

use crate::error::{Error, Result};

/// The error of every key-based operation in a build without rustls.
#[cfg_attr(
    any(feature = "https", feature = "https-os-roots", feature = "aws-lc-rs"),
    allow(dead_code, reason = "used by the build without a provider")
)]
pub(crate) fn no_provider() -> Error {
    Error::config(
        "built without a crypto provider: enable the `https`, `https-os-roots` or `aws-lc-rs` \
         feature",
    )
}

/// The JWS `alg` values cctoken signs with (RFC 7518 §3.1, RFC 8037 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    Es256,
    Es384,
    Rs256,
    Ps256,
    EdDsa,
}

impl Algorithm {
    pub(crate) const ALL: [Algorithm; 5] = [
        Algorithm::Es256,
        Algorithm::Es384,
        Algorithm::Rs256,
        Algorithm::Ps256,
        Algorithm::EdDsa,
    ];

    /// The `alg` header value.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Algorithm::Es256 => "ES256",
            Algorithm::Es384 => "ES384",
            Algorithm::Rs256 => "RS256",
            Algorithm::Ps256 => "PS256",
            Algorithm::EdDsa => "EdDSA",
        }
    }

    /// The algorithm named `name` (case-sensitive, as JWS is).
    pub(crate) fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// The kind of PKCS container a DER key came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    not(any(feature = "https", feature = "https-os-roots", feature = "aws-lc-rs")),
    allow(dead_code, reason = "without a provider the PEM reader names none")
)]
pub(crate) enum Container {
    Pkcs8,
    Sec1,
    Pkcs1,
}

#[cfg(any(feature = "https", feature = "https-os-roots", feature = "aws-lc-rs"))]
mod imp {
    use super::{Algorithm, Container};
    use crate::error::{Error, ErrorKind, Result};
    use rustls::crypto::hash::HashAlgorithm;
    use rustls::crypto::tls13::OkmBlock;
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::PrivateKeyDer;
    use rustls::sign::{Signer, SigningKey};
    use rustls::{SignatureScheme, SupportedCipherSuite, Tls13CipherSuite};
    use std::fmt;
    use std::sync::Arc;

    /// The process's default provider, installing ring (or aws-lc-rs with
    /// the `aws-lc-rs` feature) first unless the program installed one. With
    /// both compiled in (minreq enables aws-lc-rs) rustls refuses to choose
    /// by itself. rustls keeps the default in a `OnceLock`: after the first
    /// call this is one load.
    pub(crate) fn provider() -> Result<&'static Arc<CryptoProvider>> {
        if let Some(provider) = CryptoProvider::get_default() {
            return Ok(provider);
        }
        #[cfg(feature = "aws-lc-rs")]
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        #[cfg(not(feature = "aws-lc-rs"))]
        let provider = rustls::crypto::ring::default_provider();
        // Err means another thread installed one first: use that.
        let _ = provider.install_default();
        // Either way a default is set now, and rustls never unsets it.
        CryptoProvider::get_default().ok_or_else(|| Error::config("no crypto provider"))
    }

    /// A TLS 1.3 suite of the provider whose hash is SHA-256: its hash and
    /// HKDF providers give SHA-256 and HMAC-SHA256 (RFC 2104).
    fn sha256_suite() -> Result<&'static Tls13CipherSuite> {
        provider()?
            .cipher_suites
            .iter()
            .find_map(|suite| match suite {
                SupportedCipherSuite::Tls13(s)
                    if s.common.hash_provider.algorithm() == HashAlgorithm::SHA256 =>
                {
                    Some(*s)
                }
                _ => None,
            })
            .ok_or_else(|| {
                Error::config("the installed crypto provider has no TLS 1.3 suite with SHA-256")
            })
    }

    pub(crate) fn sha256(data: &[u8]) -> Result<[u8; 32]> {
        let digest = sha256_suite()?.common.hash_provider.hash(data);
        digest
            .as_ref()
            .try_into()
            .map_err(|_| Error::config("the crypto provider's SHA-256 is not 32 bytes long"))
    }

    /// HMAC-SHA256 (RFC 2104) of `message` under `key`, of any length: a
    /// key longer than SHA-256's 64-byte block is hashed first, as RFC 2104
    /// §2 says (rustls' `OkmBlock` holds at most 64 bytes).
    pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> Result<[u8; 32]> {
        let suite = sha256_suite()?;
        let mut hashed = [0u8; 32];
        let key = if key.len() > OkmBlock::MAX_LEN {
            hashed = sha256(key)?;
            &hashed[..]
        } else {
            key
        };
        let tag = suite.hkdf_provider.hmac_sign(&OkmBlock::new(key), message);
        // The hashed key stands for the secret: zeroed, as `OkmBlock` is.
        hashed.fill(0);
        std::hint::black_box(&hashed);
        tag.as_ref()
            .try_into()
            .map_err(|_| Error::config("the crypto provider's HMAC-SHA256 is not 32 bytes long"))
    }

    /// `N` bytes from the provider's secure random generator.
    pub(crate) fn random<const N: usize>() -> Result<[u8; N]> {
        let mut bytes = [0u8; N];
        provider()?
            .secure_random
            .fill(&mut bytes)
            .map_err(|_| Error::config("the crypto provider's random generator failed"))?;
        Ok(bytes)
    }

    /// A private key as loaded by the provider, and once
    /// [`with_algorithm`](KeyPair::with_algorithm) chose one, the signer of
    /// that algorithm. Holds no key bytes of its own.
    #[derive(Clone)]
    pub(crate) struct KeyPair {
        key: Arc<dyn SigningKey>,
        signer: Option<Arc<dyn Signer>>,
    }

    impl fmt::Debug for KeyPair {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("KeyPair")
                .field("scheme", &self.signer.as_ref().map(|s| s.scheme()))
                .finish()
        }
    }

    fn scheme(alg: Algorithm) -> SignatureScheme {
        match alg {
            Algorithm::Es256 => SignatureScheme::ECDSA_NISTP256_SHA256,
            Algorithm::Es384 => SignatureScheme::ECDSA_NISTP384_SHA384,
            Algorithm::Rs256 => SignatureScheme::RSA_PKCS1_SHA256,
            Algorithm::Ps256 => SignatureScheme::RSA_PSS_SHA256,
            Algorithm::EdDsa => SignatureScheme::ED25519,
        }
    }

    impl KeyPair {
        /// Loads `der` through the provider's key provider. The provider
        /// drops its copy of `der` without zeroing it (out of our reach).
        /// `shown` prefixes the error (a file name and `: `, or nothing).
        pub(crate) fn load(der: Vec<u8>, container: Container, shown: &str) -> Result<KeyPair> {
            let der = match container {
                Container::Pkcs8 => PrivateKeyDer::Pkcs8(der.into()),
                Container::Sec1 => PrivateKeyDer::Sec1(der.into()),
                Container::Pkcs1 => PrivateKeyDer::Pkcs1(der.into()),
            };
            let key = provider()?
                .key_provider
                .load_private_key(der)
                .map_err(|e| {
                    Error::new(
                        ErrorKind::Credentials,
                        format!(
                            "{shown}the crypto provider cannot use this private key \
                             (supported: EC P-256 and P-384, RSA of 2048 bits or more, Ed25519)"
                        ),
                    )
                    .with_source(e)
                })?;
            Ok(KeyPair { key, signer: None })
        }

        /// A new ES256 key on P-256 in PKCS#8 (RFC 5958), from the library
        /// behind the provider the features choose.
        pub(crate) fn generate_p256() -> Result<KeyPair> {
            #[cfg(feature = "aws-lc-rs")]
            let pkcs8 = {
                use aws_lc_rs::rand::SystemRandom;
                use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                    .map_err(|_| Error::config("generating a P-256 key failed"))?
                    .as_ref()
                    .to_vec()
            };
            #[cfg(not(feature = "aws-lc-rs"))]
            let pkcs8 = {
                use ring::rand::SystemRandom;
                use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                    .map_err(|_| Error::config("generating a P-256 key failed"))?
                    .as_ref()
                    .to_vec()
            };
            KeyPair::load(pkcs8, Container::Pkcs8, "")
        }

        /// The same key signing with `alg`, or `None` when the key cannot
        /// (an RSA key asked for ES256, a P-384 key for ES256).
        pub(crate) fn with_algorithm(&self, alg: Algorithm) -> Option<KeyPair> {
            let signer = self.key.choose_scheme(&[scheme(alg)])?;
            (signer.scheme() == scheme(alg)).then(|| KeyPair {
                key: self.key.clone(),
                signer: Some(Arc::from(signer)),
            })
        }

        /// The public key as a DER `SubjectPublicKeyInfo` (RFC 5280
        /// §4.1.2.7), when the provider exports it (ring and aws-lc-rs do).
        pub(crate) fn spki(&self) -> Result<Vec<u8>> {
            self.key
                .public_key()
                .map(|spki| spki.as_ref().to_vec())
                .ok_or_else(|| {
                    Error::config("the crypto provider does not export this key's public key")
                })
        }

        /// Signs `message` with the chosen algorithm. ECDSA signatures come
        /// back DER-encoded (as TLS uses them), the others as JWS wants them.
        pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
            let signer = self
                .signer
                .as_ref()
                .ok_or_else(|| Error::config("no signing algorithm chosen for this key"))?;
            signer
                .sign(message)
                .map_err(|e| Error::config("the crypto provider failed to sign").with_source(e))
        }
    }
}

#[cfg(not(any(feature = "https", feature = "https-os-roots", feature = "aws-lc-rs")))]
mod imp {
    use super::{no_provider, Algorithm, Container};
    use crate::error::Result;

    pub(crate) fn sha256(_data: &[u8]) -> Result<[u8; 32]> {
        Err(no_provider())
    }

    pub(crate) fn hmac_sha256(_key: &[u8], _message: &[u8]) -> Result<[u8; 32]> {
        Err(no_provider())
    }

    pub(crate) fn random<const N: usize>() -> Result<[u8; N]> {
        Err(no_provider())
    }

    /// Never made: there is no provider to load a key with.
    #[derive(Debug, Clone)]
    pub(crate) struct KeyPair {
        _never: (),
    }

    impl KeyPair {
        pub(crate) fn load(_der: Vec<u8>, _container: Container, _shown: &str) -> Result<KeyPair> {
            Err(no_provider())
        }

        pub(crate) fn generate_p256() -> Result<KeyPair> {
            Err(no_provider())
        }

        pub(crate) fn with_algorithm(&self, _alg: Algorithm) -> Option<KeyPair> {
            None
        }

        pub(crate) fn spki(&self) -> Result<Vec<u8>> {
            Err(no_provider())
        }

        pub(crate) fn sign(&self, _message: &[u8]) -> Result<Vec<u8>> {
            Err(no_provider())
        }
    }
}

#[cfg(any(feature = "https", feature = "https-os-roots", feature = "aws-lc-rs"))]
pub(crate) use imp::provider;
pub(crate) use imp::{hmac_sha256, random, sha256, KeyPair};

/// Checks that a provider is available, installing the default one.
pub(crate) fn ensure_provider() -> Result<()> {
    #[cfg(any(feature = "https", feature = "https-os-roots", feature = "aws-lc-rs"))]
    {
        provider().map(|_| ())
    }
    #[cfg(not(any(feature = "https", feature = "https-os-roots", feature = "aws-lc-rs")))]
    Err(no_provider())
}
