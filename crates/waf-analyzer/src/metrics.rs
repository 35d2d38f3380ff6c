//! Prometheus metrics: plain atomics rendered in the text exposition format,
//! served by a small HTTP/1.1 listener on a local port.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Counters and gauges shared by sources, detector and enforcer.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Lines read from all sources.
    pub records_read: AtomicU64,
    /// Lines that were not audit records.
    pub records_malformed: AtomicU64,
    /// Replayed records dropped by de-duplication.
    pub records_duplicate: AtomicU64,
    /// Records from allowlisted clients.
    pub records_allowlisted: AtomicU64,
    /// Host decisions.
    pub decisions_address: AtomicU64,
    /// Prefix decisions.
    pub decisions_prefix: AtomicU64,
    /// Decisions refused because they touched the allowlist.
    pub decisions_refused_allowlist: AtomicU64,
    /// Entries currently blocked.
    pub active_blocks: AtomicU64,
    /// Successful enforcer syncs.
    pub enforcer_syncs: AtomicU64,
    /// Source errors (I/O, Loki HTTP, websocket).
    pub errors_source: AtomicU64,
    /// Enforcer errors (nft, API server).
    pub errors_enforcer: AtomicU64,
    /// Entries Loki reported as dropped from a tail.
    pub loki_dropped_entries: AtomicU64,
    /// File rotations and truncations noticed.
    pub file_rotations: AtomicU64,
}

impl Metrics {
    /// Adds one.
    pub fn inc(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Text exposition format 0.0.4.
    pub fn render(&self) -> String {
        let mut s = String::with_capacity(2048);
        let mut put = |name: &str, kind: &str, help: &str, labels: &str, v: &AtomicU64| {
            if !labels.contains('=') || !s.contains(&format!("# TYPE {name} ")) {
                let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}");
            }
            let _ = writeln!(s, "{name}{labels} {}", v.load(Ordering::Relaxed));
        };
        put(
            "waf_analyzer_records_read_total",
            "counter",
            "Audit-log lines read.",
            "",
            &self.records_read,
        );
        put(
            "waf_analyzer_records_malformed_total",
            "counter",
            "Lines that were not audit records.",
            "",
            &self.records_malformed,
        );
        put(
            "waf_analyzer_records_duplicate_total",
            "counter",
            "Replayed records dropped.",
            "",
            &self.records_duplicate,
        );
        put(
            "waf_analyzer_records_allowlisted_total",
            "counter",
            "Records from allowlisted clients.",
            "",
            &self.records_allowlisted,
        );
        put(
            "waf_analyzer_decisions_total",
            "counter",
            "Block decisions taken.",
            "{kind=\"address\"}",
            &self.decisions_address,
        );
        put(
            "waf_analyzer_decisions_total",
            "counter",
            "Block decisions taken.",
            "{kind=\"prefix\"}",
            &self.decisions_prefix,
        );
        put(
            "waf_analyzer_decisions_refused_total",
            "counter",
            "Decisions refused by the allowlist.",
            "",
            &self.decisions_refused_allowlist,
        );
        put(
            "waf_analyzer_active_blocks",
            "gauge",
            "Prefixes currently blocked.",
            "",
            &self.active_blocks,
        );
        put(
            "waf_analyzer_enforcer_syncs_total",
            "counter",
            "Successful enforcer syncs.",
            "",
            &self.enforcer_syncs,
        );
        put(
            "waf_analyzer_errors_total",
            "counter",
            "Errors by component.",
            "{component=\"source\"}",
            &self.errors_source,
        );
        put(
            "waf_analyzer_errors_total",
            "counter",
            "Errors by component.",
            "{component=\"enforcer\"}",
            &self.errors_enforcer,
        );
        put(
            "waf_analyzer_loki_dropped_entries_total",
            "counter",
            "Entries Loki dropped from a tail.",
            "",
            &self.loki_dropped_entries,
        );
        put(
            "waf_analyzer_file_rotations_total",
            "counter",
            "Rotations and truncations of followed files.",
            "",
            &self.file_rotations,
        );
        s
    }
}

/// A running metrics listener; stops when dropped or on [`MetricsServer::stop`].
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Binds and serves `GET /metrics` (any other path: 404).
    pub fn start(listen: SocketAddr, metrics: Arc<Metrics>) -> std::io::Result<MetricsServer> {
        let listener = TcpListener::bind(listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let handle = std::thread::Builder::new()
            .name("metrics".into())
            .spawn(move || {
                while !stop2.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((conn, _)) => serve(conn, &metrics),
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(50)),
                    }
                }
            })?;
        Ok(MetricsServer {
            addr,
            stop,
            handle: Some(handle),
        })
    }

    /// The bound address (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the listener thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn serve(mut conn: TcpStream, metrics: &Metrics) {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = conn.set_write_timeout(Some(Duration::from_secs(2)));
    let mut buf = [0u8; 2048];
    let mut n = 0;
    while n < buf.len() {
        match conn.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => {
                n += k;
                if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
    }
    let head = String::from_utf8_lossy(&buf[..n]);
    let path = head.split_whitespace().nth(1).unwrap_or("");
    let (status, ctype, body) =
        if head.starts_with("GET ") && (path == "/metrics" || path.starts_with("/metrics?")) {
            ("200 OK", "text/plain; version=0.0.4", metrics.render())
        } else {
            ("404 Not Found", "text/plain", "not found\n".to_string())
        };
    let _ = write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}
