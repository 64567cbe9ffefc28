//! Each encoder (form, JSON, multipart, Basic) round-trips through an
//! independent decoder written here (serde_json for JSON) to exactly the
//! input.
#![no_main]

use arbitrary::Arbitrary;
use cctoken::fuzzing::{basic, boundary, form, json, multipart};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    fields: Vec<(String, String)>,
    /// Names for multipart: RFC 6749 §8.2 characters only (as cctoken
    /// enforces for parameter names), picked from these bytes.
    multipart_names: Vec<Vec<u8>>,
    id: String,
    secret: String,
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("hex digits"));
            i += 3;
        } else {
            assert!(
                b[i].is_ascii_alphanumeric() || b"-._~".contains(&b[i]),
                "unencoded {:?}",
                b[i] as char
            );
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn base64_decode(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    assert_eq!(s.len() % 4, 0);
    let mut out = Vec::new();
    for chunk in s.as_bytes().chunks(4) {
        let pad = chunk.iter().filter(|&&c| c == b'=').count();
        let mut n = 0u32;
        for &c in chunk {
            n = n << 6
                | if c == b'=' {
                    0
                } else {
                    A.iter().position(|&a| a == c).expect("alphabet") as u32
                };
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    out
}

fn check_form(fields: &[(&str, &str)]) {
    let body = form(fields);
    let decoded: Vec<(Vec<u8>, Vec<u8>)> = if body.is_empty() {
        Vec::new()
    } else {
        body.split('&')
            .map(|pair| {
                let (k, v) = pair.split_once('=').expect("name=value");
                (percent_decode(k), percent_decode(v))
            })
            .collect()
    };
    let want: Vec<(Vec<u8>, Vec<u8>)> = fields
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
    assert_eq!(decoded, want);
}

fn check_json(fields: &[(&str, &str)]) {
    let body = json(fields);
    let value: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&body).expect("valid JSON");
    let mut names: Vec<&str> = Vec::new();
    for (name, _) in fields {
        if !names.contains(name) {
            names.push(name);
        }
    }
    assert_eq!(value.len(), names.len());
    for name in names {
        let values: Vec<&str> = fields
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .collect();
        let got = &value[name];
        if values.len() == 1 {
            assert_eq!(got.as_str(), Some(values[0]));
        } else {
            let arr: Vec<&str> = got
                .as_array()
                .expect("array")
                .iter()
                .map(|v| v.as_str().expect("string"))
                .collect();
            assert_eq!(arr, values);
        }
    }
}

fn check_multipart(fields: &[(&str, &str)]) {
    let b = boundary(fields);
    let body = multipart(fields, &b);
    let delimiter = format!("--{b}");
    let rest = body
        .strip_suffix(&format!("{delimiter}--\r\n"))
        .expect("closing delimiter");
    let mut parts = Vec::new();
    if !rest.is_empty() {
        let rest = rest.strip_prefix(&delimiter).expect("first delimiter");
        for part in rest.split(&format!("\r\n{delimiter}")) {
            let part = part
                .strip_prefix("\r\nContent-Disposition: form-data; name=\"")
                .expect("part header");
            let (name, value) = part.split_once("\"\r\n\r\n").expect("header end");
            parts.push((name.to_owned(), value.to_owned()));
        }
        let last = parts.last_mut().unwrap();
        last.1 = last
            .1
            .strip_suffix("\r\n")
            .expect("CRLF after last value")
            .to_owned();
    }
    let want: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(parts, want);
}

fn check_basic(id: &str, secret: &str) {
    let header = basic(id, secret, true);
    let pair = String::from_utf8(base64_decode(header.strip_prefix("Basic ").unwrap())).unwrap();
    let (i, s) = pair.split_once(':').expect("colon");
    assert_eq!(percent_decode(i), id.as_bytes());
    assert_eq!(percent_decode(s), secret.as_bytes());
    if !id.contains(':') {
        let header = basic(id, secret, false);
        let pair = base64_decode(header.strip_prefix("Basic ").unwrap());
        assert_eq!(pair, format!("{id}:{secret}").as_bytes());
    }
}

fuzz_target!(|input: Input| {
    let fields: Vec<(&str, &str)> = input
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    check_form(&fields);
    check_json(&fields);
    let names: Vec<String> = input
        .multipart_names
        .iter()
        .map(|raw| {
            const OK: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._";
            raw.iter()
                .map(|b| OK[*b as usize % OK.len()] as char)
                .collect()
        })
        .collect();
    let mp: Vec<(&str, &str)> = names
        .iter()
        .zip(input.fields.iter())
        .map(|(n, (_, v))| (n.as_str(), v.as_str()))
        .collect();
    check_multipart(&mp);
    check_basic(&input.id, &input.secret);
});
