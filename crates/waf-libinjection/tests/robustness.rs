//! Hostile input: nothing panics, and time stays linear in the input length.

use std::time::{Duration, Instant};

use waf_libinjection::sqli::{self, Dialect, Flags, QuoteContext, Tokenizer};
use waf_libinjection::xss::html5::{Html5Tokenizer, Start};
use waf_libinjection::{detect_sqli, detect_xss};

fn all_paths(input: &[u8]) {
    let _ = detect_sqli(input);
    let _ = detect_xss(input);
    for quote in [
        QuoteContext::None,
        QuoteContext::Single,
        QuoteContext::Double,
    ] {
        for dialect in [Dialect::Ansi, Dialect::Mysql] {
            let flags = Flags::new(quote, dialect);
            for t in Tokenizer::new(input, flags) {
                assert!(t.pos <= input.len());
            }
            let _ = sqli::analyze(input, flags).fingerprint;
        }
    }
    for start in [
        Start::Data,
        Start::ValueNoQuote,
        Start::ValueSingleQuote,
        Start::ValueDoubleQuote,
        Start::ValueBackQuote,
    ] {
        for t in Html5Tokenizer::new(input, start) {
            assert!(t.start + t.len <= input.len(), "token inside the input");
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let alphabet = b"'\"`;-#/*()=<>!&|@$\\ \t\n\0\xa0\xff.,:01xX{}[]%+~^?aeEnNqQuUbB";
    let mut state = 0x1234_5678_9abc_def0_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut runs = 0;
    for _ in 0..20_000 {
        let len = (next() % 64) as usize;
        let input: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if r % 2 == 0 {
                    alphabet[(r >> 8) as usize % alphabet.len()]
                } else {
                    (r >> 16) as u8
                }
            })
            .collect();
        all_paths(&input);
        runs += 1;
    }
    assert_eq!(runs, 20_000);
}

/// Pathological repetitions, 256 KiB each: a quadratic path would take minutes.
#[test]
fn long_inputs_take_linear_time() {
    let patterns: &[&[u8]] = &[
        b"'",
        b"\\'",
        b"''",
        b"/*",
        b"*/",
        b"/*!",
        b"--",
        b"-",
        b"#",
        b"$a$",
        b"$$",
        b"$aaaa",
        b"q'[",
        b"`",
        b"@",
        b"[",
        b"1.",
        b"0x",
        b"a.",
        b"a`",
        b"(",
        b"1,",
        b"union ",
        b"<",
        b"<a ",
        b"<a b=",
        b"<!--",
        b"--!",
        b"-\0",
        b"<![CDATA[",
        b"]]",
        b"<%",
        b"%",
        b"&#",
        b"&#0",
        b"&#x0",
        b"<a href=&#0",
        b"\0",
        b"\xff",
        b"<a onload",
        b"<svg",
    ];
    let mut checked = 0;
    for p in patterns {
        let input: Vec<u8> = p.iter().copied().cycle().take(256 * 1024).collect();
        let start = Instant::now();
        all_paths(&input);
        let took = start.elapsed();
        assert!(
            took < Duration::from_secs(10),
            "{:?} x 256 KiB took {took:?}",
            String::from_utf8_lossy(p)
        );
        checked += 1;
    }
    assert_eq!(checked, patterns.len());
}
