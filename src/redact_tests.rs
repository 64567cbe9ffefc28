use super::*;

fn r(secret: &str) -> Redactor {
    Redactor::none().secret(secret)
}

/// Redacts `text` and checks that `secret`'s bytes are gone.
fn gone(secret: &str, text: &str) -> String {
    let out = r(secret).redact(text);
    assert!(out.contains(REDACTED), "{text:?} -> {out:?}");
    assert!(!out.contains(secret), "{out}");
    out
}

#[test]
fn raw() {
    assert_eq!(gone("s3cret+/=key", "got s3cret+/=key!"), "got [redacted]!");
}

#[test]
fn percent_upper_and_lower_hex() {
    assert_eq!(gone("a+b/c=d e", "x=a%2Bb%2Fc%3Dd%20e&y"), "x=[redacted]&y");
    assert_eq!(gone("a+b/c=d e", "x=a%2bb%2fc%3dd%20e&y"), "x=[redacted]&y");
}

#[test]
fn form_plus_for_space() {
    assert_eq!(
        gone("pass word!", "secret=pass+word%21"),
        "secret=[redacted]"
    );
}

#[test]
fn json_escapes() {
    assert_eq!(
        gone("q\"uo\\te/é", r#"{"s":"q\"uo\\te\/\u00e9"}"#),
        r#"{"s":"[redacted]"}"#
    );
    assert_eq!(gone("tab\there!", r"tab\u0009here!"), "[redacted]");
    // A character outside the BMP as a surrogate pair.
    assert_eq!(gone("key-😀-key", r"key-\ud83d\ude00-key"), "[redacted]");
}

#[test]
fn html_entities() {
    assert_eq!(
        gone("a&b<c>\"d'e+", "<p>a&amp;b&lt;c&gt;&quot;d&#39;e&#x2B;</p>"),
        "<p>[redacted]</p>"
    );
}

#[test]
fn mixed_encodings_in_one_echo() {
    assert_eq!(gone("p%+ &x\"y", r#"p%25%2B+&amp;x\"y"#), "[redacted]");
}

#[test]
fn secret_that_looks_like_an_escape() {
    assert_eq!(gone("ab%25cdefgh", "[ab%25cdefgh]"), "[[redacted]]");
    assert_eq!(gone("ab%25cdefgh", "[ab%2525cdefgh]"), "[[redacted]]");
    assert_eq!(gone("a+b+c+d+e", "a+b+c+d+e"), "[redacted]");
}

#[test]
fn echo_cut_at_the_end_of_the_text() {
    assert_eq!(gone("0123456789abcdef", "echo: 01234"), "echo: [redacted]");
    // Fewer than 4 bytes: too common to call a secret.
    assert_eq!(r("0123456789abcdef").redact("echo: 012"), "echo: 012");
}

#[test]
fn every_occurrence_and_nothing_else() {
    let out = r("s3cret-8f2a").redact("s3cret-8f2a and s3cret%2D8f2a; s3cret-8f and on");
    assert_eq!(out, "[redacted] and [redacted]; s3cret-8f and on");
}

#[test]
fn basic_literal() {
    let red = Redactor::none()
        .secret("pw-long-enough")
        .literal("aWQ6cHc=");
    assert_eq!(
        red.redact("Authorization: Basic aWQ6cHc="),
        "Authorization: Basic [redacted]"
    );
}

#[test]
fn short_secret_turns_quoting_off_but_still_redacts_codes() {
    let red = r("abc1234");
    assert!(!red.quotes());
    assert_eq!(red.quote("anything", 100), WITHHELD);
    assert_eq!(red.redact("bad abc1234"), "bad [redacted]");
    let red = r("abcd1234");
    assert!(red.quotes());
    assert_eq!(red.quote("x abcd1234 y", 100), "x [redacted] y");
}

#[test]
fn quote_stops_after_the_excerpt_but_finishes_a_match() {
    let secret = "0123456789abcdef";
    let text = format!("{}{secret}{}", "x".repeat(98), "y".repeat(5000));
    assert_eq!(
        r(secret).quote(&text, 100),
        format!("{}[r…", "x".repeat(98))
    );
    assert_eq!(
        r(secret).quote("é".repeat(300).as_str(), 100),
        format!("{}…", "é".repeat(100))
    );
}

#[test]
fn redaction_happens_before_the_cut() {
    let secret = "0123456789abcdef";
    let text = format!("{}{secret}", "x".repeat(95));
    let quoted = r(secret).quote(&text, 100);
    assert!(!quoted.contains("01234"), "{quoted}");
}

#[test]
fn multibyte_text_around_a_match_stays_valid() {
    assert_eq!(gone("é-secret-é", "«é-secret-é»"), "«[redacted]»");
}

#[test]
fn hostile_escapes_do_not_panic() {
    let red = r("secret-secret");
    for text in [
        "%",
        "%z",
        "\\",
        "\\u",
        "\\ud800",
        "\\ud800\\u",
        "\\ud800\\u0041",
        "&",
        "&#;",
        "&#x;",
        "&#99999999999;",
        "&#x110000;",
        "&unknown;",
    ] {
        // Nothing to hide, and the text comes back as it was.
        assert_eq!(red.redact(text), text);
    }
}

#[test]
fn nested_encodings_of_every_kind() {
    // A form-encoded body echoed percent-encoded again.
    assert_eq!(gone("ab%25cdefgh", "[ab%2525cdefgh]"), "[[redacted]]");
    assert_eq!(
        gone("a+b=c/d e!", "x=a%252Bb%253Dc%252Fd%2520e%2521"),
        "x=[redacted]"
    );
    // JSON inside JSON, with a raw `%49` of the secret's own.
    assert_eq!(gone(r"K^\Lie%49x;n8$", r"K^\\\\Lie%49x;n8$"), "[redacted]");
    // JSON escapes inside an HTML page.
    assert_eq!(gone("q\"uote<me>", "q\\&quot;uote&lt;me&gt;"), "[redacted]");
}

/// Texts made of nothing but escape introducers, at the body cap: the
/// search ends (the dead ends it remembers and the work budget bound it).
#[test]
fn hostile_texts_at_the_cap_end() {
    for (secret, unit) in [
        ("%%%%%%%%%%%%%%%%", "%25"),
        ("%%%%%%%%%%%%%%%%", "%"),
        ("\\\\\\\\\\\\\\\\", "\\\\"),
        ("&&&&&&&&&&&&&&&&", "&amp;"),
        ("++++++++", "%2B+"),
    ] {
        // As an error quotes a body: the whole body, for an excerpt.
        let text = unit.repeat(64 * 1024 / unit.len());
        let quoted = r(secret).quote(&text, 1000);
        assert!(quoted.chars().count() <= 1001, "{}", quoted.len());
        // Redacted whole, a shorter one.
        let text = unit.repeat(4096 / unit.len());
        let out = r(secret).redact(&text);
        assert!(out.len() <= text.len() + REDACTED.len());
    }
}

/// Review finding: an escape of the echo that ends just past the secret
/// (the secret's trailing `\` JSON-escaped before the closing quote) used
/// to eat the secret's last byte in the decoded text.
#[test]
fn escapes_ending_just_past_the_secret() {
    assert_eq!(
        gone(r"S3cr3t-Pass\", r#"{"client_secret":"S3cr3t-Pass\\"}"#),
        r#"{"client_secret":"[redacted]"}"#
    );
    assert_eq!(gone("Pa55word%4", "x=Pa55word%41"), "x=[redacted]1");
    assert_eq!(gone("Pa55word%", "x=Pa55word%41"), "x=[redacted]41");
    // The HTML-decoded secret (`Pa55word&`) is found in the decoded text,
    // whose `&` came from the whole entity: the entity's `;` goes with it.
    assert_eq!(gone("Pa55word&amp", "x=Pa55word&amp;"), "x=[redacted]");
    // The same, form-encoded then JSON-escaped.
    assert_eq!(
        gone(r"S3cr3t-Pass\", r#""client_secret=S3cr3t-Pass%5C""#),
        r#""client_secret=[redacted]""#
    );
}

/// Review finding: with a short secret, the OAuth error code went through
/// the redaction that short secrets make unreliable: `in` turned
/// `invalid_client` into `[redacted]valid_client`, and callers matching on
/// the code missed it. Registered codes are kept as they are; other codes
/// of that shape only when no form of the secret is in them; the rest is
/// withheld.
#[test]
fn short_secret_keeps_registered_codes_and_withholds_the_rest() {
    let red = r("in");
    assert_eq!(red.code("invalid_client", 100), "invalid_client");
    assert_eq!(red.code("use_dpop_nonce", 100), "use_dpop_nonce");
    assert_eq!(red.code("consent_required", 100), "consent_required");
    // A vendor code with the secret in it, or not shaped like a code.
    assert_eq!(red.code("login_required", 100), WITHHELD);
    assert_eq!(red.code("Bad Gateway", 100), WITHHELD);
    let red = r("s3cr3t");
    assert_eq!(red.code("s3cr3t", 100), WITHHELD);
    assert_eq!(red.code("s3cr3t_is_wrong", 100), WITHHELD);
    assert_eq!(red.code("invalid_grant", 100), "invalid_grant");
    // Quoting on: redacted and sanitised like any server text.
    let red = r("abcd1234");
    assert_eq!(red.code("x_abcd1234", 100), "x_[redacted]");
    assert_eq!(red.code("Bad Gateway", 100), "Bad Gateway");
}
