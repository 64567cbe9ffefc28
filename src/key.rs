//! [`PrivateKey`]: a signing key for `private_key_jwt` (RFC 7523) and DPoP
//! (RFC 9449), loaded from PEM through the process's rustls crypto
//! provider.

use crate::crypto::{self, Algorithm, Container, KeyPair};
use crate::der;
use crate::error::{Error, ErrorKind, Result};
use crate::jws::Jwk;
use crate::secret::zero_string;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// A private key that signs JWS: client assertions for `private_key_jwt`
/// (RFC 7523 §2.2) and DPoP proofs (RFC 9449).
///
/// Supported keys and their JWS algorithms (RFC 7518 §3.1, RFC 8037 §3.1):
///
/// | key | default `alg` | also |
/// |---|---|---|
/// | EC P-256 | `ES256` | |
/// | EC P-384 | `ES384` | |
/// | RSA, 2048 bits or more | `RS256` | `PS256` |
/// | Ed25519 | `EdDSA` | |
///
/// Signing goes through the process's default rustls `CryptoProvider`
/// (installed on first use, as for HTTPS: ring, or aws-lc-rs with the
/// `aws-lc-rs` feature; a provider the program installed itself is used
/// as it is). Built without the `https`, `https-os-roots` and `aws-lc-rs`
/// features there is no provider: every constructor then fails with
/// [`ErrorKind::Config`].
///
/// `Debug` shows the algorithm, the key id and the JWK thumbprint (RFC
/// 7638), never key material. Cloning is cheap (an `Arc`). The key bytes
/// live inside the provider's key object; cctoken zeroes the PEM text it
/// reads. It cannot zero the DER it hands to the provider (rustls'
/// `KeyProvider` takes it by value, and `rustls-pki-types` does not zero on
/// drop), nor the provider's own key object or the PEM decoder's buffers:
/// unlike a client secret, a private key is not zeroed when dropped.
#[derive(Clone)]
pub struct PrivateKey {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    pair: KeyPair,
    alg: Algorithm,
    key_id: Option<String>,
    jwk: Jwk,
    thumbprint: String,
    /// Made by [`PrivateKey::generate`]: it exists in this process only.
    generated: bool,
}

impl PrivateKey {
    /// Loads a PEM private key from a file.
    ///
    /// The file follows the same rules as a secret file: a regular file of
    /// at most 64 KiB, not accessible by group or others (`chmod 600`).
    /// Its content is read as [`from_pem`](PrivateKey::from_pem) reads
    /// text; the copy read is zeroed afterwards.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Credentials`] naming the file: it cannot be read, is
    /// too open, or does not hold one usable private key (see
    /// [`from_pem`](PrivateKey::from_pem)). [`ErrorKind::Config`] when
    /// cctoken was built without a crypto provider.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<PrivateKey> {
        let path = path.as_ref();
        crypto::ensure_provider()?;
        let mut text = crate::files::read_secret_file(path, crate::files::Sharing::Private)?;
        let key = parse(&text, &format!("{}: ", path.display()));
        zero_string(&mut text);
        key
    }

    /// Loads a private key from PEM text: PKCS#8 (`PRIVATE KEY`), SEC1
    /// (`EC PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`). Other PEM blocks
    /// (such as the `EC PARAMETERS` that `openssl ecparam -genkey` writes)
    /// are skipped; exactly one private key must be present.
    ///
    /// The algorithm is chosen from the key (table above); the key has no
    /// key id until [`with_key_id`](PrivateKey::with_key_id).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Credentials`] saying what was found instead: nothing,
    /// an encrypted key (with the `openssl` command that decrypts it), a
    /// certificate or public key, an OpenSSH key, several keys, malformed
    /// PEM, or a key the provider cannot use (another curve, RSA under 2048
    /// bits). [`ErrorKind::Config`] when cctoken was built without a crypto
    /// provider. Messages never contain key material.
    pub fn from_pem(pem: &str) -> Result<PrivateKey> {
        crypto::ensure_provider()?;
        parse(pem, "")
    }

    /// A new ES256 key on P-256, made in memory by ring (or aws-lc-rs with
    /// the `aws-lc-rs` feature): for DPoP, where the key only has to live
    /// as long as the tokens bound to it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when cctoken was built without a crypto
    /// provider or the generator fails.
    pub fn generate() -> Result<PrivateKey> {
        crypto::ensure_provider()?;
        let mut key = PrivateKey::new(KeyPair::generate_p256()?, "")?;
        Arc::make_mut(&mut key.inner).generated = true;
        Ok(key)
    }

    /// Whether the key was made by [`generate`](PrivateKey::generate) and
    /// so lives in this process only.
    pub(crate) fn is_generated(&self) -> bool {
        self.inner.generated
    }

    fn new(pair: KeyPair, shown: &str) -> Result<PrivateKey> {
        let unusable = |why: &str| Error::new(ErrorKind::Credentials, format!("{shown}{why}"));
        let jwk = Jwk::from_spki(&pair.spki()?).map_err(&unusable)?;
        let alg = match &jwk {
            Jwk::Ec { crv: "P-384", .. } => Algorithm::Es384,
            Jwk::Ec { .. } => Algorithm::Es256,
            Jwk::Rsa { n, .. } => {
                // RFC 7518 §3.3: 2048 bits or more.
                if crate::jws::b64url_decode(n).is_none_or(|n| bit_length(&n) < 2048) {
                    return Err(unusable("RSA key shorter than 2048 bits (RFC 7518 §3.3)"));
                }
                Algorithm::Rs256
            }
            Jwk::Ed25519 { .. } => Algorithm::EdDsa,
        };
        let pair = pair
            .with_algorithm(alg)
            .ok_or_else(|| unusable("the crypto provider cannot sign with this key"))?;
        // Fail now rather than at the first token request: ring loads some
        // inconsistent RSA keys (a damaged CRT coefficient) and only its
        // check of each signature refuses them (found by fuzzing).
        if pair.sign(b"cctoken: can this key sign?").is_err() {
            return Err(unusable(
                "the private key is damaged: the crypto provider cannot sign with it",
            ));
        }
        let thumbprint = jwk.thumbprint()?;
        Ok(PrivateKey {
            inner: Arc::new(Inner {
                pair,
                alg,
                key_id: None,
                jwk,
                thumbprint,
                generated: false,
            }),
        })
    }

    /// The key with the JWS `kid` header (RFC 7515 §4.1.4) set to `kid`:
    /// the id under which the server knows the public key, when it asks
    /// for one. Client assertions carry it; DPoP proofs do not (they carry
    /// the public key itself).
    pub fn with_key_id(mut self, kid: &str) -> PrivateKey {
        Arc::make_mut(&mut self.inner).key_id = Some(kid.to_owned());
        self
    }

    /// The key signing with the JWS algorithm `alg`: `ES256`, `ES384`,
    /// `RS256`, `PS256` or `EdDSA`. Only `PS256` for an RSA key changes
    /// anything; the other names must match the key's own.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`]: an unknown name (names are case-sensitive),
    /// or an algorithm this key cannot sign with.
    pub fn with_algorithm(mut self, alg: &str) -> Result<PrivateKey> {
        let Some(wanted) = Algorithm::from_name(alg) else {
            return Err(Error::config(format!(
                "unknown JWS algorithm `{}` (supported: ES256, ES384, RS256, PS256, EdDSA)",
                crate::error::sanitize(alg, 20)
            )));
        };
        let fits = matches!(
            (self.inner.alg, wanted),
            (
                Algorithm::Rs256 | Algorithm::Ps256,
                Algorithm::Rs256 | Algorithm::Ps256
            )
        ) || self.inner.alg == wanted;
        let pair = fits
            .then(|| self.inner.pair.with_algorithm(wanted))
            .flatten()
            .ok_or_else(|| {
                let (kind, signs) = match &self.inner.jwk {
                    Jwk::Ec { crv, .. } => (*crv, self.inner.alg.name()),
                    Jwk::Rsa { .. } => ("RSA", "RS256 or PS256"),
                    Jwk::Ed25519 { .. } => ("Ed25519", "EdDSA"),
                };
                Error::config(format!(
                    "this {kind} key cannot sign {alg} (it signs {signs})"
                ))
            })?;
        let inner = Arc::make_mut(&mut self.inner);
        inner.pair = pair;
        inner.alg = wanted;
        Ok(self)
    }

    /// The JWS `alg` this key signs with.
    pub fn algorithm(&self) -> &str {
        self.inner.alg.name()
    }

    /// The `kid` set by [`with_key_id`](PrivateKey::with_key_id).
    pub fn key_id(&self) -> Option<&str> {
        self.inner.key_id.as_deref()
    }

    /// The public key as a JWK.
    pub(crate) fn jwk(&self) -> &Jwk {
        &self.inner.jwk
    }

    /// The JWK thumbprint (RFC 7638) of the public key, base64url: the
    /// `jkt` a DPoP-bound token is bound to (RFC 9449 §6), and a stable
    /// name for the key.
    pub fn thumbprint(&self) -> &str {
        &self.inner.thumbprint
    }

    /// The public key as a JWK (RFC 7517), with `kid` when set, `alg` and
    /// `use` `sig`: what to register with the server, in its JWKS
    /// (`{"keys":[…]}`). Never a private member.
    ///
    /// ```
    /// # #[cfg(any(feature = "https", feature = "https-os-roots", feature = "aws-lc-rs"))] {
    /// let key = cctoken::PrivateKey::generate()?.with_key_id("k1");
    /// let jwk = key.public_jwk();
    /// assert!(jwk.starts_with(r#"{"crv":"P-256","kty":"EC","x":""#));
    /// assert!(jwk.ends_with(r#","kid":"k1","alg":"ES256","use":"sig"}"#));
    /// assert!(!jwk.contains("\"d\""));
    /// # }
    /// # Ok::<(), cctoken::Error>(())
    /// ```
    pub fn public_jwk(&self) -> String {
        let mut out = self.inner.jwk.canonical_json();
        out.pop();
        if let Some(kid) = &self.inner.key_id {
            out.push_str(",\"kid\":");
            crate::encode::json_string(kid, &mut out);
        }
        out.push_str(",\"alg\":");
        crate::encode::json_string(self.algorithm(), &mut out);
        out.push_str(",\"use\":\"sig\"}");
        out
    }

    /// The JWS signature of `input`; ECDSA signatures converted from DER
    /// to `r‖s`.
    pub(crate) fn sign_jws(&self, input: &[u8]) -> Result<Vec<u8>> {
        let signature = self.inner.pair.sign(input)?;
        let half = match self.inner.alg {
            Algorithm::Es256 => 32,
            Algorithm::Es384 => 48,
            _ => return Ok(signature),
        };
        der::signature_to_raw(&signature, half).map_err(|why| {
            Error::config(format!(
                "the crypto provider returned a malformed ECDSA signature: {why}"
            ))
        })
    }
}

/// The bit length of a big-endian unsigned integer.
fn bit_length(n: &[u8]) -> usize {
    match n.iter().position(|&b| b != 0) {
        Some(i) => (n.len() - i) * 8 - n[i].leading_zeros() as usize,
        None => 0,
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.algorithm())
            .field("key_id", &self.key_id())
            .field("thumbprint", &self.thumbprint())
            .finish()
    }
}

/// The labels of the `-----BEGIN …-----` lines in `text`, in order, and
/// whether a block carries the legacy `Proc-Type: 4,ENCRYPTED` header.
fn pem_labels(text: &str) -> (Vec<&str>, bool) {
    let mut labels = Vec::new();
    let mut legacy_encrypted = false;
    for line in text.lines().map(str::trim_end) {
        if let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|rest| rest.strip_suffix("-----"))
        {
            labels.push(label);
        } else if line.starts_with("Proc-Type:")
            && crate::error::find(line.as_bytes(), b"ENCRYPTED").is_some()
        {
            legacy_encrypted = true;
        }
    }
    (labels, legacy_encrypted)
}

const PRIVATE_LABELS: [&str; 3] = ["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"];

/// Finds the one private key block in `text` and loads it; `shown`
/// prefixes every error (the file name and `: `, or nothing).
fn parse(text: &str, shown: &str) -> Result<PrivateKey> {
    let error = |why: String| Error::new(ErrorKind::Credentials, format!("{shown}{why}"));
    let (labels, legacy_encrypted) = pem_labels(text);
    if labels.contains(&"ENCRYPTED PRIVATE KEY") || legacy_encrypted {
        return Err(error(
            "found an encrypted private key; cctoken reads unencrypted keys only: \
             decrypt it with `openssl pkcs8 -in KEY -out KEY.plain` (it asks for the \
             passphrase), `chmod 600 KEY.plain`, and use KEY.plain"
                .into(),
        ));
    }
    let private = labels.iter().filter(|l| PRIVATE_LABELS.contains(l)).count();
    if private > 1 {
        return Err(error(format!(
            "found {private} private keys; keep one key per file"
        )));
    }
    if private == 0 {
        return Err(error(match labels.as_slice() {
            [] if text.trim().is_empty() => "the key is empty".into(),
            [] => {
                "no PEM private key found (expected a `-----BEGIN PRIVATE KEY-----` block)".into()
            }
            labels if labels.contains(&"OPENSSH PRIVATE KEY") => {
                "found an OpenSSH private key; convert it to PKCS#8 with \
                 `ssh-keygen -p -m PKCS8 -f COPY_OF_KEY` (this rewrites that file)"
                    .into()
            }
            labels if labels.iter().any(|l| l.ends_with("PRIVATE KEY")) => format!(
                "found {}, a kind of private key cctoken does not read (expected `PRIVATE KEY`, \
                 `EC PRIVATE KEY` or `RSA PRIVATE KEY`)",
                shown_labels(labels)
            ),
            labels => format!(
                "found {}, not a private key (expected `PRIVATE KEY`, `EC PRIVATE KEY` \
                 or `RSA PRIVATE KEY`)",
                shown_labels(labels)
            ),
        }));
    }
    let (der, container) = decode_private_block(text).map_err(error)?;
    PrivateKey::new(KeyPair::load(der, container, shown)?, shown)
}

/// PEM labels as `` `A`, `B` ``: the labels RFC 7468 and common tools
/// write, as they are; any other as "an unknown label", so that nothing of
/// a damaged file (where key material could sit on a BEGIN line) comes back
/// in a message.
fn shown_labels(labels: &[&str]) -> String {
    const KNOWN: [&str; 18] = [
        "CERTIFICATE",
        "TRUSTED CERTIFICATE",
        "CERTIFICATE REQUEST",
        "NEW CERTIFICATE REQUEST",
        "X509 CRL",
        "PUBLIC KEY",
        "RSA PUBLIC KEY",
        "EC PARAMETERS",
        "DH PARAMETERS",
        "PARAMETERS",
        "PKCS7",
        "CMS",
        "ATTRIBUTE CERTIFICATE",
        "DSA PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "SSH2 PUBLIC KEY",
        "PGP PRIVATE KEY BLOCK",
    ];
    let mut out = String::new();
    for (i, label) in labels.iter().enumerate() {
        out.push_str(if i == 0 { "" } else { ", " });
        match KNOWN.iter().find(|k| *k == label) {
            Some(known) => {
                out.push('`');
                out.push_str(known);
                out.push('`');
            }
            None => out.push_str("an unknown label"),
        }
    }
    out
}

/// The DER of the one private key block (which [`parse`] made sure
/// exists) and its container.
#[cfg(any(feature = "https", feature = "https-os-roots", feature = "aws-lc-rs"))]
fn decode_private_block(text: &str) -> std::result::Result<(Vec<u8>, Container), String> {
    use rustls::pki_types::pem::{PemObject, SectionKind};
    for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(text.as_bytes()) {
        let Ok((kind, der)) = section else {
            return Err("malformed PEM (bad base64, or a block without its END line)".into());
        };
        match kind {
            SectionKind::PrivateKey => return Ok((der, Container::Pkcs8)),
            SectionKind::EcPrivateKey => return Ok((der, Container::Sec1)),
            SectionKind::RsaPrivateKey => return Ok((der, Container::Pkcs1)),
            _ => continue,
        }
    }
    Err("malformed PEM: the private key block has no END line".into())
}

#[cfg(not(any(feature = "https", feature = "https-os-roots", feature = "aws-lc-rs")))]
fn decode_private_block(_text: &str) -> std::result::Result<(Vec<u8>, Container), String> {
    Err(crypto::no_provider().to_string())
}

#[cfg(test)]
#[path = "key_tests.rs"]
mod tests;
