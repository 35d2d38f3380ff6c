//! The daemon with a followed file, the dry-run enforcer and the metrics
//! endpoint (scraped over 127.0.0.1), and `replay` on both audit-log layouts.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use waf_analyzer::config::{Config, EnforcerConfig, SourceConfig};
use waf_analyzer::enforce::DryRunEnforcer;
use waf_analyzer::metrics::Metrics;

fn coraza(id: &str, ip: &str, rule: u32, ts_ns: u64) -> String {
    format!(
        r#"{{"transaction":{{"timestamp":"x","unix_timestamp":{ts_ns},"id":"{id}","client_ip":"{ip}","client_port":1234,"host_ip":"10.0.0.1","host_port":80,"server_id":"gw","request":{{"method":"GET","protocol":"HTTP/1.1","uri":"/?q=x","headers":{{}}}},"response":{{"status":403}},"producer":{{}}}},"messages":[{{"actionset":"","message":"m","data":{{"file":"f","line":1,"id":{rule},"rev":"","msg":"m","data":"d","severity":2,"ver":"","maturity":0,"accuracy":0,"tags":["attack-sqli"],"raw":""}}}}]}}"#
    )
}

fn modsec(id: &str, ip: &str, rule: u32, stamp: &str) -> String {
    format!(
        r#"{{"transaction":{{"client_ip":"{ip}","time_stamp":"{stamp}","server_id":"s","client_port":1,"host_ip":"10.0.0.1","host_port":80,"unique_id":"{id}","request":{{"method":"GET","http_version":1.1,"uri":"/","headers":{{}}}},"response":{{"http_code":403,"headers":{{}}}},"producer":{{}},"messages":[{{"message":"m","details":{{"match":"","reference":"","ruleId":"{rule}","file":"f","lineNumber":"1","data":"","severity":"2","ver":"","rev":"","tags":[],"maturity":"0","accuracy":"0"}}}},{{"message":"Inbound Anomaly Score Exceeded (Total Score: 10)","details":{{"ruleId":"949110","severity":"0","data":""}}}}]}}}}"#
    )
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);
impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn scrape(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn daemon_follows_a_file_counts_bad_input_and_stops_cleanly() {
    let dir = std::env::temp_dir().join(format!("waf-analyzer-daemon-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("audit.log");
    let mut text = String::new();
    for i in 0..4 {
        text.push_str(&coraza(&format!("c{i}"), "203.0.113.5", 942100 + i, 0));
        text.push('\n');
    }
    // A replayed line (same id), garbage, a truncated record, and a partial last line.
    text.push_str(&coraza("c0", "203.0.113.5", 942100, 0));
    text.push_str("\n\u{0}\u{ff}garbage\n{\"transaction\":{\"client_ip\":\"1.2.3.4\"\n");
    text.push_str(&modsec("m0", "2001:db8::9", 941100, "Tue Nov 24 04:21:41 2026")[..40]);
    std::fs::write(&log, text).unwrap();

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let mut cfg = Config {
        sources: vec![SourceConfig::File {
            path: log.clone(),
            state_file: Some(dir.join("off")),
            from_start: true,
            poll_ms: 20,
        }],
        ..Config::default()
    };
    cfg.enforcer = EnforcerConfig::DryRun;
    cfg.daemon.metrics_listen = Some(port);
    cfg.daemon.flush_interval_ms = 20;
    let out = Shared::default();
    let stop = Arc::new(AtomicBool::new(false));
    let metrics = Arc::new(Metrics::default());
    let h = {
        let (cfg, stop, metrics, out) = (cfg.clone(), stop.clone(), metrics.clone(), out.clone());
        std::thread::spawn(move || {
            waf_analyzer::daemon::run(
                &cfg,
                Box::new(DryRunEnforcer::with_writer(Box::new(out))),
                stop,
                metrics,
            )
        })
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline
        && !String::from_utf8_lossy(&out.0.lock().unwrap()).contains("would block")
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let printed = String::from_utf8_lossy(&out.0.lock().unwrap()).into_owned();
    assert!(
        printed.contains("dry-run: would block 203.0.113.5/32 for 600s"),
        "{printed}"
    );

    let body = scrape(port, "/metrics");
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(body.contains("waf_analyzer_records_read_total 7"), "{body}");
    assert!(
        body.contains("waf_analyzer_records_malformed_total 2"),
        "{body}"
    );
    assert!(
        body.contains("waf_analyzer_records_duplicate_total 1"),
        "{body}"
    );
    assert!(
        body.contains("waf_analyzer_decisions_total{kind=\"address\"} 1"),
        "{body}"
    );
    assert!(body.contains("waf_analyzer_active_blocks 1"), "{body}");
    assert!(scrape(port, "/other").starts_with("HTTP/1.1 404"));

    // The rest of the partial line arrives later: the record is complete and read.
    let full = modsec("m0", "2001:db8::9", 941100, "Tue Nov 24 04:21:41 2026");
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    writeln!(f, "{}", &full[40..]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && metrics.records_read.load(Ordering::Relaxed) < 8 {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(metrics.records_read.load(Ordering::Relaxed), 8);
    assert_eq!(metrics.records_malformed.load(Ordering::Relaxed), 2);

    stop.store(true, Ordering::Relaxed);
    let summary = h.join().unwrap().unwrap();
    assert_eq!(summary.decisions, 1);
    assert!(
        std::net::TcpStream::connect(port).is_err(),
        "metrics listener closed"
    );
    // Offset saved at shutdown: a restart reads nothing again.
    let state = std::fs::read_to_string(dir.join("off")).unwrap();
    let len = std::fs::metadata(&log).unwrap().len();
    assert!(
        state.contains(&format!("\"offset\":{len}")),
        "{state} vs {len}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn replay_reports_decisions_for_both_layouts() {
    let mut log = String::new();
    let t0: u64 = 1_795_494_101_000_000_000;
    for i in 0..5u64 {
        log.push_str(&coraza(
            &format!("c{i}"),
            "203.0.113.5",
            942100,
            t0 + i * 100_000_000,
        ));
        log.push('\n');
    }
    for i in 0..3 {
        log.push_str(&modsec(
            &format!("m{i}"),
            "2001:db8::9",
            941100 + i,
            &format!("Tue Nov 24 04:22:0{i} 2026"),
        ));
        log.push('\n');
    }
    log.push_str("{\"oops\n\n");
    let mut out = Vec::new();
    let s =
        waf_analyzer::replay::replay(&Config::default(), &mut log.as_bytes(), &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(s.records, 9);
    assert_eq!(s.malformed_count, 1);
    assert_eq!(s.malformed[0].0, 9, "line number of the bad line");
    assert_eq!(s.decisions.len(), 2, "{out}");
    assert!(
        out.starts_with(
            "2026-11-24T04:21:41Z block 203.0.113.5/32 for 600s until 2026-11-24T04:31:41Z"
        ),
        "{out}"
    );
    // ModSecurity records carry anomaly score 10: the bucket is full after two, the third request meets the minimum.
    assert!(out.contains("block 2001:db8::9/128"), "{out}");
}
