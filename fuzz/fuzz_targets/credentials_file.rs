//! The `creds.json` parser, then the request those credentials encode to.
#![no_main]

use cctoken::fuzzing::parse_credentials_file;
use cctoken::{ErrorKind, Request, Response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let default_url = (data.len() % 2 == 0).then_some("https://auth.example.com/token");
    match parse_credentials_file(text, default_url) {
        Ok(creds) => {
            let _ = format!("{creds:?}");
            // Build and "send" the request: every encoding and auth path.
            let result = creds.fetch_with(&|request: &Request| {
                assert_eq!(request.method(), "POST");
                assert!(request.header("content-type").is_some());
                Ok(Response::new(
                    200,
                    r#"{"access_token":"fuzz","expires_in":1}"#,
                ))
            });
            if let Err(e) = result {
                assert_eq!(e.kind(), ErrorKind::Config, "{e}");
            }
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Credentials, "{e}");
            let _ = e.to_string();
        }
    }
});
