//! Whole-engine tests: rules and a request in, the rule ids that must (and must not) fire.

use std::sync::Arc;

use crate::{RuleSet, Transaction, TransactionOptions};

fn rules(text: &str) -> Arc<RuleSet> {
    Arc::new(RuleSet::from_text("test.conf", text).unwrap_or_else(|e| panic!("{e}")))
}

/// Runs a request through all phases; returns the ids of logged matches.
fn run(
    rules: &Arc<RuleSet>,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (Vec<u64>, Transaction) {
    let mut tx = Transaction::new(Arc::clone(rules), TransactionOptions::default());
    tx.process_connection("10.0.0.1", 5555, "10.0.0.2", 80)
        .unwrap();
    tx.process_uri(uri.as_bytes(), method.as_bytes(), b"1.1")
        .unwrap();
    for (n, v) in headers {
        tx.add_request_header(n.as_bytes(), v.as_bytes()).unwrap();
    }
    tx.process_request_headers().unwrap();
    tx.append_request_body(body).unwrap();
    tx.process_request_body().unwrap();
    tx.process_response_headers(200, b"HTTP/1.1").unwrap();
    tx.process_response_body().unwrap();
    tx.process_logging().unwrap();
    let ids = tx.matched_rules().iter().map(|m| m.id).collect();
    (ids, tx)
}

#[test]
fn xml_attributes_and_text_are_inspected() {
    let r = rules(
        "SecRequestBodyAccess On\n\
         SecRule REQUEST_HEADERS:Content-Type \"^application/xml\" \"id:1,phase:1,pass,nolog,ctl:requestBodyProcessor=XML\"\n\
         SecRule XML://@* \"@contains evil\" \"id:2,phase:2,pass,log\"\n\
         SecRule XML:/* \"@contains text\" \"id:3,phase:2,pass,log\"\n",
    );
    let body = br#"<?xml version="1.0"?><xml><e a="evil">some text</e></xml>"#;
    let (ids, _) = run(
        &r,
        "POST",
        "/",
        &[("Content-Type", "application/xml")],
        body,
    );
    assert_eq!(ids, vec![2, 3]);
}

#[test]
fn xml_targets_together() {
    let r = rules(
        "SecRequestBodyAccess On\n\
         SecRule REQUEST_HEADERS:Content-Type \"^application/xml\" \"id:1,phase:1,pass,nolog,ctl:requestBodyProcessor=XML\"\n\
         SecRule ARGS|XML:/*|XML://@* \"@pm com.opensymphony.xwork2\" \"id:2,phase:2,pass,log,t:none,t:lowercase\"\n",
    );
    let body = br#"<?xml version="1.0"?><xml><element attribute_name="com.opensymphony.xwork2">element_value</element></xml>"#;
    let (ids, _) = run(
        &r,
        "POST",
        "/",
        &[("Content-Type", "application/xml")],
        body,
    );
    assert_eq!(ids, vec![2]);
}

#[test]
fn body_processor_is_known_in_phase_one_and_macros_expand_in_operators() {
    let r = rules(
        "SecAction \"id:1,phase:1,pass,nolog,setvar:tx.max_file_size=64100\"\n\
         SecRule &TX:MAX_FILE_SIZE \"@eq 1\" \"id:2,phase:1,pass,log,chain\"\n\
         SecRule REQBODY_PROCESSOR \"@streq MULTIPART\" \"chain\"\n\
         SecRule REQUEST_HEADERS:Content-Length \"@gt %{tx.max_file_size}\" \"t:none\"\n",
    );
    let headers = [
        ("Content-Type", "multipart/form-data; boundary=x"),
        ("Content-Length", "64200"),
    ];
    let (ids, _) = run(&r, "POST", "/", &headers, b"");
    assert_eq!(ids, vec![2]);
}
