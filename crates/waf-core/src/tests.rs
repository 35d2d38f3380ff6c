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

/// The ids logged by phase 1 for a GET of `uri`.
fn phase_one_ids(rules: &Arc<RuleSet>, uri: &str) -> Vec<u64> {
    verdict(rules, uri)
        .1
        .matched_rules()
        .iter()
        .map(|m| m.id)
        .collect()
}

fn verdict(rules: &Arc<RuleSet>, uri: &str) -> (Option<crate::Intervention>, Transaction) {
    let mut tx = Transaction::new(Arc::clone(rules), TransactionOptions::default());
    tx.process_uri(uri.as_bytes(), b"GET", b"1.1").unwrap();
    let v = tx.process_request_headers().unwrap();
    (v, tx)
}

#[test]
fn deny_interrupts_only_when_the_engine_is_on() {
    let on =
        rules("SecRuleEngine On\nSecRule ARGS \"@streq bad\" \"id:1,phase:1,deny,status:418\"");
    let (v, _) = verdict(&on, "/?a=bad");
    assert_eq!(v.map(|i| (i.status, i.rule_id, i.phase)), Some((418, 1, 1)));
    let detect =
        rules("SecRuleEngine DetectionOnly\nSecRule ARGS \"@streq bad\" \"id:1,phase:1,deny\"");
    let (v, tx) = verdict(&detect, "/?a=bad");
    assert_eq!(v, None);
    assert_eq!(tx.matched_rules()[0].id, 1);
    let off = rules("SecRuleEngine Off\nSecRule ARGS \"@streq bad\" \"id:1,phase:1,deny\"");
    let (v, tx) = verdict(&off, "/?a=bad");
    assert_eq!(v, None);
    assert!(tx.matched_rules().is_empty());
}

#[test]
fn block_takes_the_disruptive_action_of_sec_default_action() {
    let r = rules(
        "SecRuleEngine On\nSecDefaultAction \"phase:1,log,auditlog,deny,status:403\"\n\
         SecRule ARGS \"@streq bad\" \"id:1,phase:1,block\"",
    );
    assert_eq!(verdict(&r, "/?a=bad").0.map(|i| i.status), Some(403));
    let r = rules(
        "SecRuleEngine On\nSecDefaultAction \"phase:1,log,auditlog,pass\"\n\
         SecRule ARGS \"@streq bad\" \"id:1,phase:1,block\"",
    );
    assert_eq!(verdict(&r, "/?a=bad").0, None);
}

#[test]
fn an_interrupted_transaction_stays_interrupted() {
    let r = rules(
        "SecRuleEngine On\nSecRule ARGS \"@streq bad\" \"id:7,phase:1,deny\"\nSecRule ARGS \"@unconditionalMatch\" \"id:8,phase:2,pass,log\"",
    );
    let (first, mut tx) = verdict(&r, "/?a=bad");
    assert_eq!(tx.process_request_body().unwrap(), first);
    assert_eq!(
        tx.process_response_headers(200, b"HTTP/1.1").unwrap(),
        first
    );
    tx.process_logging().unwrap();
    assert!(
        tx.matched_rules().iter().all(|m| m.id == 7),
        "phase 2 must not run"
    );
}

#[test]
fn calls_out_of_order_are_typed_errors() {
    let r = rules("SecRule ARGS \"x\" \"id:1,phase:1,pass\"");
    let mut tx = Transaction::new(r, TransactionOptions::default());
    tx.process_uri(b"/", b"GET", b"1.1").unwrap();
    tx.process_request_body().unwrap();
    assert!(matches!(
        tx.process_request_headers(),
        Err(crate::TransactionError::OutOfOrder { .. })
    ));
    assert!(tx.add_request_header(b"a", b"b").is_err());
}

#[test]
fn chains_need_every_link_and_see_earlier_captures() {
    let r = rules(
        "SecRule ARGS:a \"@rx ^(\\w+)-(\\d+)$\" \"id:1,phase:1,pass,log,capture,chain\"\n\
         SecRule TX:2 \"@eq 42\" \"setvar:tx.hit=%{tx.1}\"",
    );
    let (_, tx) = verdict(&r, "/?a=abc-42");
    assert_eq!(tx.tx_value("hit"), Some(&b"abc"[..]));
    assert_eq!(tx.matched_rules().len(), 1);
    let (_, tx) = verdict(&r, "/?a=abc-41");
    assert!(tx.matched_rules().is_empty());
}

#[test]
fn skip_after_and_skip_jump_over_rules() {
    let r = rules(
        "SecRule ARGS:a \"@streq 1\" \"id:1,phase:1,pass,nolog,skipAfter:END\"\n\
         SecAction \"id:2,phase:1,pass,log\"\n\
         SecMarker END\n\
         SecRule ARGS:b \"@streq 1\" \"id:3,phase:1,pass,nolog,skip:1\"\n\
         SecAction \"id:4,phase:1,pass,log\"\n\
         SecAction \"id:5,phase:1,pass,log\"",
    );
    let ids = |uri| phase_one_ids(&r, uri);
    assert_eq!(ids("/?a=1&b=1"), vec![5]);
    assert_eq!(ids("/?a=0&b=0"), vec![2, 4, 5]);
}

#[test]
fn allow_scopes() {
    let text = |scope: &str| {
        format!(
            "SecRuleEngine On\nSecRule ARGS:a \"@streq 1\" \"id:1,phase:1,{scope},nolog\"\n\
             SecAction \"id:2,phase:1,pass,log\"\nSecAction \"id:3,phase:2,pass,log\"\n\
             SecAction \"id:4,phase:3,pass,log\""
        )
    };
    let ids = |scope: &str| {
        let r = rules(&text(scope));
        let (ids, _) = run(&r, "GET", "/?a=1", &[], b"");
        ids
    };
    assert_eq!(ids("allow"), Vec::<u64>::new());
    assert_eq!(ids("allow:phase"), vec![3, 4]);
    assert_eq!(ids("allow:request"), vec![4]);
}

#[test]
fn setvar_arithmetic_macros_and_deletion() {
    let r = rules(
        "SecAction \"id:1,phase:1,pass,nolog,setvar:tx.score=5,setvar:tx.score=+%{tx.score},setvar:tx.score=-3,setvar:tx.flag,setvar:'tx.name_%{tx.score}=%{REQUEST_METHOD}',setvar:!tx.flag\"",
    );
    let (_, tx) = verdict(&r, "/");
    assert_eq!(tx.tx_value("score"), Some(&b"7"[..]));
    assert_eq!(tx.tx_value("name_7"), Some(&b"GET"[..]));
    assert_eq!(tx.tx_value("flag"), None);
}

#[test]
fn ctl_removes_rules_and_targets_for_this_transaction_only() {
    let r = rules(
        "SecRule ARGS:skip \"@streq 1\" \"id:1,phase:1,pass,nolog,ctl:ruleRemoveById=10,ctl:ruleRemoveTargetById=11;ARGS:secret\"\n\
         SecAction \"id:10,phase:1,pass,log\"\n\
         SecRule ARGS \"@contains x\" \"id:11,phase:1,pass,log\"",
    );
    let ids = |uri| phase_one_ids(&r, uri);
    assert_eq!(ids("/?skip=1&secret=x"), Vec::<u64>::new());
    assert_eq!(ids("/?skip=1&secret=x&other=x"), vec![11]);
    assert_eq!(ids("/?skip=0&secret=x"), vec![10, 11]);
}

#[test]
fn exclusions_counts_and_regex_selectors() {
    let r = rules(
        "SecRule ARGS|!ARGS:ok \"@contains x\" \"id:1,phase:1,pass,log\"\n\
         SecRule &ARGS:/^p_/ \"@eq 2\" \"id:2,phase:1,pass,log\"\n\
         SecRule &ARGS:missing \"@eq 0\" \"id:3,phase:1,pass,log\"",
    );
    let ids = |uri| phase_one_ids(&r, uri);
    assert_eq!(ids("/?ok=x&p_a=1&P_b=2"), vec![2, 3]);
    assert_eq!(ids("/?ok=x&bad=x"), vec![1, 3]);
}

#[test]
fn negated_operators_need_a_value() {
    let r = rules("SecRule ARGS:a \"!@streq x\" \"id:1,phase:1,pass,log\"");
    let ids = |uri| phase_one_ids(&r, uri);
    assert_eq!(ids("/?a=y"), vec![1]);
    assert_eq!(ids("/?a=x"), Vec::<u64>::new());
    assert_eq!(
        ids("/?b=y"),
        Vec::<u64>::new(),
        "no value, no match, even negated"
    );
}

#[test]
fn transformations_apply_in_order_and_t_none_resets_defaults() {
    let r = rules(
        "SecDefaultAction \"phase:1,log,pass,t:lowercase\"\n\
         SecRule ARGS:a \"@streq <script>\" \"id:1,phase:1,t:urlDecodeUni\"\n\
         SecRule ARGS:a \"@streq <SCRIPT>\" \"id:2,phase:1,t:none,t:urlDecodeUni\"",
    );
    let ids = |uri| phase_one_ids(&r, uri);
    // The query is decoded once by the argument parser, and %253C is decoded again by the rule.
    assert_eq!(ids("/?a=%253CSCRIPT%253E"), vec![1, 2]);
}

#[test]
fn logged_lines_cannot_be_forged_by_request_data() {
    let r = rules("SecRule ARGS \"@rx .\" \"id:1,phase:1,pass,log,logdata:'%{MATCHED_VAR}'\"");
    let (_, tx) = verdict(
        &r,
        "/?q=x%5D%20%5Bline%20%221%22%5D%20%5Bid%20%2212345%22%5D",
    );
    let line = tx.matched_rules()[0].error_log_line(None);
    assert!(line.contains("[id \"1\"]"));
    assert!(!line.contains("12345\"]"), "{line}");
    assert_eq!(line.matches("[id ").count(), 1, "{line}");
}

#[test]
fn audit_records_follow_relevant_only() {
    let r = rules(
        "SecRuleEngine On\nSecAuditEngine RelevantOnly\nSecRule ARGS \"@streq bad\" \"id:1,phase:1,deny,msg:'Bad arg'\"",
    );
    let mut tx = Transaction::new(
        Arc::clone(&r),
        TransactionOptions {
            id: "abc".into(),
            now_micros: 1_700_000_000_000_000,
        },
    );
    tx.process_connection("192.0.2.1", 1234, "192.0.2.2", 80)
        .unwrap();
    tx.process_uri(b"/?a=bad", b"GET", b"1.1").unwrap();
    tx.process_request_headers().unwrap();
    tx.process_logging().unwrap();
    let record = tx
        .audit_record()
        .expect("an interrupted transaction is relevant");
    let json: serde_json::Value = serde_json::from_str(&record.to_json()).unwrap();
    assert_eq!(json["transaction"]["id"], "abc");
    assert_eq!(json["transaction"]["client_ip"], "192.0.2.1");
    assert_eq!(json["transaction"]["is_interrupted"], true);
    assert_eq!(json["messages"][0]["data"]["id"], 1);
    assert_eq!(json["messages"][0]["message"], "Bad arg");
    let (_, mut quiet) = verdict(&r, "/?a=good");
    quiet.process_logging().unwrap();
    assert!(quiet.audit_record().is_none());
}

#[test]
fn request_body_is_bounded_by_its_limit() {
    let r = rules(
        "SecRequestBodyAccess On\nSecRequestBodyLimit 10\nSecRequestBodyLimitAction ProcessPartial\nSecRule REQUEST_BODY \"@unconditionalMatch\" \"id:1,phase:2,pass,log,logdata:'%{REQUEST_BODY_LENGTH}'\"",
    );
    let mut tx = Transaction::new(r, TransactionOptions::default());
    tx.process_uri(b"/", b"POST", b"1.1").unwrap();
    tx.process_request_headers().unwrap();
    assert!(tx.append_request_body(b"0123456789").unwrap());
    assert!(!tx.append_request_body(b"overflow").unwrap());
    tx.process_request_body().unwrap();
    assert_eq!(tx.matched_rules()[0].data, b"10");
}

#[test]
fn reject_limit_action_interrupts_with_413() {
    let r = rules(
        "SecRuleEngine On\nSecRequestBodyAccess On\nSecRequestBodyLimit 4\nSecRequestBodyLimitAction Reject",
    );
    let mut tx = Transaction::new(r, TransactionOptions::default());
    tx.process_uri(b"/", b"POST", b"1.1").unwrap();
    tx.process_request_headers().unwrap();
    tx.append_request_body(b"too long").unwrap();
    assert_eq!(
        tx.process_request_body().unwrap().map(|i| i.status),
        Some(413)
    );
}

#[test]
fn compile_errors_carry_positions() {
    let err = RuleSet::from_text(
        "x.conf",
        "SecRule NOPE \"x\" \"id:1\"\nSecRule ARGS \"x\" \"id:1\"\nSecRule ARGS \"x\" \"id:1\"",
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("x.conf:1:9: unknown variable `NOPE`"),
        "{text}"
    );
    assert!(
        text.contains("x.conf:2:1: duplicate rule id 1 (first defined at x.conf:1:1)"),
        "{text}"
    );
    let err = RuleSet::from_text("y.conf", "SecRule ARGS \"@rx (\" \"id:2\"").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("y.conf:1:15: @rx: bad regular expression"),
        "{err}"
    );
}

#[test]
fn rule_sets_are_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RuleSet>();
    fn assert_send<T: Send>() {}
    assert_send::<Transaction>();
}

#[test]
fn no_files_limit_applies_to_the_body_without_uploads() {
    let r = rules(
        "SecRuleEngine On\nSecRequestBodyAccess On\nSecRequestBodyNoFilesLimit 8\nSecRequestBodyLimitAction Reject",
    );
    let run_body = |ct: &str, body: &[u8]| {
        let mut tx = Transaction::new(Arc::clone(&r), TransactionOptions::default());
        tx.process_uri(b"/", b"POST", b"1.1").unwrap();
        tx.add_request_header(b"Content-Type", ct.as_bytes())
            .unwrap();
        tx.process_request_headers().unwrap();
        tx.append_request_body(body).unwrap();
        tx.process_request_body().unwrap().map(|i| i.status)
    };
    assert_eq!(
        run_body("application/x-www-form-urlencoded", b"a=123456789"),
        Some(413)
    );
    assert_eq!(run_body("application/x-www-form-urlencoded", b"a=1"), None);
}

#[test]
fn duration_comes_from_the_callers_clock() {
    let r = rules("SecRule DURATION \"@ge 1500\" \"id:1,phase:3,pass,log\"");
    let mut tx = Transaction::new(
        r,
        TransactionOptions {
            id: String::new(),
            now_micros: 1_000,
        },
    );
    tx.process_uri(b"/", b"GET", b"1.1").unwrap();
    tx.process_request_headers().unwrap();
    tx.set_now(3_000);
    tx.process_response_headers(200, b"HTTP/1.1").unwrap();
    assert_eq!(tx.matched_rules().len(), 1);
}

#[test]
fn screens_skip_only_what_cannot_match() {
    // Rule 1's screen is carried back through its transformations: the raw value has
    // no `<` but a `%` that decodes to one, so it must still be tested. Rule 2 cannot be
    // screened (base64 output says nothing about its input). Rule 3 is negated: a value
    // its pattern rules out makes it match. Rule 4 reads request data and TX together.
    let r = rules(
        "SecRule ARGS \"@rx <script\" \"id:1,phase:1,pass,log,t:none,t:urlDecodeUni,t:lowercase\"\n\
         SecRule ARGS \"@rx <script\" \"id:2,phase:1,pass,log,t:none,t:base64Decode\"\n\
         SecRule ARGS:a \"!@rx <script\" \"id:3,phase:1,pass,log\"\n\
         SecAction \"id:10,phase:1,pass,nolog,setvar:tx.probe=<script\"\n\
         SecRule ARGS|TX:probe \"@rx <script\" \"id:4,phase:1,pass,log\"",
    );
    let ids = |uri| phase_one_ids(&r, uri);
    assert_eq!(ids("/?a=%253CSCRIPT"), vec![1, 3, 4]);
    assert_eq!(ids("/?a=PHNjcmlwdA=="), vec![2, 3, 4]);
    assert_eq!(ids("/?a=plain"), vec![3, 4]);
}

#[test]
fn body_arguments_reach_screened_rules_after_phase_one_summaries() {
    // The body arrives before phase 1, which summarises ARGS and REQUEST_HEADERS while only
    // the query is parsed. The body adds ARGS in phase 2, so that summary must be taken
    // again; the headers' is kept.
    let r = rules(
        "SecRequestBodyAccess On\n\
         SecRule ARGS|REQUEST_HEADERS \"@rx <script\" \"id:1,phase:1,pass,log\"\n\
         SecRule ARGS \"@rx <script\" \"id:2,phase:2,pass,log\"\n\
         SecRule REQUEST_HEADERS \"@rx evil\" \"id:3,phase:2,pass,log\"",
    );
    let mut tx = Transaction::new(Arc::clone(&r), TransactionOptions::default());
    tx.process_uri(b"/?q=plain", b"POST", b"1.1").unwrap();
    tx.add_request_header(b"Content-Type", b"application/x-www-form-urlencoded")
        .unwrap();
    tx.add_request_header(b"X-Note", b"evil").unwrap();
    tx.append_request_body(b"a=%3Cscript%3E").unwrap();
    tx.process_request_headers().unwrap();
    tx.process_request_body().unwrap();
    let ids: Vec<u64> = tx.matched_rules().iter().map(|m| m.id).collect();
    assert_eq!(ids, vec![2, 3]);
}

#[test]
fn one_tx_variable_links_answer_as_a_full_evaluation() {
    // Links that read one TX variable are tested with a lookup first (see
    // `Rule::tx_probe`); only the answer may differ in cost, never in result.
    let r = rules(
        "SecAction \"id:1,phase:1,pass,nolog,setvar:tx.level=1\"\n\
         SecRule TX:LEVEL \"@lt 2\" \"id:2,phase:1,pass,log\"\n\
         SecRule TX:level \"!@lt 2\" \"id:3,phase:1,pass,log\"\n\
         SecRule TX:missing \"!@eq 1\" \"id:4,phase:1,pass,log\"\n\
         SecRule &TX:missing \"@eq 0\" \"id:5,phase:1,pass,log\"\n\
         SecRule &TX:level \"@eq 1\" \"id:6,phase:1,pass,log,chain\"\n\
             SecRule TX:level \"@gt 5\" \"t:none\"\n\
         SecRule TX:level \"@rx ^1$\" \"id:7,phase:1,pass,log,capture,setvar:tx.copy=%{tx.0}\"\n\
         SecRule TX:copy \"@streq 1\" \"id:8,phase:1,pass,log\"\n\
         SecRule &TX:level \"@eq 1\" \"id:9,phase:1,pass,log,\
             setvar:tx.name=%{MATCHED_VAR_NAME},setvar:tx.value=%{MATCHED_VAR}\"\n\
         SecRule TX:name \"@streq TX:level\" \"id:10,phase:1,pass,log\"\n\
         SecRule TX:value \"@streq 1\" \"id:11,phase:1,pass,log\"\n\
         SecRule TX:LEVEL \"@lt 2\" \"id:12,phase:1,pass,log,setvar:tx.seen=%{MATCHED_VARS}\"\n\
         SecRule TX:seen \"@streq 1\" \"id:13,phase:1,pass,log\"",
    );
    assert_eq!(phase_one_ids(&r, "/"), vec![2, 5, 7, 8, 9, 10, 11, 12, 13]);
}

#[test]
fn a_transaction_starts_clean_after_another_on_the_same_thread() {
    // Finished transactions leave their buffers to the next one (see `Recycled`): none of
    // their TX variables, summaries or matches may show through.
    let r = rules(
        "SecRule ARGS:a \"@streq set\" \"id:1,phase:1,pass,log,setvar:tx.secret=1\"\n\
         SecRule &TX:secret \"@eq 1\" \"id:2,phase:1,pass,log\"\n\
         SecRule ARGS \"@rx <script\" \"id:3,phase:1,pass,log\"",
    );
    assert_eq!(phase_one_ids(&r, "/?a=set"), vec![1, 2]);
    assert_eq!(phase_one_ids(&r, "/?a=plain"), Vec::<u64>::new());
    assert_eq!(phase_one_ids(&r, "/?a=%3Cscript%3E"), vec![3]);
    let (_, tx) = verdict(&r, "/?a=plain");
    assert_eq!(tx.tx_value("secret"), None);
}
