//! Support code for cctoken's interop suite (`tests/interop.rs`): the
//! configuration `run.sh` writes, a minimal plain-HTTP client for the
//! servers' protected resource and request counters, and the result log.
//!
//! Everything here talks to 127.0.0.1 only.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// The variable naming the JSON file that `run.sh` writes.
pub const CONFIG_VAR: &str = "CCTOKEN_INTEROP_CONFIG";

/// How the client reaches a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP (cctoken allows it for loopback hosts).
    Http,
    /// HTTPS with a certificate for `127.0.0.1`/`localhost` from the test CA
    /// (the only CA in `SSL_CERT_FILE`).
    Https,
}

impl Scheme {
    /// `http` or `https`.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A registered client.
#[derive(Debug, Clone)]
pub struct Client {
    /// The client id.
    pub id: String,
    /// The client secret; empty for a `private_key_jwt` client, which has
    /// none.
    pub secret: String,
    /// The method it is registered with: `client_secret_basic`,
    /// `client_secret_post`, `client_secret_jwt`, `private_key_jwt`.
    pub method: String,
    /// For `private_key_jwt`: the absolute path of the PEM private key the
    /// client signs with (mode 600, see `interop/keys/`). For
    /// `cc-jwt-wrong-key` it is NOT the registered key.
    pub key: Option<String>,
    /// The JWS algorithms to use with the key or secret (`ES256`, `RS256`
    /// and `PS256`, `EdDSA` and `Ed25519`, `HS256`...).
    pub algs: Vec<String>,
}

/// One running server, as its ready file describes it.
#[derive(Debug, Clone)]
pub struct Server {
    /// The key in the configuration (`oidc_provider`, `authlib`).
    pub key: String,
    /// Implementation and version, e.g. `oidc-provider 9.13.3`.
    pub label: String,
    /// Token lifetime the server is configured with, in seconds.
    pub ttl: u64,
    /// The token endpoint's path.
    pub token_path: String,
    /// The resource indicator the server knows, if it supports RFC 8707.
    pub resource: Option<String>,
    ports: BTreeMap<String, u16>,
    issuers: BTreeMap<String, String>,
    path_issuers: BTreeMap<String, String>,
}

impl Server {
    /// The port of a listener: `http`, `https`, `https_untrusted`,
    /// `https_wronghost`.
    pub fn port(&self, listener: &str) -> u16 {
        *self
            .ports
            .get(listener)
            .unwrap_or_else(|| panic!("{}: no listener {listener}", self.key))
    }

    /// The issuer of a listener (`http`, `https`, ... and for oidc-provider
    /// `http_dpop_nonce`, `https_dpop_nonce`): `<scheme>://127.0.0.1:<port>`,
    /// what the metadata document of that listener says.
    pub fn issuer(&self, listener: &str) -> &str {
        self.issuers
            .get(listener)
            .unwrap_or_else(|| panic!("{}: no issuer for listener {listener}", self.key))
    }

    /// The issuer with a path on a listener, if the server has one (Authlib:
    /// `<scheme>://127.0.0.1:<port>/tenant`, metadata at
    /// `/.well-known/oauth-authorization-server/tenant`).
    pub fn path_issuer(&self, listener: &str) -> Option<&str> {
        self.path_issuers.get(listener).map(String::as_str)
    }

    /// The token URL over `scheme`, with host `127.0.0.1`.
    pub fn token_url(&self, scheme: Scheme) -> String {
        format!(
            "{}://127.0.0.1:{}{}",
            scheme.name(),
            self.port(scheme.name()),
            self.token_path
        )
    }

    /// The token URL of another listener over HTTPS with host `host`.
    pub fn https_url(&self, listener: &str, host: &str) -> String {
        format!("https://{host}:{}{}", self.port(listener), self.token_path)
    }

    /// `GET path` on the plain-HTTP listener, with a Bearer token if given.
    pub fn get(&self, path: &str, bearer: Option<&str>) -> (u16, String) {
        http_get(self.port("http"), path, bearer)
            .unwrap_or_else(|e| panic!("{}: GET {path}: {e}", self.key))
    }

    /// The server's request counters.
    pub fn stats(&self) -> Stats {
        let (status, body) = self.get("/_interop/stats", None);
        assert_eq!(status, 200, "{}: stats: {body}", self.key);
        Stats(serde_json::from_str(&body).expect("stats are JSON"))
    }
}

/// The counters a server keeps per client id.
#[derive(Debug, Clone)]
pub struct Stats(Value);

impl Stats {
    /// `table` is `token_requests`, `tokens_issued` or `token_errors`.
    pub fn count(&self, table: &str, client_id: &str) -> u64 {
        self.0[table][client_id].as_u64().unwrap_or(0)
    }
}

/// The configuration `run.sh` wrote.
#[derive(Debug)]
pub struct Config {
    /// Clients by role (the keys of `clients.json`): `post`, `basic`,
    /// `special`, `source_*`, `jwt_*`, `dpop`, `dpop_nonce`.
    pub clients: BTreeMap<String, Client>,
    /// Servers by key.
    pub servers: BTreeMap<String, Server>,
    /// The test-only key files by name (`es256`, `dpop-es256`,
    /// `dpop-other-es256`, ...: `interop/keys/test-only-<name>[.form].pem`),
    /// absolute paths.
    pub keys: BTreeMap<String, String>,
    /// `interop/work/`, for files a test makes (an assertion file...).
    pub work: Option<String>,
    results: Option<String>,
}

impl Config {
    /// The client registered for `role`.
    pub fn client(&self, role: &str) -> &Client {
        self.clients
            .get(role)
            .unwrap_or_else(|| panic!("no client {role} in the configuration"))
    }

    /// The path of the test-only key file `name`.
    pub fn key_file(&self, name: &str) -> &str {
        self.keys
            .get(name)
            .unwrap_or_else(|| panic!("no key file {name} in the configuration"))
    }

    /// The server with `key`.
    pub fn server(&self, key: &str) -> &Server {
        self.servers
            .get(key)
            .unwrap_or_else(|| panic!("no server {key} in the configuration"))
    }
}

/// The configuration, read once from the file named by
/// [`CONFIG_VAR`]. Panics with instructions when it is not set.
pub fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let path = std::env::var(CONFIG_VAR).unwrap_or_else(|_| {
            panic!("{CONFIG_VAR} is not set: these tests need the servers that `bash interop/run.sh` starts")
        });
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {CONFIG_VAR}={path}: {e}"));
        parse_config(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    })
}

fn parse_config(text: &str) -> Result<Config, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let str_of = |v: &Value, what: &str| -> Result<String, String> {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{what} is not a string"))
    };
    let mut clients = BTreeMap::new();
    for (role, c) in v["clients"].as_object().ok_or("no clients")? {
        let algs = c["algs"].as_array().map_or(Vec::new(), |a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        });
        clients.insert(
            role.clone(),
            Client {
                id: str_of(&c["id"], "client id")?,
                secret: c["secret"].as_str().unwrap_or_default().to_owned(),
                method: str_of(&c["method"], "client method")?,
                key: c["key"].as_str().map(str::to_owned),
                algs,
            },
        );
    }
    let mut servers = BTreeMap::new();
    for (key, s) in v["servers"].as_object().ok_or("no servers")? {
        let mut ports = BTreeMap::new();
        for (name, p) in s["ports"].as_object().ok_or("no ports")? {
            let port = p.as_u64().and_then(|p| u16::try_from(p).ok());
            ports.insert(name.clone(), port.ok_or("bad port")?);
        }
        servers.insert(
            key.clone(),
            Server {
                key: key.clone(),
                label: format!(
                    "{} {}",
                    str_of(&s["server"], "server")?,
                    str_of(&s["version"], "version")?
                ),
                ttl: s["ttl"].as_u64().ok_or("no ttl")?,
                token_path: str_of(&s["token_path"], "token_path")?,
                resource: s["resource"].as_str().map(str::to_owned),
                ports,
                issuers: strings(&s["issuers"]),
                path_issuers: strings(&s["path_issuers"]),
            },
        );
    }
    Ok(Config {
        clients,
        servers,
        keys: strings(&v["keys"]),
        work: v["work"].as_str().map(str::to_owned),
        results: v["results"].as_str().map(str::to_owned),
    })
}

/// A JSON object's string members (none if it is not an object).
fn strings(v: &Value) -> BTreeMap<String, String> {
    v.as_object().map_or(BTreeMap::new(), |o| {
        o.iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
            .collect()
    })
}

/// Records what a case observed: printed (visible with `--nocapture`) and
/// appended to the results file `run.sh` summarises.
pub fn record(server: &Server, scheme: &str, case: &str, outcome: &str) {
    static LOCK: Mutex<()> = Mutex::new(());
    let line = format!(
        "{:<26} {:<6} {:<29} {}",
        server.label, scheme, case, outcome
    );
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    println!("INTEROP {line}");
    if let Some(path) = &config().results {
        if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "{line}");
        }
    }
}

/// A one-shot HTTP/1.1 `GET` to `127.0.0.1:port` (`Connection: close`):
/// the status and the body as text.
pub fn http_get(port: u16, path: &str, bearer: Option<&str>) -> std::io::Result<(u16, String)> {
    let auth = bearer.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    http_get_with(port, path, &headers)
}

/// `GET path` on `127.0.0.1:port` with `headers` (such as a DPoP-bound
/// token's `Authorization: DPoP …` and its `DPoP` proof).
pub fn http_get_with(
    port: u16,
    path: &str,
    headers: &[(&str, &str)],
) -> std::io::Result<(u16, String)> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let auth: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}Accept: application/json\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {head:?}")))?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .replace(' ', "")
            .starts_with("transfer-encoding:chunked")
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Ok((status, body))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].strip_prefix("\r\n").unwrap_or(&rest[n..]);
    }
    out
}
