use super::*;

fn m(p: &str, hay: &[u8]) -> bool {
    Pattern::compile(p)
        .unwrap_or_else(|e| panic!("{p:?}: {e}"))
        .is_match(hay)
        .unwrap()
}

fn engine(p: &str) -> Engine {
    Pattern::compile(p).unwrap().engine()
}

fn syntax(p: &str) -> SyntaxError {
    match Pattern::compile(p) {
        Err(RegexError::Syntax { error, .. }) => error,
        other => panic!("{p:?}: expected a syntax error, got {other:?}"),
    }
}

#[test]
fn dot_matches_any_byte_including_newline() {
    assert!(m("a.b", b"a\nb"));
    assert!(m("a.b", b"a\xffb"));
    assert!(m("^.$", b"\x80"));
    assert!(!m("(?-s)a.b", b"a\nb"));
}

#[test]
fn hex_escapes_are_bytes() {
    assert!(m(r"\xff", b"\xff"));
    assert!(!m(r"\xff", "\u{ff}".as_bytes()));
    assert!(m(r"\x{c2}\xa0", "\u{a0}".as_bytes()));
    assert!(m(r"[\x80-\xff]", b"\x90"));
    assert!(m(r"\x", b"\x00"));
    assert!(m(r"\x4", b"\x04"));
}

#[test]
fn utf8_in_pattern_is_bytes() {
    // `[’]` is three bytes in non-UTF PCRE, each a member of its own.
    assert!(m("[’]", b"\xe2"));
    assert!(m("[’]", b"\x99"));
    assert!(m("’", "’".as_bytes()));
    assert!(!m("^’$", b"\xe2"));
}

#[test]
fn case_insensitivity_is_ascii_only() {
    assert!(m("(?i)select", b"SeLeCt"));
    assert!(m("(?i)[a-c]", b"B"));
    assert!(!m("(?i)[^a]", b"A"));
    assert!(!m("(?i)\u{e0}", "\u{c0}".as_bytes()));
    assert!(
        Pattern::with_config(
            "abc",
            &RegexConfig {
                case_insensitive: true,
                ..RegexConfig::default()
            }
        )
        .unwrap()
        .is_match(b"ABC")
        .unwrap()
    );
    assert!(m("a(?i)b|c", b"C"));
    assert!(!m("(?i:a)b", b"AB"));
    assert!(m("(?i:a)b", b"Ab"));
}

#[test]
fn perl_classes_are_pcre_ascii() {
    assert!(m(r"\s", b"\x0b"));
    assert!(!m(r"\s", b"\xa0"));
    assert!(!m(r"\s", b"\x85"));
    assert!(m(r"\h", b"\xa0"));
    assert!(m(r"\v", b"\x85"));
    assert!(m(r"[\v]", b"\n"));
    assert!(!m(r"\v", b"\x0e"));
    assert!(m(r"\w", b"_"));
    assert!(!m(r"\w", b"\xe9"));
    assert!(m(r"\W", b"\xe9"));
    assert!(m(r"\bfoo\b", b"\xe9foo\xe9"));
    assert!(m(r"\R", b"\r\n"));
    assert!(m(r"[[:alpha:]]+[[:^digit:]]", b"ab!"));
    assert!(m(r"[[:punct:]]", b"~"));
}

#[test]
fn anchors_follow_multiline_dollar_and_caret() {
    assert!(m("^b", b"a\nb"));
    assert!(m("a$", b"a\nb"));
    assert!(m(r"\Aa", b"a\nb"));
    assert!(!m(r"\Ab", b"a\nb"));
    assert!(!m(r"a\z", b"a\n"));
    assert!(m(r"a\Z", b"a\n"));
    assert!(!m(r"a\Z", b"a\n\n"));
    assert_eq!(engine(r"a\Z"), Engine::Backtracking);
    // `(?-m)$` is "end or before a final newline".
    assert!(m("(?-m)a$", b"a\n"));
    assert!(!m("(?-m)a$", b"a\nb"));
}

#[test]
fn literal_braces() {
    assert!(m("a{", b"a{"));
    assert!(m("a{,3}", b"a{,3}"));
    assert!(m("a{x}", b"a{x}"));
    assert!(m("{", b"{"));
    assert!(m("a{2}", b"aa"));
    assert!(!m("^a{2}$", b"a"));
    assert!(m("^a{2,}$", b"aaaa"));
    assert!(m(r"\{\d+}", b"{12}"));
    assert!(m("x{1,2", b"x{1,2"));
}

#[test]
fn possessive_and_atomic_are_accepted() {
    assert_eq!(engine(r"\s*+\("), Engine::Linear);
    assert!(m(r"a\s*+\(", b"a  ("));
    assert!(m(r"(?>ab|a)c", b"abc"));
    assert!(m(r"x++y", b"xxy"));
    assert!(m(r"x{1,3}+y", b"xxy"));
    assert!(m(r"x?+y", b"y"));
}

#[test]
fn possessive_is_exact_on_the_backtracking_engine() {
    // With a back reference present, the tree goes to fancy-regex, which keeps
    // possessive semantics: `a++a` can never match.
    let p = Pattern::compile(r"(b)\1a++a").unwrap();
    assert_eq!(p.engine(), Engine::Backtracking);
    assert!(!p.is_match(b"bbaaa").unwrap());
}

#[test]
fn escapes() {
    assert!(m(r"\Qa.b\E", b"a.b"));
    assert!(!m(r"\Qa.b\E", b"axb"));
    assert!(m(r"\Qab\E+", b"abbb"));
    assert!(m(r"[\Q]\E]", b"]"));
    assert!(m(r"\e", b"\x1b"));
    assert!(m(r"\a\f", b"\x07\x0c"));
    assert!(m(r"\012", b"\n"));
    assert!(m(r"\0", b"\0"));
    assert!(m(r"[\012]", b"\n"));
    assert!(m(r"\o{101}", b"A"));
    assert!(m(r"\cA", b"\x01"));
    assert!(m(r"[\x5c]", b"\\"));
    assert!(m(r"[\\]", b"\\"));
    assert!(m(r"[\b]", b"\x08"));
    assert!(m(r"\/\-\#", b"/-#"));
    assert!(m(r"[]a]", b"]"));
    assert!(m(r"[^]a]", b"b"));
    assert!(m(r"[a-]", b"-"));
    assert!(m(r"[!-\+\-:->]", b"-"));
    assert!(m(r"[\w-]", b"-"));
    assert_eq!(syntax(r"[%-\w]"), SyntaxError::InvalidRange);
    assert_eq!(syntax(r"\i"), SyntaxError::BadEscape);
    assert!(m(r"[\8]", b"8"));
    // PCRE2 reads `\Q..\E` in a class byte by byte: `[\Qab\E-z]` is `a` plus `b-z`.
    assert!(m(r"[\Qab\E-z]", b"c"));
    assert!(!m(r"[\Qab\E-z]", b"-"));
    assert!(m(r"[\Qa-\E]", b"-"));
    assert_eq!(syntax(r"[\Q\E]"), SyntaxError::UnclosedClass);
    assert_eq!(syntax(r"[\w-.]"), SyntaxError::InvalidRange);
    assert_eq!(syntax(r"[a-\d]"), SyntaxError::InvalidRange);
    assert_eq!(syntax(r"[[:alpha:]-z]"), SyntaxError::InvalidRange);
    assert_eq!(syntax(r"[:alpha:]"), SyntaxError::PosixOutsideClass);
    assert_eq!(syntax(r"[[.a.]]"), SyntaxError::CollatingElement);
    assert_eq!(syntax(r"(?<=a+)b"), SyntaxError::LookbehindNotFixed);
    assert!(m(r"(?<=ab|c)d", b"cd"));
    assert_eq!(syntax(r"\k<1>"), SyntaxError::BadGroupName);
    assert!(m(r"(?=a)*b", b"b"));
    assert!(m(r"\c{", b";"));
    assert_eq!(syntax(r"\x{100}"), SyntaxError::CodePointTooLarge);
}

#[test]
fn extended_mode_and_comments() {
    assert!(m("(?x) a b # comment\n c", b"abc"));
    assert!(m("(?x)[ ]", b" "));
    assert!(m("a(?#comment)b", b"ab"));
    assert!(m("(?x) a +", b"aaa"));
}

#[test]
fn backrefs_use_the_backtracking_engine() {
    let p = Pattern::compile(r"(['`])\w+\1").unwrap();
    assert_eq!(p.engine(), Engine::Backtracking);
    assert!(p.is_match(b"x='abc'").unwrap());
    assert!(!p.is_match(b"x='abc`").unwrap());
    assert!(m(r"(?i)(a)\1", b"aA"));
    assert!(m(r"(?<q>x)\k<q>", b"xx"));
    assert!(m(r"(x)\g{-1}", b"xx"));
    assert!(m(r"(x)\g1", b"xx"));
    assert_eq!(syntax(r"(a)\2"), SyntaxError::NoSuchGroup);
}

#[test]
fn lookaround_on_bytes() {
    assert!(m(r"(?<!\xff)a", b"ba"));
    assert!(!m(r"(?<!\xff)a", b"\xffa"));
    assert!(m(r"a(?=\x80)", b"a\x80"));
    assert!(m(r"(?<=.)\w", b"\xffa"));
    assert!(!m(r"(?!)", b""));
}

#[test]
fn caret_does_not_match_after_final_newline_on_backtracking() {
    // Exact on the backtracking engine (lookaround present).
    let p = Pattern::compile(r"(?=)^$").unwrap();
    assert_eq!(p.engine(), Engine::Backtracking);
    assert!(!p.is_match(b"ab\n").unwrap());
    assert!(p.is_match(b"ab\n\nc").unwrap());
}

#[test]
fn caret_does_not_match_after_final_newline_on_linear_patterns() {
    // Regression: `^$` matched "x\n" at its end; PCRE's multiline `^` does not match
    // after a newline that ends the subject (CRS uses `^$` and `^(?:\?[01])?$`).
    let p = Pattern::compile("^$").unwrap();
    assert_eq!(p.engine(), Engine::Linear);
    assert!(!p.is_match(b"x\n").unwrap());
    assert_eq!(p.find(b"x\n"), Ok(None));
    assert!(p.is_match(b"x\n\ny").unwrap());
    assert!(p.is_match(b"").unwrap());
    assert!(m("^a", b"x\na\n"));
    assert!(!m("^(?:x)?$", b"ab\n"));
}

#[test]
fn captures_are_byte_ranges() {
    let p = Pattern::compile(r"(\w+)=(\d+)?(x)?").unwrap();
    let c = p.captures(b"..key=12..").unwrap().unwrap();
    assert_eq!(c.get(0), Some(&b"key=12"[..]));
    assert_eq!(c.get(1), Some(&b"key"[..]));
    assert_eq!(c.get(2), Some(&b"12"[..]));
    assert_eq!(c.get(3), None);
    assert_eq!(c.span(1), Some(2..5));
    assert_eq!(c.len(), 4);

    let p = Pattern::compile(r"\xff(a)(?=b)").unwrap();
    let c = p.captures(b"\xe9\xffab").unwrap().unwrap();
    assert_eq!(c.span(0), Some(1..3));
    assert_eq!(c.get(1), Some(&b"a"[..]));
}

#[test]
fn named_groups_are_numbered() {
    let p = Pattern::compile(r"(?<a>x)(?:y)(?P<b>z)('c')?").unwrap();
    assert_eq!(p.group_count(), 3);
    let c = p.captures(b"xyz").unwrap().unwrap();
    assert_eq!(c.get(2), Some(&b"z"[..]));
}

#[test]
fn empty_pattern_matches_everything() {
    let p = Pattern::compile("").unwrap();
    assert!(p.is_match(b"").unwrap());
    let c = p.captures(b"a\nb").unwrap().unwrap();
    assert_eq!(c.get(0), Some(&b"a\nb"[..]));
}

#[test]
fn syntax_errors_have_offsets() {
    assert_eq!(syntax("(a"), SyntaxError::UnclosedGroup);
    assert_eq!(syntax("a)"), SyntaxError::UnmatchedCloseParen);
    assert_eq!(syntax("[a"), SyntaxError::UnclosedClass);
    assert_eq!(syntax("*a"), SyntaxError::NothingToRepeat);
    assert_eq!(syntax("a**"), SyntaxError::NothingToRepeat);
    assert_eq!(syntax("a{3,2}"), SyntaxError::RepeatOutOfOrder);
    assert_eq!(syntax("a{70000}"), SyntaxError::RepeatTooLarge);
    assert_eq!(syntax("[z-a]"), SyntaxError::RangeOutOfOrder);
    assert_eq!(syntax("a\\"), SyntaxError::TrailingBackslash);
    assert_eq!(syntax("[[:nope:]]"), SyntaxError::UnknownPosixClass);
    assert_eq!(syntax("(?iQ)"), SyntaxError::UnknownFlag);
    assert_eq!(syntax("(?Q)"), SyntaxError::UnknownGroupKind);
    match Pattern::compile("ab(") {
        Err(RegexError::Syntax { offset, .. }) => assert_eq!(offset, 2),
        other => panic!("{other:?}"),
    }
    let deep = "(".repeat(300) + &")".repeat(300);
    assert_eq!(syntax(&deep), SyntaxError::TooDeep);
}

#[test]
fn unsupported_features_are_reported() {
    for p in [
        r"(?|a)",
        r"(?(1)a|b)",
        r"(?R)",
        r"(*UTF)a",
        r"a\Kb",
        r"\p{L}",
    ] {
        assert!(
            matches!(Pattern::compile(p), Err(RegexError::Unsupported { .. })),
            "{p}"
        );
    }
}

#[test]
fn backtracking_limit_is_an_error_not_a_hang() {
    let cfg = RegexConfig {
        backtrack_limit: 10_000,
        ..RegexConfig::default()
    };
    let p = Pattern::with_config(r"^(a|a)*\1b", &cfg).unwrap();
    let hay = vec![b'a'; 64];
    assert_eq!(p.is_match(&hay), Err(LimitExceeded { limit: 10_000 }));
    assert!(p.captures(&hay).is_err());
}

#[test]
fn size_limit_is_reported() {
    let cfg = RegexConfig {
        size_limit: 1000,
        ..RegexConfig::default()
    };
    assert!(matches!(
        Pattern::with_config(r"\w{1000}", &cfg),
        Err(RegexError::TooBig { .. })
    ));
}

#[test]
fn pattern_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Pattern>();
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Pattern text drawn mostly from PCRE metacharacters, so that the parser's deeper
    /// paths are reached.
    fn pcre_like() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("(".to_owned()),
                Just(")".to_owned()),
                Just("(?:".to_owned()),
                Just("(?=".to_owned()),
                Just("(?<!".to_owned()),
                Just("(?>".to_owned()),
                Just("(?i)".to_owned()),
                Just("(?-m)".to_owned()),
                Just("(?x)".to_owned()),
                Just("(?<n>".to_owned()),
                Just("\\k<n>".to_owned()),
                Just("[".to_owned()),
                Just("]".to_owned()),
                Just("[^".to_owned()),
                Just("[:alpha:]".to_owned()),
                Just("{".to_owned()),
                Just("}".to_owned()),
                Just("{2,3}".to_owned()),
                Just("{,3}".to_owned()),
                Just("*+".to_owned()),
                Just("?".to_owned()),
                Just("+".to_owned()),
                Just("|".to_owned()),
                Just("^".to_owned()),
                Just("$".to_owned()),
                Just(".".to_owned()),
                Just("-".to_owned()),
                Just("\\".to_owned()),
                Just("\\Q".to_owned()),
                Just("\\E".to_owned()),
                Just("\\x".to_owned()),
                Just("\\1".to_owned()),
                Just("\\0".to_owned()),
                Just("\\Z".to_owned()),
                Just("\\b".to_owned()),
                Just("\\s".to_owned()),
                Just("\\c".to_owned()),
                Just("#".to_owned()),
                "[a-f0-9 \n’]",
            ],
            0..24,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn compile_never_panics(p in pcre_like(), hay in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(re) = Pattern::compile(&p) {
                let _ = re.is_match(&hay);
                let _ = re.find(&hay);
                if let Ok(Some(c)) = re.captures(&hay) {
                    prop_assert!(c.len() == re.group_count() + 1);
                    prop_assert!(c.get(0).is_some());
                }
            }
        }

        #[test]
        fn arbitrary_strings_never_panic(p in any::<String>(), hay in any::<Vec<u8>>()) {
            if let Ok(re) = Pattern::compile(&p) {
                let _ = re.is_match(&hay);
            }
        }

        #[test]
        fn linear_and_backtracking_agree(p in pcre_like(), hay in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'\n'), Just(b' '), Just(0xe2u8), any::<u8>()], 0..24)) {
            // Forcing the backtracking engine by appending an always-true lookahead
            // must not change the verdict unless the pattern has atomic parts.
            let Ok(lin) = Pattern::compile(&p) else { return Ok(()) };
            if p.is_empty() || lin.engine() != Engine::Linear || p.contains("(?>") || p.contains("*+")
                || p.contains("(?x)") || p.contains('#') {
                return Ok(());
            }
            let Ok(bt) = Pattern::compile(&format!("(?:{p})(?=)")) else { return Ok(()) };
            prop_assert_eq!(bt.engine(), Engine::Backtracking);
            if let (Ok(a), Ok(b)) = (lin.find(&hay), bt.find(&hay)) {
                prop_assert_eq!(a, b, "pattern {:?}", p);
            }
        }
    }
}
