//! A small DER reader (X.690 §10) for the two structures the JOSE code gets
//! from the crypto provider: an ECDSA signature (`ECDSA-Sig-Value`, RFC 3279
//! §2.2.3), which JWS wants as fixed-size `r‖s` (RFC 7518 §3.4), and a
//! public key (`SubjectPublicKeyInfo`, RFC 5280 §4.1.2.7), from which the
//! JWK is made. Pure functions over untrusted bytes: strict, fuzzed, and
//! never panicking.

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const NULL: u8 = 0x05;
const OID: u8 = 0x06;

// Object identifiers, as the bytes of their DER value.
/// id-ecPublicKey, 1.2.840.10045.2.1 (RFC 5480 §2.1.1).
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// secp256r1, 1.2.840.10045.3.1.7 (RFC 5480 §2.1.1.1).
const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// secp384r1, 1.3.132.0.34.
const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
/// rsaEncryption, 1.2.840.113549.1.1.1 (RFC 3279 §2.3.1).
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// id-Ed25519, 1.3.101.112 (RFC 8410 §3).
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// Reads DER elements off the front of a byte slice.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(input: &'a [u8]) -> Reader<'a> {
        Reader { rest: input }
    }

    /// The value of the next element, which must have tag `tag`. Only
    /// definite, minimally encoded lengths of up to four bytes are read.
    fn read(&mut self, tag: u8) -> Result<&'a [u8], &'static str> {
        let (&got, rest) = self.rest.split_first().ok_or("truncated DER")?;
        if got != tag {
            return Err("unexpected DER tag");
        }
        let (&first, mut rest) = rest.split_first().ok_or("truncated DER")?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 {
                return Err("unsupported DER length");
            }
            let bytes = rest.get(..count).ok_or("truncated DER")?;
            rest = &rest[count..];
            if bytes[0] == 0 {
                return Err("non-minimal DER length");
            }
            let len = bytes.iter().fold(0usize, |n, &b| n << 8 | usize::from(b));
            if len < 0x80 {
                return Err("non-minimal DER length");
            }
            len
        };
        let value = rest.get(..len).ok_or("truncated DER")?;
        self.rest = &rest[len..];
        Ok(value)
    }

    /// Whether the next element has tag `tag`.
    fn peek(&self, tag: u8) -> bool {
        self.rest.first() == Some(&tag)
    }

    fn finish(&self) -> Result<(), &'static str> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err("trailing bytes after DER")
        }
    }

    /// A non-negative INTEGER's magnitude: big-endian, without the sign
    /// byte (so possibly empty for zero).
    fn unsigned(&mut self) -> Result<&'a [u8], &'static str> {
        let value = self.read(INTEGER)?;
        match value {
            [] => Err("empty DER integer"),
            [first, ..] if first & 0x80 != 0 => Err("negative DER integer"),
            [0, second, ..] if second & 0x80 == 0 => Err("non-minimal DER integer"),
            [0, rest @ ..] => Ok(rest),
            _ => Ok(value),
        }
    }

    /// A BIT STRING's bytes; it must have no unused bits.
    fn bit_string(&mut self) -> Result<&'a [u8], &'static str> {
        match self.read(BIT_STRING)? {
            [0, bits @ ..] => Ok(bits),
            _ => Err("BIT STRING with unused bits"),
        }
    }
}

/// An ECDSA signature in DER (`SEQUENCE { r INTEGER, s INTEGER }`) as the
/// JWS form `r‖s`, each left-padded with zeros to `half` bytes (32 for
/// P-256, 48 for P-384: RFC 7518 §3.4). Refuses anything else: trailing
/// bytes, zero, negative or over-long integers, non-minimal encodings.
pub(crate) fn signature_to_raw(der: &[u8], half: usize) -> Result<Vec<u8>, &'static str> {
    if half == 0 {
        return Err("no curve has zero-length ECDSA integers");
    }
    let mut outer = Reader::new(der);
    let mut seq = Reader::new(outer.read(SEQUENCE)?);
    outer.finish()?;
    let mut raw = vec![0u8; 2 * half];
    for slot in raw.chunks_exact_mut(half) {
        let n = seq.unsigned()?;
        if n.is_empty() {
            return Err("zero in ECDSA signature");
        }
        if n.len() > half {
            return Err("ECDSA signature integer too long for the curve");
        }
        slot[half - n.len()..].copy_from_slice(n);
    }
    seq.finish()?;
    Ok(raw)
}

/// A public key as a `SubjectPublicKeyInfo` holds it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PublicKey<'a> {
    /// An uncompressed point on P-256 or P-384 (SEC 1 §2.3.3).
    Ec {
        p384: bool,
        x: &'a [u8],
        y: &'a [u8],
    },
    /// Modulus and public exponent, without leading zeros.
    Rsa { n: &'a [u8], e: &'a [u8] },
    /// The 32-byte Ed25519 public key (RFC 8032 §5.1.5).
    Ed25519 { x: &'a [u8] },
}

/// Reads a DER `SubjectPublicKeyInfo` of the key types JWS signing here
/// supports: EC on P-256 or P-384, RSA, Ed25519.
pub(crate) fn parse_spki(der: &[u8]) -> Result<PublicKey<'_>, &'static str> {
    let mut outer = Reader::new(der);
    let mut spki = Reader::new(outer.read(SEQUENCE)?);
    outer.finish()?;
    let mut alg = Reader::new(spki.read(SEQUENCE)?);
    let bits = spki.bit_string()?;
    spki.finish()?;
    let oid = alg.read(OID)?;
    let key = if oid == EC_PUBLIC_KEY {
        let curve = alg.read(OID)?;
        let (p384, half) = if curve == P256 {
            (false, 32)
        } else if curve == P384 {
            (true, 48)
        } else {
            return Err("unsupported elliptic curve (supported: P-256, P-384)");
        };
        match bits {
            [0x04, point @ ..] if point.len() == 2 * half => PublicKey::Ec {
                p384,
                x: &point[..half],
                y: &point[half..],
            },
            [0x02 | 0x03, ..] => return Err("compressed EC point"),
            _ => return Err("malformed EC point"),
        }
    } else if oid == RSA_ENCRYPTION {
        if alg.peek(NULL) && !alg.read(NULL)?.is_empty() {
            return Err("malformed RSA algorithm parameters");
        }
        let mut outer = Reader::new(bits);
        let mut key = Reader::new(outer.read(SEQUENCE)?);
        outer.finish()?;
        let n = key.unsigned()?;
        let e = key.unsigned()?;
        key.finish()?;
        if n.is_empty() || e.is_empty() {
            return Err("zero in RSA public key");
        }
        PublicKey::Rsa { n, e }
    } else if oid == ED25519 {
        if bits.len() != 32 {
            return Err("malformed Ed25519 public key");
        }
        PublicKey::Ed25519 { x: bits }
    } else {
        return Err("unsupported key type (supported: EC P-256 and P-384, RSA, Ed25519)");
    };
    alg.finish()?;
    Ok(key)
}

#[cfg(test)]
#[path = "der_tests.rs"]
mod tests;
