//! Peak memory of parsing a token response, measured by a counting global
//! allocator: whatever a (capped) body contains, parsing it allocates at
//! most a small multiple of the cap (DESIGN.md, "Parsing the response").
//!
//! Each body is built first; then the peak is reset and
//! `Credentials::fetch_with` runs over a closure transport that moves the
//! pre-built body into a `Response`, so the window holds the request, the
//! parse and the resulting `Token` or `Error`, and nothing else.
//!
//! Only allocations made by the measuring thread while a measurement is
//! open are counted (a thread-local switch), so the test harness and other
//! tests cannot disturb the figures; the measuring tests also take one lock,
//! so one runs at a time. `cargo test --test alloc -- --nocapture` prints
//! the figures.
//!
//! # The bound: 4× the cap
//!
//! The figure is the peak of what the fetch holds *besides* the body
//! (allocated before the window opened), divided by the cap.
//!
//! The parser keeps only the top-level members' scalars and `scope`'s
//! strings (nested values are skipped by miniserde's `Visitor` API, not
//! built), refuses nesting deeper than 32 and more than 256 top-level
//! members before parsing, and copies scalar extras into the `Token`. So a
//! body's text is held at most about twice — once parsed, once in the token
//! (measured at most 2.01×) — plus a bounded overhead per member. 4× leaves
//! room for allocator rounding and `Vec` growth.
//!
//! Before this parser, miniserde built a `Value` tree for the whole body:
//! nested arrays cost 40×, small objects in an array 89×, deep nesting 84× to
//! 116×, and many tiny members about 20×.

use cctoken::{Credentials, Request, Response, DEFAULT_MAX_RESPONSE_BYTES};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

struct Counting;

/// Bytes allocated by the measuring thread since the window opened, minus
/// those it freed (may dip below zero: the body, allocated before, is freed
/// inside the window), and the highest value seen.
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Offset added to `CURRENT` so that it never wraps below zero.
const ORIGIN: usize = usize::MAX / 2;

thread_local! {
    static MEASURING: Cell<bool> = const { Cell::new(false) };
}

fn measuring() -> bool {
    // `try_with`: the thread-local may be gone while a thread exits.
    MEASURING.try_with(Cell::get).unwrap_or(false)
}

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::SeqCst) + by;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

fn shrank(by: usize) {
    CURRENT.fetch_sub(by, Ordering::SeqCst);
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged; the counting around it never touches the memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() && measuring() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() && measuring() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        if measuring() {
            shrank(layout.size());
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() && measuring() {
            // Counted as the allocator may do it: the new block exists
            // before the old one is released.
            grew(new_size);
            shrank(layout.size());
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One measurement at a time (the counters are global).
static LOCK: Mutex<()> = Mutex::new(());

const CAP: usize = DEFAULT_MAX_RESPONSE_BYTES;
/// Peak bytes allowed per byte of cap (see the module docs).
const BOUND: usize = 4;

/// Fetches with `body` as the response and returns the peak bytes the
/// calling thread held above where it started, and whether a token came
/// back.
fn peak_of_fetch(body: Vec<u8>) -> (usize, bool) {
    let creds = Credentials::new("https://auth.example.com/token", "id", "secret").unwrap();
    let slot = Mutex::new(Some(body));
    let transport = |_: &Request| Ok(Response::new(200, slot.lock().unwrap().take().unwrap()));
    CURRENT.store(ORIGIN, Ordering::SeqCst);
    PEAK.store(ORIGIN, Ordering::SeqCst);
    MEASURING.with(|m| m.set(true));
    let result = creds.fetch_with(&transport);
    MEASURING.with(|m| m.set(false));
    let peak = PEAK.load(Ordering::SeqCst) - ORIGIN;
    let ok = result.is_ok();
    drop(result);
    (peak, ok)
}

/// Measures `body` (at most the cap), prints the figures and checks the
/// bound, and whether a token comes back when `expect_token` says.
fn check(name: &str, body: Vec<u8>, expect_token: Option<bool>) {
    let _one_at_a_time = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    assert!(body.len() <= CAP, "{name}: body of {} bytes", body.len());
    let len = body.len();
    let (peak, ok) = peak_of_fetch(body);
    let ratio = peak as f64 / CAP as f64;
    println!(
        "{name:<34} body {len:>6} B  peak {peak:>9} B  {ratio:>6.2}x cap  ({})",
        if ok { "token" } else { "error" }
    );
    if let Some(expected) = expect_token {
        assert_eq!(ok, expected, "{name}: token or error");
    }
    assert!(
        peak <= BOUND * CAP,
        "{name}: peak {peak} bytes is {ratio:.1}x the {CAP}-byte cap (bound {BOUND}x)"
    );
}

/// `prefix`, then `unit` repeated as often as fits before `suffix` within
/// the cap.
fn fill(prefix: &str, unit: &str, suffix: &str) -> Vec<u8> {
    let n = (CAP - prefix.len() - suffix.len()) / unit.len();
    let mut s = String::with_capacity(CAP);
    s.push_str(prefix);
    for _ in 0..n {
        s.push_str(unit);
    }
    s.push_str(suffix);
    s.into_bytes()
}

/// A token object whose member `x` is `open` × n, `middle`, `close` × n,
/// as deep as fits.
fn nested(open: &str, middle: &str, close: &str) -> Vec<u8> {
    let (prefix, suffix) = (r#"{"access_token":"tok","x":"#, "}");
    let n = (CAP - prefix.len() - suffix.len() - middle.len()) / (open.len() + close.len());
    let mut s = String::with_capacity(CAP);
    s.push_str(prefix);
    s.push_str(&open.repeat(n));
    s.push_str(middle);
    s.push_str(&close.repeat(n));
    s.push_str(suffix);
    s.into_bytes()
}

/// `{"access_token":"tok", <name><i>:<value>, …}` up to the cap.
fn members(name: &str, value: &str) -> Vec<u8> {
    members_after(r#"{"access_token":"tok""#, name, value)
}

/// `<start>, <name><i>:<value>, …}` up to the cap.
fn members_after(start: &str, name: &str, value: &str) -> Vec<u8> {
    let mut s = String::from(start);
    for i in 0.. {
        let member = format!(r#","{name}{i}":{value}"#);
        if s.len() + member.len() + 1 > CAP {
            break;
        }
        s.push_str(&member);
    }
    s.push('}');
    s.into_bytes()
}

macro_rules! expect {
    (token) => {
        Some(true)
    };
    (error) => {
        Some(false)
    };
    (either) => {
        None
    };
}

/// `name: body => token | error | either;` — one `#[test]` per body.
macro_rules! bodies {
    ($( $(#[$attr:meta])* $name:ident: $body:expr => $expect:ident; )*) => {$(
        $(#[$attr])*
        #[test]
        fn $name() {
            check(stringify!($name), $body, expect!($expect));
        }
    )*};
}

bodies! {
    small_token: br#"{"access_token":"tok","token_type":"Bearer","expires_in":3600}"#.to_vec() => token;
    huge_valid_token: fill(r#"{"access_token":""#, "a", r#""}"#) => token;
    long_extra_string: fill(r#"{"access_token":"tok","x":""#, "a", r#""}"#) => token;
    nul_escapes: fill(r#"{"access_token":"tok","s":""#, r"\u0000", r#""}"#) => token;
    // Over 256 top-level members: refused before parsing.
    many_tiny_members: members("a", "0") => error;
    many_string_extras: members("e", r#""v""#) => error;
    many_empty_object_members: members("o", "{}") => error;
    // 255 extras of ~250 bytes each: the most members accepted, filling the cap.
    members_at_the_limit_fill_the_cap: {
        let mut b = String::from(r#"{"access_token":"tok""#);
        for i in 0..255 {
            b.push_str(&format!(r#","e{i:03}":"{}""#, "v".repeat(245)));
        }
        b.push('}');
        b.into_bytes()
    } => token;
    many_members_in_an_oauth_error: members_after(r#"{"error":"invalid_client""#, "a", "0") => error;
    duplicate_members: fill(r#"{"access_token":"tok""#, r#","a":0"#, "}") => error;
    array_of_numbers: fill(r#"{"access_token":"tok","n":[0"#, ",0", "]}") => token;
    array_of_floats: fill(r#"{"access_token":"tok","n":[0.5"#, ",0.5", "]}") => token;
    array_of_empty_strings: fill(r#"{"access_token":"tok","n":["""#, r#","""#, "]}") => token;
    array_of_empty_arrays: fill(r#"{"access_token":"tok","n":[[]"#, ",[]", "]}") => token;
    array_of_one_element_arrays: fill(r#"{"access_token":"tok","n":[[0]"#, ",[0]", "]}") => token;
    array_of_one_member_objects: fill(r#"{"access_token":"tok","n":[{"a":0}"#, r#",{"a":0}"#, "]}") => token;
    scope_array_of_one_letter_strings: fill(r#"{"access_token":"tok","scope":["a""#, r#","a""#, "]}") => token;
    whitespace: fill("", " ", "") => error;
    plain_text: fill("", "a", "") => error;
    deep_arrays_whole_body: {
        let n = CAP / 2;
        format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes()
    } => either;
    deep_arrays_in_token: nested("[", "", "]") => either;
    deep_arrays_unclosed: nested("[", "", "") => either;
    deep_objects_in_token: nested(r#"{"a":"#, "0", "}") => either;
}
