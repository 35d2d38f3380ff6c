//! Property tests: a transaction fed arbitrary request parts never panics, keeps its
//! buffers within their limits, and answers consistently.
//!
//! The rules are CRS v4 from `../shared` when present (so that every operator and
//! transformation CRS uses sees hostile input), plus a local set that exercises the
//! body processors; without `../shared` only the local set runs, and the test says so.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use waf_core::{RuleSet, Transaction, TransactionOptions};
use waf_seclang::{MemoryLoader, OverlayLoader};

const LOCAL_RULES: &str = r#"
SecRuleEngine On
SecRequestBodyAccess On
SecRequestBodyLimit 65536
SecResponseBodyAccess On
SecRule REQUEST_HEADERS:Content-Type "json" "id:100,phase:1,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule REQUEST_HEADERS:Content-Type "xml" "id:101,phase:1,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule ARGS|ARGS_NAMES|REQUEST_COOKIES|REQUEST_HEADERS|XML:/*|XML://@*|FILES|MULTIPART_PART_HEADERS "@rx (?i)<script|union\s+select" "id:102,phase:2,deny,t:none,t:urlDecodeUni,t:htmlEntityDecode,t:jsDecode,t:cssDecode,t:cmdLine,t:compressWhitespace,t:removeComments"
SecRule ARGS "@detectSQLi" "id:103,phase:2,deny,capture,logdata:'%{TX.0}'"
SecRule ARGS "@detectXSS" "id:104,phase:2,deny"
SecRule REQUEST_BODY|REQUEST_URI "@validateUrlEncoding" "id:105,phase:2,pass,log"
SecRule ARGS "@validateUtf8Encoding" "id:106,phase:2,pass,log,t:base64DecodeExt,t:hexDecode,t:sqlHexDecode,t:normalisePathWin,t:utf8toUnicode"
SecRule REQBODY_ERROR "!@eq 0" "id:107,phase:2,deny,status:400"
SecRule RESPONSE_BODY "@pm password secret" "id:108,phase:4,deny"
"#;

fn load(files: &[String]) -> Arc<RuleSet> {
    let mut memory = MemoryLoader::new();
    memory.insert("<local>", LOCAL_RULES);
    let mut loader = OverlayLoader::new(memory);
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    Arc::new(
        RuleSet::load(&mut loader, &names)
            .unwrap_or_else(|e| panic!("{e}"))
            .rules,
    )
}

fn rules() -> &'static [Arc<RuleSet>] {
    static RULES: OnceLock<Vec<Arc<RuleSet>>> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut sets = vec![load(&["<local>".to_string()])];
        let crs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/crs/v4.28.0");
        match std::fs::read_dir(crs.join("rules")) {
            Ok(entries) => {
                let mut files = vec![
                    "<local>".to_string(),
                    crs.join("crs-setup.conf.example").display().to_string(),
                ];
                let mut rules: Vec<String> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "conf"))
                    .map(|p| p.display().to_string())
                    .collect();
                rules.sort();
                files.extend(rules);
                sets.push(load(&files));
            }
            Err(_) => println!(
                "CRS v4 is absent ({}): only the local rules run",
                crs.display()
            ),
        }
        sets
    })
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..max),
        "[ -~]{0,64}".prop_map(String::into_bytes),
        prop::sample::select(vec![
            b"1' OR '1'='1".to_vec(),
            b"<script>alert(1)</script>".to_vec(),
            b"%u0027%2527%c0%af..%2f".to_vec(),
            b"{\"a\":[1,{\"b\":\"<x>\"}]}".to_vec(),
            b"<?xml version=\"1.0\"?><a b=\"c\">d</a>".to_vec(),
            b"--x\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.php\"\r\n\r\n<?php\r\n--x--\r\n".to_vec(),
        ]),
    ]
}

fn content_type() -> impl Strategy<Value = Vec<u8>> {
    prop::sample::select(vec![
        b"application/x-www-form-urlencoded".to_vec(),
        b"application/json".to_vec(),
        b"text/xml".to_vec(),
        b"multipart/form-data; boundary=x".to_vec(),
        b"multipart/form-data; boundary=\"".to_vec(),
        b"text/plain".to_vec(),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_request_is_evaluated_without_panic(
        uri in bytes(200),
        method in bytes(12),
        headers in prop::collection::vec((bytes(20), bytes(80)), 0..8),
        ct in content_type(),
        body in bytes(2000),
        status in 100u16..600,
        response in bytes(500),
    ) {
        for rules in rules() {
            let mut tx = Transaction::new(Arc::clone(rules), TransactionOptions::default());
            tx.process_connection("198.51.100.7", 4242, "192.0.2.1", 443).unwrap();
            tx.process_uri(&uri, &method, b"1.1").unwrap();
            for (n, v) in &headers {
                tx.add_request_header(n, v).unwrap();
            }
            tx.add_request_header(b"Content-Type", &ct).unwrap();
            let first = tx.process_request_headers().unwrap();
            tx.append_request_body(&body).unwrap();
            let second = tx.process_request_body().unwrap();
            if first.is_some() {
                prop_assert_eq!(&second, &first, "an interruption must stick");
            }
            tx.add_response_header(b"Content-Type", b"text/html").unwrap();
            tx.process_response_headers(status, b"HTTP/1.1").unwrap();
            tx.append_response_body(&response).unwrap();
            tx.process_response_body().unwrap();
            tx.process_logging().unwrap();
            for m in tx.matched_rules() {
                let line = m.error_log_line(None);
                prop_assert_eq!(line.matches("[id \"").count(), 1, "{}", line);
            }
            if let Some(record) = tx.audit_record() {
                prop_assert!(serde_json::from_str::<serde_json::Value>(&record.to_json()).is_ok());
            }
        }
    }
}
