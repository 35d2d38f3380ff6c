//! Runs go-ftw suites over the wire: each stage's bytes go to a real HTTP front end
//! (Envoy with our filter) on 127.0.0.1, and the ModSecurity-style lines the filter wrote
//! into Envoy's log for that request are checked, as go-ftw does with a WAF's log.
//!
//! Finding one request's lines in a shared log works the go-ftw way: before and after the
//! test request, a marker request carries `X-CRS-Test: <unique value>`, which rule 999999
//! ([`MARKER_RULE`], part of [`harness_directives`]) logs. The test's lines are those
//! between the two markers' lines. Envoy must run one worker (`--concurrency 1`) so that
//! lines come out in request order.
//!
//! The filter must run the CRS harness configuration ([`harness_directives`]): the same
//! engine settings and test settings as the in-process runner ([`super::runner`]), so
//! that any difference between the two runs is Envoy's HTTP handling.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::expect::Outcome;
use super::model::Stage;
use super::overrides::{Action, Overrides};
use super::runner::{
    Report, TEST_SETTINGS_V3, TEST_SETTINGS_V4, Verdict, base_config, run_stages, run_tests,
};
use crate::e2e::envoy::read_response;

/// Logs the marker header, so that each request's lines can be found.
pub const MARKER_RULE: &str = r#"SecRule REQUEST_HEADERS:X-CRS-Test "@rx ^.*$" "id:999999,phase:1,pass,t:none,log,msg:'X-CRS-Test %{MATCHED_VAR}'""#;

/// The filter's directives for a go-ftw run: engine settings, the embedded CRS with the
/// harness's test settings, and the marker rule. `crs4` picks the CRS 4 test settings.
pub fn harness_directives(crs4: bool) -> Vec<String> {
    let settings = if crs4 {
        TEST_SETTINGS_V4
    } else {
        TEST_SETTINGS_V3
    };
    vec![
        base_config(),
        "Include @crs-setup.conf".into(),
        settings.to_string(),
        "Include @owasp_crs/*.conf".into(),
        MARKER_RULE.into(),
    ]
}

/// Where the requests go and where the lines come from.
#[derive(Debug, Clone)]
pub struct WireTarget {
    pub port: u16,
    /// Envoy's log (its stderr).
    pub log: PathBuf,
    /// How long to wait for a response.
    pub timeout: Duration,
}

impl WireTarget {
    /// Parses `http://127.0.0.1:PORT` (only loopback targets are accepted).
    pub fn parse(url: &str, log: &Path) -> Result<WireTarget, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("{url}: only http:// targets are supported"))?;
        let authority = rest.split('/').next().unwrap_or_default();
        let (host, port) = authority
            .rsplit_once(':')
            .ok_or_else(|| format!("{url}: no port"))?;
        if host != "127.0.0.1" && host != "localhost" {
            return Err(format!("{url}: only 127.0.0.1 targets are allowed"));
        }
        let port = port.parse().map_err(|_| format!("{url}: bad port"))?;
        Ok(WireTarget {
            port,
            log: log.to_path_buf(),
            timeout: Duration::from_secs(3),
        })
    }
}

fn marker_request(value: &str) -> Vec<u8> {
    format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: waf-ftw\r\nAccept: */*\r\nX-CRS-Test: {value}\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

fn send(port: u16, bytes: &[u8], timeout: Duration) -> Outcome {
    let result = (|| {
        let mut conn = TcpStream::connect(("127.0.0.1", port))?;
        conn.set_read_timeout(Some(timeout))?;
        conn.set_write_timeout(Some(timeout))?;
        conn.write_all(bytes)?;
        read_response(&mut conn)
    })();
    match result {
        Ok(response) => {
            let mut text = response.head.into_bytes();
            text.extend_from_slice(b"\r\n\r\n");
            text.extend_from_slice(&response.body);
            Outcome {
                status: Some(response.status),
                response_body: text,
                ..Outcome::default()
            }
        }
        Err(e) => Outcome {
            error: Some(e.to_string()),
            ..Outcome::default()
        },
    }
}

fn log_from(path: &Path, offset: u64) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let mut text = Vec::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        let _ = file.seek(SeekFrom::Start(offset));
        let _ = file.read_to_end(&mut text);
    }
    String::from_utf8_lossy(&text).into_owned()
}

fn log_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

static MARKERS: AtomicU64 = AtomicU64::new(0);

/// Sends one stage's bytes between two markers and collects the filter's lines for it.
pub fn run_request(target: &WireTarget, raw: &[u8]) -> Outcome {
    let n = MARKERS.fetch_add(1, Ordering::Relaxed);
    let start = format!("waf-ftw-{}-{n}-start", std::process::id());
    let end = format!("waf-ftw-{}-{n}-end", std::process::id());
    let offset = log_len(&target.log);
    let _ = send(target.port, &marker_request(&start), target.timeout);
    let mut outcome = send(target.port, raw, target.timeout);
    let _ = send(target.port, &marker_request(&end), target.timeout);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut text = log_from(&target.log, offset);
    while !text.contains(&end) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
        text = log_from(&target.log, offset);
    }
    let lines: Vec<&str> = text.lines().collect();
    let first = lines
        .iter()
        .rposition(|l| l.contains(&start))
        .map_or(0, |i| i + 1);
    let last = lines
        .iter()
        .position(|l| l.contains(&end))
        .unwrap_or(lines.len());
    let mut log = String::new();
    for line in lines.get(first..last.max(first)).unwrap_or_default() {
        if let Some(at) = line.find("ModSecurity: ") {
            log.push_str(&line[at..]);
            log.push('\n');
        }
    }
    outcome.log = log;
    outcome
}

/// Runs every stage of a test over the wire; the first failing stage decides.
pub fn run_test(target: &WireTarget, stages: &[Stage], overrides: Option<&Action>) -> Verdict {
    run_stages(stages, overrides, |raw| run_request(target, raw))
}

/// Runs a whole suite directory against a running front end.
pub fn run_suite(
    target: &WireTarget,
    tests_dir: &Path,
    overrides: &Overrides,
    filter: Option<&str>,
) -> Result<Report, String> {
    run_tests(tests_dir, overrides, filter, |stages, action| {
        run_test(target, stages, action)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_must_be_loopback() {
        let t = WireTarget::parse("http://127.0.0.1:8080", Path::new("x.log")).unwrap();
        assert_eq!(t.port, 8080);
        assert!(WireTarget::parse("http://example.com:80", Path::new("x")).is_err());
        assert!(WireTarget::parse("https://127.0.0.1:1", Path::new("x")).is_err());
    }

    #[test]
    fn harness_directives_compile_inline_parts() {
        let d = harness_directives(true);
        assert!(d[2].contains("900005"));
        assert!(d.last().unwrap().contains("999999"));
    }
}
