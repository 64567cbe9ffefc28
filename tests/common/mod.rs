//! A scripted loopback HTTP server for integration tests.
//!
//! Bound to `127.0.0.1:0` (the OS picks the port), one per test. Every
//! request is read whole (head and `Content-Length` body), kept as raw bytes
//! for the test to assert on, and answered by the test's handler. Each
//! connection gets its own thread, so a reply can be held while others are
//! served. Dropping the server stops it and joins every thread it started,
//! hung connections included.
#![allow(dead_code)] // each test binary uses a different part

pub mod b64;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A request as it arrived.
#[derive(Clone)]
pub struct Captured {
    /// Every byte received, head and body.
    pub raw: Vec<u8>,
    /// The head (request line and headers) without the blank line.
    pub head: String,
    /// The body.
    pub body: Vec<u8>,
}

impl Captured {
    /// The first header named `name` (case-insensitive), trimmed.
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.split("\r\n").skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    /// The request line.
    pub fn request_line(&self) -> &str {
        self.head.split("\r\n").next().unwrap_or("")
    }

    /// The body as UTF-8 text.
    pub fn body_text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("request body is UTF-8")
    }
}

/// A scripted reply: gets the connection and the server's stop flag.
pub type Script = Box<dyn FnOnce(&mut TcpStream, &AtomicBool) + Send>;

/// What the server does with a request.
pub enum Reply {
    /// Write these bytes, then close.
    Raw(Vec<u8>),
    /// Keep the connection open, never answering, until the server stops.
    Hang,
    /// Close without answering.
    Close,
    /// Run a script on the connection (trickle, hold until signalled…). It
    /// gets the server's stop flag and should return soon after it is set.
    Script(Script),
}

impl Reply {
    /// A complete HTTP/1.1 response with `Content-Length` and
    /// `Connection: close`.
    pub fn http(status: u16, content_type: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
        if !content_type.is_empty() {
            out.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ));
        let mut raw = out.into_bytes();
        raw.extend_from_slice(body);
        Reply::Raw(raw)
    }

    /// A JSON response.
    pub fn json(status: u16, body: &str) -> Reply {
        Reply::http(status, "application/json", &[], body.as_bytes())
    }

    /// This reply, sent after `hold` (the test's stand-in for a slow
    /// server; nothing asserts on the duration).
    pub fn after(self, hold: Duration) -> Reply {
        Reply::Script(Box::new(move |conn, stop| {
            std::thread::sleep(hold);
            send(self, conn, stop);
        }))
    }

    /// This reply, sent once `release` is set (or the server stops). After
    /// 30 s it is sent anyway, so that a test whose release never comes
    /// fails on its assertions instead of hanging.
    pub fn when(self, release: Arc<AtomicBool>) -> Reply {
        Reply::Script(Box::new(move |conn, stop| {
            let give_up = std::time::Instant::now() + Duration::from_secs(30);
            while !release.load(Ordering::SeqCst)
                && !stop.load(Ordering::SeqCst)
                && std::time::Instant::now() < give_up
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            send(self, conn, stop);
        }))
    }

    /// A token response with `expires_in` seconds.
    pub fn token(access_token: &str, expires_in: u64) -> Reply {
        Reply::json(
            200,
            &format!(
                r#"{{"access_token":"{access_token}","token_type":"Bearer","expires_in":{expires_in}}}"#
            ),
        )
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        302 => "Found",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

type Handler = dyn Fn(&Captured) -> Reply + Send + Sync;

/// A running loopback server.
pub struct Server {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Captured>>>,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts a server answering every request with `handler`.
    pub fn start(handler: impl Fn(&Captured) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let thread = {
            let (requests, accepted, stop) = (requests.clone(), accepted.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut workers = Vec::new();
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(mut conn) = conn else { continue };
                    accepted.fetch_add(1, Ordering::SeqCst);
                    let (requests, stop, handler) =
                        (requests.clone(), stop.clone(), handler.clone());
                    workers.push(std::thread::spawn(move || {
                        serve(&mut conn, &requests, &stop, &*handler);
                    }));
                }
                for w in workers {
                    let _ = w.join();
                }
            })
        };
        Server {
            addr,
            requests,
            accepted,
            stop,
            thread: Some(thread),
        }
    }

    /// A server that answers every request with the same bytes.
    pub fn always(raw: Vec<u8>) -> Server {
        Server::start(move |_| Reply::Raw(raw.clone()))
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The requests read so far.
    pub fn requests(&self) -> Vec<Captured> {
        self.requests.lock().unwrap().clone()
    }

    /// The number of requests read so far.
    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// The number of connections accepted so far (a request may not have
    /// been read whole).
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one request (head, then a `Content-Length` body), records it and
/// answers it.
fn serve(
    conn: &mut TcpStream,
    requests: &Mutex<Vec<Captured>>,
    stop: &AtomicBool,
    handler: &Handler,
) {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(50)));
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let mut head_end = None;
    let mut want = usize::MAX;
    while raw.len() < want {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        match conn.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(_) => return,
        }
        if head_end.is_none() {
            if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                head_end = Some(i);
                let head = String::from_utf8_lossy(&raw[..i]).to_string();
                let len = head
                    .split("\r\n")
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                want = i + 4 + len;
            }
        }
    }
    let Some(i) = head_end else { return };
    let captured = Captured {
        head: String::from_utf8_lossy(&raw[..i]).to_string(),
        body: raw[i + 4..].to_vec(),
        raw,
    };
    requests.lock().unwrap().push(captured.clone());
    send(handler(&captured), conn, stop);
}

/// Carries out `reply` on `conn`.
fn send(reply: Reply, conn: &mut TcpStream, stop: &AtomicBool) {
    match reply {
        Reply::Raw(bytes) => {
            let _ = conn.write_all(&bytes);
            let _ = conn.flush();
        }
        Reply::Close => {}
        Reply::Hang => {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Reply::Script(script) => script(conn, stop),
    }
}

/// A TCP listener on loopback that accepts nothing, and counts whether
/// anyone connected: the redirect target that must receive nothing.
pub struct Witness {
    listener: TcpListener,
}

impl Witness {
    /// Binds `127.0.0.1:0`.
    pub fn new() -> Witness {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Witness { listener }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.listener.local_addr().unwrap())
    }

    /// Whether a connection is waiting to be accepted.
    pub fn was_contacted(&self) -> bool {
        self.listener.accept().is_ok()
    }
}

/// A loopback port with nothing listening (bound, then closed).
pub fn closed_port_url(path: &str) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}{path}")
}

/// A clock the test advances by hand. `sleep` records the duration and
/// advances both clocks by it instead of blocking.
pub struct FakeClock {
    base: (std::time::Instant, std::time::SystemTime),
    offsets: Mutex<(Duration, Duration)>,
    sleeps: Mutex<Vec<Duration>>,
}

impl FakeClock {
    /// A clock at the real current time, shared.
    pub fn new() -> Arc<FakeClock> {
        Arc::new(FakeClock {
            base: (std::time::Instant::now(), std::time::SystemTime::now()),
            offsets: Mutex::new((Duration::ZERO, Duration::ZERO)),
            sleeps: Mutex::new(Vec::new()),
        })
    }

    /// Advances both clocks.
    pub fn advance(&self, by: Duration) {
        let mut o = self.offsets.lock().unwrap();
        o.0 += by;
        o.1 += by;
    }

    /// Advances the wall clock only (the monotonic clock is frozen, as in
    /// a suspend).
    pub fn advance_wall(&self, by: Duration) {
        self.offsets.lock().unwrap().1 += by;
    }

    /// The sleeps requested so far.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap().clone()
    }
}

impl cctoken::Clock for FakeClock {
    fn now(&self) -> std::time::Instant {
        self.base.0 + self.offsets.lock().unwrap().0
    }
    fn wall(&self) -> std::time::SystemTime {
        self.base.1 + self.offsets.lock().unwrap().1
    }
    fn sleep(&self, duration: Duration) {
        self.sleeps.lock().unwrap().push(duration);
        self.advance(duration);
    }
}

/// A fresh directory under the system temp dir, private to its owner
/// (mode 700), named after the test, the process id and a counter; it and
/// everything in it is removed on drop.
pub struct TempDir {
    path: std::path::PathBuf,
}

impl TempDir {
    /// Creates `cctoken-<tag>-<pid>-<n>` in [`std::env::temp_dir`].
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        loop {
            let n = NEXT.fetch_add(1, Ordering::SeqCst);
            let path =
                std::env::temp_dir().join(format!("cctoken-{tag}-{}-{n}", std::process::id()));
            match std::fs::create_dir(&path) {
                Ok(()) => {
                    #[cfg(unix)]
                    {
                        use std::os::unix::fs::PermissionsExt;
                        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))
                            .unwrap();
                    }
                    return TempDir { path };
                }
                // Left over from an earlier process with the same id.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("create {}: {e}", path.display()),
            }
        }
    }

    /// The directory.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Writes `contents` to `name` in the directory and sets its mode
    /// exactly (whatever the umask), then returns its path.
    pub fn write(&self, name: &str, contents: &str, mode: u32) -> std::path::PathBuf {
        let path = self.path.join(name);
        std::fs::write(&path, contents).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = mode;
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Whether the tests run as root (the owner of a file they create).
#[cfg(unix)]
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    let dir = TempDir::new("whoami");
    let p = dir.write("f", "", 0o600);
    std::fs::metadata(p).unwrap().uid() == 0
}

/// Says that (part of) a test was skipped, and why, where the person
/// running the tests sees it: written to the process's stderr directly,
/// which libtest does not capture (it captures `eprintln!`, and shows a
/// passing test's output to nobody).
pub fn skipped(what: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED {what}");
}

/// The text of a key in `tests/fixtures/keys`.
pub fn key_pem(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A loopback authorization server whose issuer is its own URL: metadata
/// at the RFC 8414 location (token endpoint `/oauth/token`, method
/// `client_secret_basic`), and that endpoint answering a Basic-authenticated
/// request with `token`; anything else is a 400 `invalid_request`.
pub fn issuer_server(token: &'static str) -> Server {
    Server::start(move |c: &Captured| {
        let line = c.request_line();
        let base = format!("http://{}", c.header("host").unwrap());
        if line.starts_with("GET /.well-known/oauth-authorization-server ") {
            Reply::json(
                200,
                &format!(
                    r#"{{"issuer":"{base}","token_endpoint":"{base}/oauth/token","token_endpoint_auth_methods_supported":["client_secret_basic"]}}"#
                ),
            )
        } else if line.starts_with("POST /oauth/token ") && c.header("authorization").is_some() {
            Reply::token(token, 3600)
        } else {
            Reply::json(400, r#"{"error":"invalid_request"}"#)
        }
    })
}
