//! The token/error response parser: arbitrary status, headers and body.
//! Input layout: 2 bytes status, 1 byte choosing headers, the rest the body.
#![no_main]

use cctoken::fuzzing::parse_response;
use cctoken::ErrorKind;
use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: [&str; 4] = ["application/json", "text/html", "text/plain", ""];
const RETRY_AFTER: [&str; 4] = [
    "60",
    "Wed, 21 Oct 2015 07:28:00 GMT",
    "-1",
    "99999999999999999999999",
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let status = u16::from_be_bytes([data[0], data[1]]) % 1000;
    let pick = data[2] as usize;
    let body = &data[3..];
    let mut headers = vec![("Content-Type", CONTENT_TYPES[pick % 4])];
    if pick & 4 != 0 {
        headers.push(("Retry-After", RETRY_AFTER[(pick >> 3) % 4]));
    }
    if pick & 32 != 0 {
        headers.push(("Location", "https://elsewhere.example/\r\nx"));
    }
    let cap = if pick & 64 != 0 { 64 } else { 64 * 1024 };
    match parse_response(status, &headers, body, cap) {
        Ok(token) => {
            // Only a 2xx JSON object with a header-safe token gets here.
            assert!((200..300).contains(&status));
            assert!(body.len() <= cap);
            let t = token.access_token();
            assert!(!t.is_empty() && t.bytes().all(|b| (0x21..=0x7e).contains(&b)));
            assert!(token.lifetime().is_none_or(|l| l <= cctoken::MAX_LIFETIME));
            assert_eq!(token.token_type(), "Bearer");
            let _ = format!("{token:?}");
        }
        Err(e) => {
            let shown = e.to_string();
            assert!(
                shown.len() < 8 * 1024,
                "error text too long: {}",
                shown.len()
            );
            assert!(
                !shown.contains('\r') && !shown.contains('\n'),
                "control chars in {shown:?}"
            );
            if e.kind() == ErrorKind::OAuth {
                assert!(e.oauth_error().is_some_and(|c| !c.is_empty()));
            }
            let _ = format!("{e:?}");
        }
    }
});
