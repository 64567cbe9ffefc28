use super::*;

/// Table-driven: one named test per case.
macro_rules! cases {
    ($f:expr; $($name:ident: $input:expr => $want:expr;)*) => {
        $(#[test] fn $name() { assert_eq!($f($input), $want); })*
    };
}

fn pct(s: &str) -> String {
    let mut out = String::new();
    percent_encode(s, &mut out);
    out
}

cases! { pct;
    pct_unreserved_kept: "AZaz09-._~" => "AZaz09-._~";
    pct_space_is_20_not_plus: "a b" => "a%20b";
    pct_reserved: "+:/%&=?" => "%2B%3A%2F%25%26%3D%3F";
    pct_quote_backslash: "\"\\" => "%22%5C";
    pct_non_ascii_utf8_bytes: "é" => "%C3%A9";
    pct_empty: "" => "";
}

cases! { |b: &[u8]| base64(b);
    b64_empty: b"" => "";
    b64_one: b"f" => "Zg==";
    b64_two: b"fo" => "Zm8=";
    b64_three: b"foo" => "Zm9v";
    b64_six: b"foobar" => "Zm9vYmFy";
    b64_rfc7617: b"Aladdin:open sesame" => "QWxhZGRpbjpvcGVuIHNlc2FtZQ==";
    b64_high_bytes: &[0xff, 0xfe, 0xfd] => "//79";
}

#[test]
fn form_encodes_names_and_values() {
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("scope", "a b"),
        ("x&y", "1=2"),
    ]);
    assert_eq!(
        body,
        "grant_type=client_credentials&scope=a%20b&x%26y=1%3D2"
    );
}

#[test]
fn json_escapes() {
    let body = json(&[("a", "q\"b\\s\n\r\t\u{1}é")]);
    assert_eq!(body, r#"{"a":"q\"b\\s\n\r\t\u0001é"}"#);
}

#[test]
fn json_repeated_name_becomes_array_at_first_place() {
    let body = json(&[("resource", "r1"), ("x", "1"), ("resource", "r2")]);
    assert_eq!(body, r#"{"resource":["r1","r2"],"x":"1"}"#);
}

#[test]
fn json_empty() {
    assert_eq!(json(&[]), "{}");
}

#[test]
fn multipart_layout() {
    let body = multipart(&[("a", "1"), ("b\"\r\n", "x\r\ny")], "BOUND");
    assert_eq!(
        body,
        "--BOUND\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
         --BOUND\r\nContent-Disposition: form-data; name=\"b%22%0D%0A\"\r\n\r\nx\r\ny\r\n\
         --BOUND--\r\n"
    );
}

#[test]
fn boundary_is_fresh_and_absent_from_values() {
    let fields = [("a", "cctoken-")];
    let b1 = boundary(&fields);
    let b2 = boundary(&fields);
    assert_ne!(b1, b2);
    assert_eq!(b1.len(), "cctoken-".len() + 32);
    assert!(b1[8..].bytes().all(|c| c.is_ascii_hexdigit()));
}

#[test]
fn basic_rfc6749_percent_encodes_each_side() {
    // id "a b", secret "p+:/" -> "a%20b:p%2B%3A%2F"
    assert_eq!(
        basic("a b", "p+:/", true),
        format!("Basic {}", base64(b"a%20b:p%2B%3A%2F"))
    );
}

#[test]
fn basic_unencoded_joins_raw() {
    assert_eq!(
        basic("Aladdin", "open sesame", false),
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    );
}
