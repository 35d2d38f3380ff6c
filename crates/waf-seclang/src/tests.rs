//! Directive-level tests: whole lines in, tree or positioned errors out.

use super::*;

fn one(text: &str) -> Directive {
    let out = parse_str("t.conf", text);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.ast.directives.len(), 1);
    out.ast.directives.into_iter().next().unwrap().node
}

fn errors(text: &str) -> Vec<String> {
    parse_str("t.conf", text)
        .errors
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn secrule_with_continuations_and_chain() {
    let out = parse_str(
        "t.conf",
        "SecRule REQUEST_METHOD \"@streq POST\" \\\n    \"id:1,phase:2,deny,chain\"\n    SecRule &REQUEST_HEADERS:Content-Length \"@eq 0\" \"t:none\"\n",
    );
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.rule_directive_count(), 2);
    let Directive::Rule(second) = &out.ast.directives[1].node else {
        panic!()
    };
    assert!(second.variables[0].count);
    assert_eq!(out.ast.directives[1].span.line, 3);
    assert_eq!(out.ast.directives[1].span.column, 5);
}

#[test]
fn secrule_without_actions_is_allowed() {
    let Directive::Rule(rule) = one("SecRule ARGS \"@contains x\"") else {
        panic!()
    };
    assert!(rule.actions.is_empty());
}

#[test]
fn quoted_variable_list() {
    let Directive::Rule(rule) = one("SecRule \"ARGS|ARGS_NAMES\" \"x\" \"id:1\"") else {
        panic!()
    };
    assert_eq!(rule.variables.len(), 2);
}

#[test]
fn escaped_quotes_in_operator() {
    let Directive::Rule(rule) = one(r#"SecRule ARGS "@rx [\"']x" "id:1""#) else {
        panic!()
    };
    assert_eq!(
        rule.operator.argument.raw,
        r#"[\"']x"#.replace("\\\"", "\"")
    );
}

#[test]
fn config_directives_are_typed() {
    assert_eq!(
        one("SecRuleEngine DetectionOnly"),
        Directive::Setting(Setting::RuleEngine(EngineMode::DetectionOnly))
    );
    assert_eq!(
        one("secrequestbodylimit 13107200"),
        Directive::Setting(Setting::RequestBodyLimit(13107200))
    );
    assert_eq!(
        one("SecRequestBodyLimitAction ProcessPartial"),
        Directive::Setting(Setting::RequestBodyLimitAction(LimitAction::ProcessPartial))
    );
    assert_eq!(
        one("SecResponseBodyMimeType text/plain text/html"),
        Directive::Setting(Setting::ResponseBodyMimeType(vec![
            "text/plain".into(),
            "text/html".into()
        ]))
    );
    assert_eq!(
        one("SecAuditLogRelevantStatus \"^(?:5|4(?!04))\""),
        Directive::Setting(Setting::AuditLogRelevantStatus("^(?:5|4(?!04))".into()))
    );
}

#[test]
fn inert_directives_warn_by_name() {
    let out = parse_str("t.conf", "SecDebugLog /tmp/x\nSecTmpDir /tmp/\n");
    assert!(out.errors.is_empty());
    assert_eq!(out.warnings.len(), 2);
    assert!(
        out.warnings[0]
            .to_string()
            .starts_with("t.conf:1:1: warning: SecDebugLog")
    );
    assert!(out.warnings[1].message.contains("SecTmpDir"));
}

#[test]
fn rule_editing_directives() {
    assert_eq!(
        one("SecRuleRemoveById 1 2-5 7"),
        Directive::RemoveRules(RuleSelector::Ids(vec![
            IdRange { first: 1, last: 1 },
            IdRange { first: 2, last: 5 },
            IdRange { first: 7, last: 7 }
        ]))
    );
    assert_eq!(
        one("SecRuleRemoveByTag attack-sqli"),
        Directive::RemoveRules(RuleSelector::Tag("attack-sqli".into()))
    );
    assert_eq!(
        one("SecRuleRemoveByMsg \"a b\""),
        Directive::RemoveRules(RuleSelector::Msg("a b".into()))
    );
    let Directive::UpdateTarget {
        selector,
        targets,
        replaced,
    } = one("SecRuleUpdateTargetById 942100 \"!ARGS:password\" ARGS")
    else {
        panic!()
    };
    assert_eq!(
        selector,
        RuleSelector::Ids(vec![IdRange {
            first: 942100,
            last: 942100
        }])
    );
    assert!(targets[0].exclude);
    assert_eq!(replaced.unwrap()[0].name, "ARGS");
    let Directive::UpdateTarget { selector, .. } =
        one("SecRuleUpdateTargetByTag attack-xss !ARGS:x")
    else {
        panic!()
    };
    assert_eq!(selector, RuleSelector::Tag("attack-xss".into()));
    let Directive::UpdateAction {
        id,
        chain_offset,
        actions,
    } = one("SecRuleUpdateActionById 901450:2 \"nolog,pass\"")
    else {
        panic!()
    };
    assert_eq!((id, chain_offset, actions.len()), (901450, Some(2), 2));
}

#[test]
fn errors_carry_file_line_column_and_say_what_was_expected() {
    let errs = errors("SecMarker A\n\nSecRule ARGS \"@rx a\" \"id:1,\n");
    assert_eq!(
        errs,
        ["t.conf:3:22: unterminated double quote: expected a closing `\"`"]
    );
    let errs = errors("SecRule ARGS \"@rx a\" \\\n  \"id:1,\\\n  bogus:2\"");
    assert_eq!(errs, ["t.conf:3:3: unknown action `bogus`"]);
    let errs = errors("SecRule ARGS|FOO: \"@rx a\" \"id:1\"");
    assert_eq!(errs, ["t.conf:1:18: expected a selector after `:`"]);
    let errs = errors("SecRule ARGS \"@nope a\" \"id:1\"");
    assert_eq!(errs, ["t.conf:1:16: unknown operator `@nope`"]);
    let errs = errors("SecBogus on");
    assert_eq!(errs, ["t.conf:1:1: unknown directive `SecBogus`"]);
    let errs = errors("SecRule ARGS");
    assert_eq!(
        errs,
        ["t.conf:1:13: SecRule expects VARIABLES \"OPERATOR\" [\"ACTIONS\"]"]
    );
    let errs = errors("SecRequestBodyAccess maybe");
    assert_eq!(
        errs,
        ["t.conf:1:22: SecRequestBodyAccess expects On or Off, found `maybe`"]
    );
    assert!(errors("SecRuleScript x.lua")[0].contains("Lua"));
}

#[test]
fn a_bad_directive_does_not_hide_the_next() {
    let out = parse_str(
        "t.conf",
        "SecRule ARGS \"@rx (\" \"bogus\"\nSecMarker OK\nSecAction \"id:2,pass\"\n",
    );
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.ast.directives.len(), 2);
}

#[test]
fn includes_resolve_globs_relative_to_the_including_file() {
    let mut loader = MemoryLoader::new();
    loader
        .insert(
            "/crs/setup.conf",
            "Include rules/*.conf\nIncludeOptional /none/*.conf\nSecMarker END",
        )
        .insert("/crs/rules/B.conf", "SecAction \"id:2,pass\"")
        .insert("/crs/rules/A.conf", "SecAction \"id:1,pass\"")
        .insert("/crs/rules/A.conf.example", "SecAction \"id:3,pass\"");
    let out = parse_files(&mut loader, &["/crs/setup.conf"]);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let ids: Vec<String> = out
        .ast
        .directives
        .iter()
        .map(|d| d.node.to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "SecAction \"id:1,pass\"",
            "SecAction \"id:2,pass\"",
            "SecMarker END"
        ]
    );
    assert_eq!(
        out.ast.file_name(out.ast.directives[0].span),
        "/crs/rules/A.conf"
    );
}

#[test]
fn include_errors_and_cycles() {
    let mut loader = MemoryLoader::new();
    loader.insert(
        "a.conf",
        "Include b.conf\nInclude missing.conf\nInclude none*.conf",
    );
    loader.insert("b.conf", "Include a.conf");
    let out = parse_files(&mut loader, &["a.conf"]);
    let msgs: Vec<String> = out.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        msgs,
        [
            "b.conf:1:1: Include cycle: `a.conf` includes itself",
            "a.conf:2:1: Include `missing.conf`: no such file `missing.conf`",
            "a.conf:3:1: Include `none*.conf` matched no file",
        ]
    );
    assert!(!parse_str("x.conf", "Include y.conf").errors.is_empty());
}

#[test]
fn printing_round_trips_tricky_constructs() {
    let text = r#"SecRule "REQUEST_COOKIES|!REQUEST_COOKIES:/__utm/|&ARGS:'a b'|XML:/*" "!@rx ^\"x%{tx.a}" "id:1,phase:request,t:none,msg:'a, b \'c\'',logdata:'%{MATCHED_VAR}',setvar:'tx.%{rule.id}-x=+%{tx.y}',setvar:!tx.z,ctl:ruleRemoveTargetById=1-3;ARGS:x|ARGS:/^y/,severity:2,allow:phase,chain"
SecAction "id:2,nolog,pass,initcol:ip=%{remote_addr}_%{tx.ua_hash},expirevar:ip.x=60,setenv:a=b"
SecRuleUpdateTargetByMsg "some msg" "!ARGS:x"
SecComponentSignature "OWASP_CRS/4.28.0"
SecArgumentSeparator &
SecDefaultAction "phase:2,log,auditlog,pass"
"#;
    let first = parse_str("t.conf", text);
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let printed: Vec<String> = first
        .ast
        .directives
        .iter()
        .map(|d| d.node.to_string())
        .collect();
    let second = parse_str("p.conf", &printed.join("\n"));
    assert!(
        second.errors.is_empty(),
        "{:?}\n{}",
        second.errors,
        printed.join("\n")
    );
    assert_eq!(first.ast.directives, second.ast.directives);
}

#[test]
fn hostile_inputs_do_not_panic() {
    for text in [
        "\\",
        "\"",
        "SecRule \"",
        "SecRule ARGS \"@rx\" \"id:",
        "SecRule ARGS \"@\" x",
        "SecAction \"'\"",
        "SecRule !&!&ARGS \"x\"",
        "SecRule ARGS:/ \"x\"",
        "SecAction \"ctl:=\"",
        "SecAction \"setvar:.=\"",
        "SecAction \"id:99999999999999999999999\"",
        "SecRuleUpdateActionById :",
        "Include",
        "SecRule ARGS \"x\" \"msg:'é\"",
        "\u{0}\u{1}\u{ff}",
        "SecRule ARGS \"%{\" \"logdata:%{\"",
        "SecAction \"t:\"",
        "SecAction \"phase:\"",
        "SecRuleRemoveById -",
        "SecRuleRemoveById 5-",
    ] {
        let _ = parse_str("t.conf", text);
    }
}

/// Found by the fuzzer: a bare word holding `"` and `\` must print as a quoted word whose
/// backslashes are escaped, or it no longer parses.
#[test]
fn reprint_of_bare_word_with_quote_and_backslashes() {
    let first = parse_str("t.conf", "secrule\tse\tsn\"\\\\");
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let printed = first.ast.directives[0].node.to_string();
    let second = parse_str("p.conf", &printed);
    assert!(second.errors.is_empty(), "{printed}: {:?}", second.errors);
    assert_eq!(first.ast.directives, second.ast.directives);
}

/// Found by the fuzzer: an empty quoted selector (`ARGS:''`) prints quoted, or it no longer
/// parses.
#[test]
fn reprint_of_empty_quoted_selector() {
    let first = parse_str("t.conf", "SecRule ARGS:'' \"x\" \"id:1\"");
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let printed = first.ast.directives[0].node.to_string();
    assert!(printed.contains("ARGS:''"), "{printed}");
    let second = parse_str("p.conf", &printed);
    assert_eq!(first.ast.directives, second.ast.directives);
}
