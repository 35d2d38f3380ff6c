//! Threat analyzer throughput: audit records read from a file, parsed
//! (Coraza and libmodsecurity3 layouts), scored and turned into decisions, on
//! one thread. The target is at least 100,000 records per second on one core.

use std::io::BufReader;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use waf_analyzer::config::Config;

const RECORDS: u64 = 100_000;

/// A realistic mix: 70% Coraza, 25% libmodsecurity3, 5% malformed; 2,000
/// clients (a tenth of them IPv6), 1–3 rule matches plus the anomaly summary.
fn make_log() -> String {
    let mut s = String::with_capacity(RECORDS as usize * 900);
    let t0: u64 = 1_795_494_101_000_000_000;
    for i in 0..RECORDS {
        let client = i * 7919 % 2000;
        let ip = if client % 10 == 0 {
            format!("2001:db8:{:x}::{:x}", client / 256, client % 256)
        } else {
            format!("198.51.{}.{}", client / 256, client % 256)
        };
        let ts = t0 + i * 100_000; // 10,000 records per second of log time
        let rule = 942100 + (i % 3) as u32;
        match i % 20 {
            0 => s.push_str("{\"transaction\":{\"client_ip\":\"198.51.100.1\",\"messages\":[{\"data\":{\"id\":9421"),
            1..=5 => s.push_str(&format!(
                r#"{{"transaction":{{"client_ip":"{ip}","time_stamp":"Tue Nov 24 04:21:41 2026","server_id":"b2a4","client_port":51234,"host_ip":"10.0.0.5","host_port":80,"unique_id":"m{i}","request":{{"method":"GET","http_version":1.1,"uri":"/index.php?id=1%27%20or%201=1--","headers":{{"Host":"shop.example","User-Agent":"sqlmap/1.8","Accept":"*/*"}}}},"response":{{"http_code":403,"headers":{{"Content-Type":"text/html"}}}},"producer":{{"modsecurity":"ModSecurity v3.0.14","connector":"envoy","secrules_engine":"Enabled","components":["OWASP_CRS/3.3.4"]}},"messages":[{{"message":"SQL Injection Attack Detected via libinjection","details":{{"match":"detected SQLi using libinjection.","reference":"v19,12","ruleId":"{rule}","file":"/usr/share/modsecurity-crs/rules/REQUEST-942-APPLICATION-ATTACK-SQLI.conf","lineNumber":"45","data":"Matched Data: s&1c found within ARGS:id","severity":"2","ver":"OWASP_CRS/3.3.4","rev":"","tags":["application-multi","language-multi","platform-multi","attack-sqli"],"maturity":"0","accuracy":"0"}}}},{{"message":"Inbound Anomaly Score Exceeded (Total Score: 5)","details":{{"ruleId":"949110","severity":"2","data":""}}}}]}}}}"#
            )),
            _ => s.push_str(&format!(
                r#"{{"transaction":{{"timestamp":"2026/11/24 04:21:41","unix_timestamp":{ts},"id":"c{i}","client_ip":"{ip}","client_port":51234,"host_ip":"10.0.0.5","host_port":80,"server_id":"gw-1","request":{{"method":"GET","protocol":"HTTP/1.1","uri":"/search?q=%3Cscript%3Ealert(1)%3C/script%3E","headers":{{"host":["shop.example"],"user-agent":["Mozilla/5.0"],"x-forwarded-for":["203.0.113.9"]}}}},"response":{{"status":403,"headers":{{}}}},"producer":{{"connector":"waf-proxywasm","version":"0.1.0","server":"envoy","rule_engine":"On","stopwatch":"1795494101 120"}}}},"messages":[{{"actionset":"","message":"XSS Attack Detected via libinjection","data":{{"file":"REQUEST-941-APPLICATION-ATTACK-XSS.conf","line":55,"id":{rule},"rev":"","msg":"XSS Attack Detected via libinjection","data":"Matched Data: XSS data found within ARGS:q: <script>alert(1)</script>","severity":2,"ver":"OWASP_CRS/4.0.0","maturity":0,"accuracy":0,"tags":["application-multi","language-multi","attack-xss","paranoia-level/1"],"raw":""}}}},{{"actionset":"","message":"Inbound Anomaly Score Exceeded (Total Score: 10)","data":{{"id":949110,"msg":"Inbound Anomaly Score Exceeded (Total Score: 10)","severity":0}}}}]}}"#
            )),
        }
        s.push('\n');
    }
    s
}

fn bench(c: &mut Criterion) {
    let log = make_log();
    let path = std::env::temp_dir().join(format!("waf-analyzer-bench-{}.log", std::process::id()));
    std::fs::write(&path, &log).expect("write bench log");
    let cfg = Config::default();
    let mut g = c.benchmark_group("analyzer");
    g.throughput(Throughput::Elements(RECORDS));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("replay_file_100k_records", |b| {
        b.iter(|| {
            let f = std::fs::File::open(&path).expect("open bench log");
            let mut r = BufReader::with_capacity(1 << 20, f);
            let s =
                waf_analyzer::replay::replay(&cfg, &mut r, &mut std::io::sink()).expect("replay");
            assert_eq!(s.records, RECORDS);
            s.decisions.len()
        })
    });
    // The daemon's per-line path (de-duplication, parse, detection, block set),
    // as the source threads feed it.
    g.bench_function("daemon_engine_100k_records", |b| {
        let lines: Vec<&str> = log.lines().collect();
        b.iter(|| {
            let metrics = std::sync::Arc::new(waf_analyzer::metrics::Metrics::default());
            let mut engine = waf_analyzer::daemon::Engine::new(&cfg, metrics);
            for (i, l) in lines.iter().enumerate() {
                engine.line(l, None, "bench", 1_795_494_101_000 + i as u64 / 10);
            }
            engine.blocks().len()
        })
    });
    g.bench_function("parse_only_100k_records", |b| {
        b.iter(|| {
            log.lines()
                .filter(|l| waf_analyzer::AuditRecord::parse(l).is_ok())
                .count()
        })
    });
    g.finish();
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, bench);
criterion_main!(benches);
