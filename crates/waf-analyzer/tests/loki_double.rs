//! Loki sources against a local double of Grafana Loki's HTTP API (no Loki
//! server can run here). The double implements the parts of the protocol the
//! client depends on: `GET /loki/api/v1/query_range` with `query`, `start`
//! (inclusive, ns), `end` (exclusive, ns), `limit` counted across all streams
//! and `direction=forward`, answering `{"status":"success","data":{"resultType":
//! "streams","result":[{"stream":{..},"values":[["<ns>","<line>"],..]}]}}`;
//! and `GET /loki/api/v1/tail` upgraded to a websocket that sends
//! `{"streams":[..],"dropped_entries":[..]}` text messages.

mod common;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Double, Reply, Request};
use serde_json::json;
use waf_analyzer::config::{LokiConfig, LokiMode};
use waf_analyzer::source::loki::{LokiPoller, LokiTail};

type Streams = Vec<(BTreeMap<String, String>, Vec<(u128, String)>)>;

fn query_range(streams: &Streams, r: &Request) -> Reply {
    if r.path != "/loki/api/v1/query_range" {
        return Reply::json(404, "404 page not found");
    }
    if r.query.get("query").map(String::as_str) != Some(r#"{app="waf-gateway"}"#) {
        return Reply::json(400, "parse error: bad query");
    }
    if r.query.get("direction").map(String::as_str) != Some("forward") {
        return Reply::json(400, "expected direction=forward");
    }
    let num = |k: &str| r.query.get(k).and_then(|v| v.parse::<u128>().ok());
    let (Some(start), Some(end), Some(limit)) = (num("start"), num("end"), num("limit")) else {
        return Reply::json(400, "bad start/end/limit");
    };
    // Merge all streams, oldest first, take `limit` across streams.
    let mut all: Vec<(u128, usize, usize)> = Vec::new();
    for (si, (_, vals)) in streams.iter().enumerate() {
        for (vi, (ts, _)) in vals.iter().enumerate() {
            if *ts >= start && *ts < end {
                all.push((*ts, si, vi));
            }
        }
    }
    all.sort();
    all.truncate(limit as usize);
    let mut by_stream: BTreeMap<usize, Vec<serde_json::Value>> = BTreeMap::new();
    for (ts, si, vi) in all {
        by_stream
            .entry(si)
            .or_default()
            .push(json!([ts.to_string(), streams[si].1[vi].1]));
    }
    let result: Vec<_> = by_stream
        .into_iter()
        .map(|(si, values)| json!({"stream": streams[si].0, "values": values}))
        .collect();
    Reply {
        status: 200,
        body:
            json!({"status":"success","data":{"resultType":"streams","result":result,"stats":{}}})
                .to_string(),
        delay: None,
        chunked: true,
    }
}

fn labels(pod: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app".into(), "waf-gateway".into()),
        ("pod".into(), pod.into()),
    ])
}

fn loki_cfg(url: &str, limit: u32) -> LokiConfig {
    LokiConfig {
        url: url.into(),
        query: r#"{app="waf-gateway"}"#.into(),
        mode: LokiMode::Poll,
        tenant: Some("team-a".into()),
        poll_interval_secs: 1,
        limit,
        lookback_secs: 100,
        delay_secs: 0,
        timeout_secs: 1,
        state_file: None,
    }
}

const T0: u128 = 1_700_000_000_000_000_000;

#[test]
fn pagination_across_streams_returns_each_entry_once() {
    // Three streams whose entries interleave and share timestamps across page edges.
    let mut streams: Streams = vec![
        (labels("a"), vec![]),
        (labels("b"), vec![]),
        (labels("c"), vec![]),
    ];
    let mut expected = Vec::new();
    for i in 0..40u128 {
        let ts = T0 + (i / 3) * 1000; // runs of three equal timestamps
        let s = (i % 3) as usize;
        let line = format!("line-{i}");
        streams[s].1.push((ts, line.clone()));
        expected.push(line);
    }
    // A run of 9 equal timestamps: larger than the page, so the limit must grow.
    for i in 0..9 {
        let line = format!("burst-{i}");
        streams[i % 3].1.push((T0 + 50_000, line.clone()));
        expected.push(line);
    }
    let streams = Arc::new(streams);
    let s2 = streams.clone();
    let server = Double::start(Arc::new(move |r: &Request| query_range(&s2, r)));
    let mut p = LokiPoller::new(loki_cfg(&server.url(), 4)).unwrap();
    let mut got = Vec::new();
    let now = T0 + 60_000;
    let n = p
        .poll(now + 100 * 1_000_000_000 - 100 * 1_000_000_000, &mut |e| {
            got.push(e.line)
        })
        .unwrap();
    assert_eq!(n, got.len());
    let mut a = got.clone();
    a.sort();
    let mut b = expected.clone();
    b.sort();
    assert_eq!(a, b, "every entry exactly once");
    // Tenant header and the cursor moved to the window end; a second poll sends nothing new.
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("x-scope-orgid") == Some("team-a"))
    );
    let mut again = Vec::new();
    p.poll(now + 1, &mut |e| again.push(e.line)).unwrap();
    assert!(again.is_empty(), "{again:?}");
}

#[test]
fn errors_and_timeouts_keep_the_cursor_so_nothing_is_lost() {
    let streams: Streams = vec![(
        labels("a"),
        (0..5).map(|i| (T0 + i, format!("l{i}"))).collect(),
    )];
    let streams = Arc::new(streams);
    let calls = Arc::new(AtomicUsize::new(0));
    let (s2, c2) = (streams.clone(), calls.clone());
    let server = Double::start(Arc::new(move |r: &Request| {
        match c2.fetch_add(1, Ordering::SeqCst) {
            0 => Reply::json(500, "too many outstanding requests"),
            1 => Reply {
                delay: Some(Duration::from_millis(1500)),
                ..query_range(&s2, r)
            },
            2 => Reply::json(
                200,
                r#"{"status":"error","errorType":"bad_data","error":"query timed out"}"#,
            ),
            3 => Reply::json(
                200,
                "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}",
            ),
            4 => Reply::json(200, "{truncated"),
            _ => query_range(&s2, r),
        }
    }));
    let mut p = LokiPoller::new(loki_cfg(&server.url(), 100)).unwrap();
    let now = T0 + 10;
    let mut got = Vec::new();
    let mut errors = Vec::new();
    for _ in 0..6 {
        match p.poll(now, &mut |e| got.push(e.line)) {
            Ok(_) => break,
            Err(e) => errors.push(e.to_string()),
        }
    }
    assert_eq!(errors.len(), 5, "{errors:?}");
    assert!(errors[0].contains("HTTP 500"), "{}", errors[0]);
    assert!(
        errors[1].contains("query_range"),
        "timeout names the URL: {}",
        errors[1]
    );
    assert!(errors[2].contains("query timed out"));
    assert!(errors[3].contains("matrix"));
    assert_eq!(got, vec!["l0", "l1", "l2", "l3", "l4"]);
}

/// A one-connection-at-a-time websocket double of `/loki/api/v1/tail`.
fn tail_double(
    script: Vec<Vec<String>>,
    starts: Arc<Mutex<Vec<String>>>,
) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let h = std::thread::spawn(move || {
        for messages in script {
            let (stream, _) = listener.accept().unwrap();
            let starts = starts.clone();
            #[allow(clippy::result_large_err)] // the signature is tungstenite's
            let callback = |req: &tungstenite::handshake::server::Request, resp| {
                let uri = req.uri();
                assert_eq!(uri.path(), "/loki/api/v1/tail");
                let q = uri.query().unwrap_or("");
                assert!(q.contains("query=%7Bapp%3D%22waf-gateway%22%7D"), "{q}");
                let start = q
                    .split('&')
                    .find_map(|p| p.strip_prefix("start="))
                    .unwrap_or("")
                    .to_string();
                starts.lock().unwrap().push(start);
                Ok(resp)
            };
            let mut ws = tungstenite::accept_hdr(stream, callback).unwrap();
            for m in messages {
                ws.send(tungstenite::Message::Text(m.into())).unwrap();
            }
            let _ = ws.close(None);
            let _ = ws.flush();
            // Let the client read the close frame.
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    (url, h)
}

fn tail_msg(entries: &[(u128, &str)], dropped: usize) -> String {
    let values: Vec<_> = entries
        .iter()
        .map(|(t, l)| json!([t.to_string(), l]))
        .collect();
    let dropped: Vec<_> = (0..dropped)
        .map(|i| json!({"labels": labels("a"), "timestamp": (T0 + i as u128).to_string()}))
        .collect();
    json!({"streams":[{"stream": labels("a"), "values": values}], "dropped_entries": dropped})
        .to_string()
}

#[test]
fn tail_reconnects_from_the_last_timestamp_without_duplicates() {
    let starts = Arc::new(Mutex::new(Vec::new()));
    let script = vec![
        vec![
            tail_msg(&[(T0 + 1, "a"), (T0 + 2, "b")], 0),
            tail_msg(&[(T0 + 3, "c")], 2),
        ],
        // After reconnecting, Loki replays from `start` (inclusive): c again, then new ones.
        vec![
            tail_msg(&[(T0 + 3, "c"), (T0 + 3, "c2"), (T0 + 4, "d")], 0),
            "not json".into(),
        ],
    ];
    let (url, h) = tail_double(script, starts.clone());
    let mut cfg = loki_cfg(&url, 100);
    cfg.mode = LokiMode::Tail;
    cfg.tenant = None;
    let mut tail = LokiTail::new(cfg).unwrap();
    let mut got = Vec::new();
    let mut dropped = 0;
    let mut errors = 0;
    for _ in 0..40 {
        match tail.read(T0 + 10, &mut |e| got.push(e.line)) {
            Ok(b) => dropped += b.dropped,
            Err(_) => errors += 1,
        }
        if got.len() >= 5 && errors >= 2 {
            break;
        }
    }
    h.join().unwrap();
    assert_eq!(got, vec!["a", "b", "c", "c2", "d"]);
    assert_eq!(dropped, 2);
    assert!(errors >= 1);
    let starts = starts.lock().unwrap();
    assert_eq!(
        starts[1],
        (T0 + 3).to_string(),
        "reconnect starts at the newest timestamp seen"
    );
}

/// The whole daemon reading from the Loki double (poll mode): records spread over
/// two streams become one decision; lines Loki serves again are not counted twice.
#[test]
fn daemon_reads_loki_and_decides() {
    use std::sync::atomic::AtomicBool;
    use waf_analyzer::clock::now_ms;
    use waf_analyzer::config::{Config, EnforcerConfig, SourceConfig};
    use waf_analyzer::metrics::Metrics;

    let now_ns = u128::from(now_ms()) * 1_000_000;
    let rec = |i: u32| {
        format!(
            r#"[gw] {{"transaction":{{"client_ip":"192.0.2.77"}},"messages":[{{"data":{{"id":{},"severity":"CRITICAL"}}}}]}}"#,
            942100 + i
        )
    };
    let streams: Streams = vec![
        (
            labels("a"),
            vec![
                (now_ns - 30_000_000_000, rec(0)),
                (now_ns - 20_000_000_000, rec(2)),
            ],
        ),
        (
            labels("b"),
            vec![
                (now_ns - 25_000_000_000, rec(1)),
                (now_ns - 15_000_000_000, rec(3)),
            ],
        ),
    ];
    let streams = Arc::new(streams);
    let s2 = streams.clone();
    let server = Double::start(Arc::new(move |r: &Request| query_range(&s2, r)));
    let mut loki = loki_cfg(&server.url(), 3);
    loki.lookback_secs = 60;
    loki.tenant = None;
    let state =
        std::env::temp_dir().join(format!("waf-analyzer-loki-cursor-{}", std::process::id()));
    let _ = std::fs::remove_file(&state);
    loki.state_file = Some(state.clone());
    let config = Config {
        sources: vec![SourceConfig::Loki(loki)],
        enforcer: EnforcerConfig::DryRun,
        ..Config::default()
    };
    let mut config = config;
    config.daemon.metrics_listen = None;
    config.daemon.flush_interval_ms = 20;
    let stop = Arc::new(AtomicBool::new(false));
    let metrics = Arc::new(Metrics::default());
    let enforcer = Box::new(waf_analyzer::enforce::DryRunEnforcer::with_writer(
        Box::new(std::io::sink()),
    ));
    let h = {
        let (config, stop, metrics) = (config.clone(), stop.clone(), metrics.clone());
        std::thread::spawn(move || waf_analyzer::daemon::run(&config, enforcer, stop, metrics))
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    // Two polls at least (one per second): the second must not re-deliver.
    while std::time::Instant::now() < deadline && server.requests().len() < 4 {
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Relaxed);
    let summary = h.join().unwrap().unwrap();
    assert_eq!(summary.decisions, 1);
    assert_eq!(
        metrics.records_read.load(Ordering::Relaxed),
        4,
        "each Loki entry read once"
    );
    assert_eq!(metrics.records_malformed.load(Ordering::Relaxed), 0);
    // The cursor was saved: a restart resumes after the entries already read.
    let cursor: u128 = std::fs::read_to_string(&state)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(cursor > now_ns - 15_000_000_000, "{cursor}");
    let _ = std::fs::remove_file(&state);
}
