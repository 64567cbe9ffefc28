use super::*;

/// A DER element with tag `tag` around `value` (lengths up to 65535).
fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match value.len() {
        n @ 0..=0x7f => out.push(n as u8),
        n @ 0x80..=0xff => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(value);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(SEQUENCE, &parts.concat())
}

fn int(value: &[u8]) -> Vec<u8> {
    tlv(INTEGER, value)
}

/// An ECDSA signature with integers encoded exactly as given.
fn sig(r: &[u8], s: &[u8]) -> Vec<u8> {
    seq(&[&int(r), &int(s)])
}

/// Table of DER signatures and the `r‖s` they must give.
macro_rules! raw_ok {
    ($($name:ident: $der:expr, $half:expr => $raw:expr;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(signature_to_raw(&$der, $half), Ok($raw));
        }
    )*};
}

/// Table of malformed DER signatures and the reason each is refused.
macro_rules! raw_err {
    ($($name:ident: $der:expr, $half:expr => $why:expr;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(signature_to_raw(&$der, $half), Err($why));
        }
    )*};
}

fn full(byte: u8, len: usize) -> Vec<u8> {
    vec![byte; len]
}

fn padded(value: &[u8], half: usize) -> Vec<u8> {
    let mut out = vec![0; half - value.len()];
    out.extend_from_slice(value);
    out
}

raw_ok! {
    raw_full_width_p256: sig(&full(0x11, 32), &full(0x22, 32)), 32
        => [full(0x11, 32), full(0x22, 32)].concat();
    raw_sign_byte_stripped: sig(&[&[0][..], &full(0x81, 32)].concat(), &full(0x22, 32)), 32
        => [full(0x81, 32), full(0x22, 32)].concat();
    raw_short_r_padded: sig(&full(0x11, 31), &full(0x22, 32)), 32
        => [padded(&full(0x11, 31), 32), full(0x22, 32)].concat();
    raw_short_s_padded: sig(&full(0x11, 32), &full(0x22, 30)), 32
        => [full(0x11, 32), padded(&full(0x22, 30), 32)].concat();
    raw_one_byte_values: sig(&[1], &[0x7f]), 32
        => [padded(&[1], 32), padded(&[0x7f], 32)].concat();
    raw_short_with_sign_byte: sig(&[0, 0x80], &[0, 0xff, 1]), 32
        => [padded(&[0x80], 32), padded(&[0xff, 1], 32)].concat();
    // The longest P-384 signature: both integers 48 bytes with the high bit
    // set, so 49 bytes each with the sign byte.
    raw_maximal_p384: sig(&[&[0][..], &full(0xff, 48)].concat(), &[&[0][..], &full(0x80, 48)].concat()), 48
        => [full(0xff, 48), full(0x80, 48)].concat();
    raw_p384_short_values: sig(&full(0x01, 47), &full(0x02, 1)), 48
        => [padded(&full(0x01, 47), 48), padded(&[2], 48)].concat();
}

raw_err! {
    raw_empty: [], 32 => "truncated DER";
    raw_only_tag: [SEQUENCE], 32 => "truncated DER";
    raw_wrong_outer_tag: [0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01], 32 => "unexpected DER tag";
    raw_length_beyond_input: [SEQUENCE, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01], 32 => "truncated DER";
    raw_trailing_after_sequence: [&sig(&[1], &[1])[..], &[0]].concat(), 32 => "trailing bytes after DER";
    raw_trailing_inside_sequence: seq(&[&int(&[1]), &int(&[1]), &int(&[1])]), 32 => "trailing bytes after DER";
    raw_missing_s: seq(&[&int(&[1])]), 32 => "truncated DER";
    raw_s_not_integer: seq(&[&int(&[1]), &tlv(0x04, &[1])]), 32 => "unexpected DER tag";
    raw_negative_r: sig(&[0x80], &[1]), 32 => "negative DER integer";
    raw_non_minimal_r: sig(&[0, 0x01], &[1]), 32 => "non-minimal DER integer";
    raw_empty_integer: sig(&[], &[1]), 32 => "empty DER integer";
    raw_zero_r: sig(&[0], &[1]), 32 => "zero in ECDSA signature";
    raw_zero_s: sig(&[1], &[0]), 32 => "zero in ECDSA signature";
    raw_r_too_long: sig(&full(0x11, 33), &[1]), 32 => "ECDSA signature integer too long for the curve";
    raw_r_too_long_with_sign: sig(&[&[0][..], &full(0x81, 33)].concat(), &[1]), 32
        => "ECDSA signature integer too long for the curve";
    raw_p384_value_for_p256: sig(&full(0x11, 48), &full(0x11, 48)), 32
        => "ECDSA signature integer too long for the curve";
    raw_indefinite_length: [SEQUENCE, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0, 0], 32
        => "unsupported DER length";
    raw_five_length_bytes: [SEQUENCE, 0x85, 0, 0, 0, 0, 6], 32 => "unsupported DER length";
    raw_long_form_for_short_length: [SEQUENCE, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01], 32
        => "non-minimal DER length";
    raw_length_with_leading_zero: [SEQUENCE, 0x82, 0x00, 0x86], 32 => "non-minimal DER length";
    raw_huge_length: [SEQUENCE, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02], 32 => "truncated DER";
    raw_truncated_length_bytes: [SEQUENCE, 0x82, 0x01], 32 => "truncated DER";
    // Reachable only through the fuzzing API (callers pass 32 or 48): used
    // to panic in `chunks_exact_mut(0)`.
    raw_zero_half: sig(&[1], &[1]), 0 => "no curve has zero-length ECDSA integers";
}

// SubjectPublicKeyInfo.

fn oid(value: &[u8]) -> Vec<u8> {
    tlv(OID, value)
}

fn bits(value: &[u8]) -> Vec<u8> {
    tlv(BIT_STRING, &[&[0][..], value].concat())
}

fn ec_spki(curve: &[u8], point: &[u8]) -> Vec<u8> {
    seq(&[&seq(&[&oid(EC_PUBLIC_KEY), &oid(curve)]), &bits(point)])
}

fn point(half: usize) -> Vec<u8> {
    [&[4][..], &full(0x0a, half), &full(0x0b, half)].concat()
}

#[test]
fn spki_p256() {
    let der = ec_spki(P256, &point(32));
    assert_eq!(
        parse_spki(&der),
        Ok(PublicKey::Ec {
            p384: false,
            x: &full(0x0a, 32),
            y: &full(0x0b, 32)
        })
    );
}

#[test]
fn spki_p384() {
    let der = ec_spki(P384, &point(48));
    assert_eq!(
        parse_spki(&der),
        Ok(PublicKey::Ec {
            p384: true,
            x: &full(0x0a, 48),
            y: &full(0x0b, 48)
        })
    );
}

#[test]
fn spki_rsa_long_form_lengths() {
    // A 2048-bit modulus: lengths in the two-byte long form.
    let n = [&[0][..], &full(0xc3, 256)].concat();
    let key = seq(&[&int(&n), &int(&[1, 0, 1])]);
    let der = seq(&[&seq(&[&oid(RSA_ENCRYPTION), &[NULL, 0]]), &bits(&key)]);
    assert_eq!(der[1], 0x82);
    assert_eq!(
        parse_spki(&der),
        Ok(PublicKey::Rsa {
            n: &full(0xc3, 256),
            e: &[1, 0, 1]
        })
    );
}

#[test]
fn spki_rsa_without_null_parameters() {
    let key = seq(&[&int(&[0x45]), &int(&[3])]);
    let der = seq(&[&seq(&[&oid(RSA_ENCRYPTION)]), &bits(&key)]);
    assert_eq!(
        parse_spki(&der),
        Ok(PublicKey::Rsa {
            n: &[0x45],
            e: &[3]
        })
    );
}

#[test]
fn spki_ed25519() {
    let der = seq(&[&seq(&[&oid(ED25519)]), &bits(&full(7, 32))]);
    assert_eq!(parse_spki(&der), Ok(PublicKey::Ed25519 { x: &full(7, 32) }));
}

/// Table of malformed or unsupported SPKIs and the reason each is refused.
macro_rules! spki_err {
    ($($name:ident: $der:expr => $why:expr;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(parse_spki(&$der), Err($why));
        }
    )*};
}

spki_err! {
    spki_empty: [] => "truncated DER";
    spki_p521: ec_spki(&[0x2b, 0x81, 0x04, 0x00, 0x23], &point(66))
        => "unsupported elliptic curve (supported: P-256, P-384)";
    spki_compressed_point: ec_spki(P256, &[&[2][..], &full(1, 32)].concat()) => "compressed EC point";
    spki_short_point: ec_spki(P256, &point(31)) => "malformed EC point";
    spki_p384_point_on_p256: ec_spki(P256, &point(48)) => "malformed EC point";
    spki_ec_without_curve: seq(&[&seq(&[&oid(EC_PUBLIC_KEY)]), &bits(&point(32))]) => "truncated DER";
    spki_unknown_algorithm: seq(&[&seq(&[&oid(&[0x2b, 0x65, 0x71])]), &bits(&full(7, 57))])
        => "unsupported key type (supported: EC P-256 and P-384, RSA, Ed25519)";
    spki_ed25519_wrong_length: seq(&[&seq(&[&oid(ED25519)]), &bits(&full(7, 31))])
        => "malformed Ed25519 public key";
    spki_ed25519_with_parameters: seq(&[&seq(&[&oid(ED25519), &[NULL, 0]]), &bits(&full(7, 32))])
        => "trailing bytes after DER";
    spki_unused_bits: seq(&[&seq(&[&oid(ED25519)]), &tlv(BIT_STRING, &[&[1][..], &full(7, 32)].concat())])
        => "BIT STRING with unused bits";
    spki_rsa_bad_parameters: seq(&[&seq(&[&oid(RSA_ENCRYPTION), &[NULL, 1, 0]]), &bits(&seq(&[&int(&[5]), &int(&[3])]))])
        => "malformed RSA algorithm parameters";
    spki_rsa_zero_modulus: seq(&[&seq(&[&oid(RSA_ENCRYPTION)]), &bits(&seq(&[&int(&[0]), &int(&[3])]))])
        => "zero in RSA public key";
    spki_rsa_negative_exponent: seq(&[&seq(&[&oid(RSA_ENCRYPTION)]), &bits(&seq(&[&int(&[5]), &int(&[0xff])]))])
        => "negative DER integer";
    spki_rsa_trailing_in_key: seq(&[&seq(&[&oid(RSA_ENCRYPTION)]), &bits(&seq(&[&int(&[5]), &int(&[3]), &int(&[1])]))])
        => "trailing bytes after DER";
    spki_trailing_after: [&ec_spki(P256, &point(32))[..], &[0]].concat() => "trailing bytes after DER";
    spki_extra_element: seq(&[&seq(&[&oid(ED25519)]), &bits(&full(7, 32)), &[NULL, 0]])
        => "trailing bytes after DER";
}
