//! Both libinjection detectors and their tokenizers on arbitrary bytes: no panic, tokens
//! stay inside the input. Run with `cargo +nightly fuzz run libinjection` from `fuzz/`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use waf_libinjection::sqli::{self, Dialect, Flags, QuoteContext, Tokenizer};
use waf_libinjection::xss::html5::{Html5Tokenizer, Start};

fuzz_target!(|data: &[u8]| {
    if let Some(fp) = waf_libinjection::detect_sqli(data) {
        assert!((1..=8).contains(&fp.as_str().len()));
    }
    let _ = waf_libinjection::detect_xss(data);
    for quote in [
        QuoteContext::None,
        QuoteContext::Single,
        QuoteContext::Double,
    ] {
        for dialect in [Dialect::Ansi, Dialect::Mysql] {
            let flags = Flags::new(quote, dialect);
            for t in Tokenizer::new(data, flags) {
                assert!(t.pos <= data.len());
            }
            let _ = sqli::analyze(data, flags);
        }
    }
    for start in [
        Start::Data,
        Start::ValueNoQuote,
        Start::ValueSingleQuote,
        Start::ValueDoubleQuote,
        Start::ValueBackQuote,
    ] {
        for t in Html5Tokenizer::new(data, start) {
            assert!(t.start + t.len <= data.len());
        }
    }
});
