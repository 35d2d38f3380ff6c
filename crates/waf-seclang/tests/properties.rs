//! Property tests over text built from SecLang's own pieces, so that the generator reaches
//! deep into the grammar: the parser never panics, and whatever parses round-trips.

use proptest::prelude::*;

const PIECES: &[&str] = &[
    "SecRule ",
    "SecAction ",
    "SecMarker ",
    "SecDefaultAction ",
    "SecRuleRemoveById ",
    "SecRuleUpdateTargetById ",
    "SecRuleUpdateActionById ",
    "SecRuleEngine ",
    "Include ",
    "SecResponseBodyMimeType ",
    "SecDebugLog ",
    "ARGS",
    "REQUEST_HEADERS",
    "XML",
    "TX",
    "!",
    "&",
    ":",
    "|",
    "/",
    "'",
    "\"",
    "\\\"",
    "\\",
    "\\\n",
    "\n",
    " ",
    "\t",
    ",",
    "=",
    "+",
    "-",
    ";",
    "@rx ",
    "@pm ",
    "!@eq ",
    "@detectSQLi",
    "id:",
    "phase:",
    "2",
    "942100",
    "msg:",
    "t:",
    "lowercase",
    "setvar:",
    "tx.a",
    "=+",
    "ctl:",
    "ruleRemoveTargetById=",
    "chain",
    "deny",
    "%{",
    "}",
    "tx.score",
    "MATCHED_VAR",
    "#",
    "é",
    "\u{0}",
    "On",
    "^(?:a|b)$",
    "skipAfter:",
    "allow:",
    "severity:",
    "CRITICAL",
    "initcol:",
    "ip=",
    "expirevar:",
];

fn seclang_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn never_panics_and_round_trips(text in seclang_text()) {
        let out = waf_seclang::parse_str("p.conf", &text);
        for d in &out.ast.directives {
            let printed = d.node.to_string();
            let again = waf_seclang::parse_str("printed.conf", &printed);
            prop_assert!(again.errors.is_empty(), "{printed:?}: {:?}", again.errors);
            prop_assert_eq!(again.ast.directives.len(), 1);
            prop_assert_eq!(&again.ast.directives[0].node, &d.node, "{:?}", printed);
        }
    }

    #[test]
    fn arbitrary_unicode_never_panics(text in "\\PC{0,200}") {
        let _ = waf_seclang::parse_str("p.conf", &text);
    }
}
