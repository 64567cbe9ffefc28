#!/usr/bin/env python3
"""Checks cctoken's client assertions and DPoP proofs with PyJWT and
`cryptography`, independently of cctoken and of ring.

    pip install pyjwt cryptography
    CCTOKEN_JOSE_SAMPLES=/tmp/jose.jsonl cargo test --lib write_samples_for_python -- --ignored
    python3 tests/jose_verify.py /tmp/jose.jsonl

The samples are made with the current time, so PyJWT checks `exp` and
`iat` too. Each line is verified with the public key read from the PEM file
(for DPoP also with the `jwk` in the proof's header, which must be that same
public key and carry no private member). Exits non-zero on any failure.
"""

import base64
import hashlib
import json
import pathlib
import sys

import jwt
from cryptography.hazmat.primitives import serialization

KEYS = pathlib.Path(__file__).resolve().parent / "fixtures" / "keys"
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_key(file):
    private = serialization.load_pem_private_key((KEYS / file).read_bytes(), None)
    return private.public_key()


def same_key(a, b):
    der = lambda k: k.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return der(a) == der(b)


def check(sample):
    kind, alg, token = sample["kind"], sample["alg"], sample["jws"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == alg, header
    if kind in ("assertion", "hs256"):
        key = sample["secret"] if kind == "hs256" else public_key(sample["key_file"])
        claims = jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=sample["aud"],
            issuer=sample["client_id"],
            options={"require": ["iss", "sub", "aud", "jti", "iat", "exp"]},
        )
        assert header["typ"] == "JWT", header
        assert header.get("kid") == sample.get("kid"), header
        assert claims["sub"] == claims["iss"], claims
        assert len(base64.urlsafe_b64decode(claims["jti"] + "==")) >= 16, claims
        assert 0 < claims["exp"] - claims["iat"] <= 300, claims
        return f"{kind} {alg} iss=sub={claims['sub']} exp-iat={claims['exp'] - claims['iat']}"
    assert kind == "dpop", kind
    assert header["typ"] == "dpop+jwt", header
    assert "kid" not in header, header
    jwk = header["jwk"]
    assert not PRIVATE_MEMBERS & set(jwk), jwk
    from_header = jwt.PyJWK(jwk, algorithm=alg).key
    assert same_key(from_header, public_key(sample["key_file"])), "jwk is another key"
    claims = jwt.decode(
        token, from_header, algorithms=[alg], options={"require": ["jti", "iat"]}
    )
    assert claims["htm"] == sample["htm"], claims
    assert claims["htu"] == sample["htu"], claims
    assert claims["nonce"] == sample["nonce"], claims
    ath = b64url(hashlib.sha256(sample["access_token"].encode()).digest())
    assert claims["ath"] == ath, claims
    return f"dpop {alg} {jwk['kty']} htu={claims['htu']}"


def main(path):
    failures = 0
    lines = pathlib.Path(path).read_text().splitlines()
    for n, line in enumerate(lines, 1):
        sample = json.loads(line)
        try:
            print(f"ok   {n:2} {sample['key_file'] if 'key_file' in sample else '-':20} {check(sample)}")
        except Exception as e:  # report every failure, then fail
            failures += 1
            print(f"FAIL {n:2} {sample['kind']} {sample['alg']}: {type(e).__name__}: {e}")
    print(f"{len(lines) - failures} verified, {failures} failed (PyJWT {jwt.__version__})")
    return 1 if failures or not lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
