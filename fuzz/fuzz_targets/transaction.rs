//! A transaction fed arbitrary bytes must never panic. The input is split on 0xFF into
//! URI, method, header lines (`name:value`), request body and response body. With
//! `WAF_FUZZ_CRS=DIR` the rules are that CRS directory's (setup then rules/*.conf).
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use waf_core::{RuleSet, Transaction, TransactionOptions};
use waf_seclang::{MemoryLoader, OverlayLoader};

const LOCAL: &str = r#"
SecRuleEngine On
SecRequestBodyAccess On
SecResponseBodyAccess On
SecRule REQUEST_HEADERS:Content-Type "json" "id:1,phase:1,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule REQUEST_HEADERS:Content-Type "xml" "id:2,phase:1,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule ARGS|ARGS_NAMES|REQUEST_HEADERS|XML:/*|FILES "@rx (?i)<script" "id:3,phase:2,deny,t:urlDecodeUni,t:htmlEntityDecode,t:jsDecode,t:cmdLine"
SecRule ARGS "@detectSQLi" "id:4,phase:2,deny,capture,logdata:'%{TX.0}'"
SecRule ARGS "@detectXSS" "id:5,phase:2,deny"
SecRule RESPONSE_BODY "@pm secret" "id:6,phase:4,deny"
"#;

fn rules() -> &'static Arc<RuleSet> {
    static RULES: OnceLock<Arc<RuleSet>> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut files = vec!["<local>".to_string()];
        if let Ok(dir) = std::env::var("WAF_FUZZ_CRS") {
            files.push(format!("{dir}/crs-setup.conf.example"));
            let mut rules: Vec<String> = std::fs::read_dir(format!("{dir}/rules"))
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok().map(|e| e.path().display().to_string()))
                .filter(|p| p.ends_with(".conf"))
                .collect();
            rules.sort();
            files.extend(rules);
        }
        let mut memory = MemoryLoader::new();
        memory.insert("<local>", LOCAL);
        let names: Vec<&str> = files.iter().map(String::as_str).collect();
        Arc::new(RuleSet::load(&mut OverlayLoader::new(memory), &names).expect("fuzz rules compile").rules)
    })
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0xff);
    let uri = parts.next().unwrap_or_default();
    let method = parts.next().unwrap_or_default();
    let headers = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let response = parts.next().unwrap_or_default();
    let mut tx = Transaction::new(Arc::clone(rules()), TransactionOptions::default());
    let _ = tx.process_connection("192.0.2.1", 1, "192.0.2.2", 2);
    let _ = tx.process_uri(uri, method, b"1.1");
    for line in headers.split(|&b| b == b'\n') {
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(p) => (&line[..p], &line[p + 1..]),
            None => (line, &b""[..]),
        };
        let _ = tx.add_request_header(name, value);
    }
    let _ = tx.process_request_headers();
    let _ = tx.append_request_body(body);
    let _ = tx.process_request_body();
    let _ = tx.add_response_header(b"Content-Type", b"text/html");
    let _ = tx.process_response_headers(200, b"HTTP/1.1");
    let _ = tx.append_response_body(response);
    let _ = tx.process_response_body();
    let _ = tx.process_logging();
    if let Some(record) = tx.audit_record() {
        let _ = record.to_json();
    }
});
