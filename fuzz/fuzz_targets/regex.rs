//! Fuzzes the PCRE translation layer: any pattern string must compile or return an
//! error, and any compiled pattern must answer on any bytes without panicking.
//!
//! Input layout: the first byte splits the rest into pattern text and subject.

#![no_main]

use libfuzzer_sys::fuzz_target;
use waf_core::regex::{Pattern, RegexConfig};

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let at = usize::from(split).min(rest.len());
    let (pattern, hay) = rest.split_at(at);
    let pattern = String::from_utf8_lossy(pattern);
    let config = RegexConfig {
        // Keep each run fast: the limit path is what matters, not its size.
        backtrack_limit: 20_000,
        ..RegexConfig::default()
    };
    if let Ok(p) = Pattern::with_config(&pattern, &config) {
        let _ = p.is_match(hay);
        if let Ok(Some(c)) = p.captures(hay) {
            assert_eq!(c.len(), p.group_count() + 1);
            assert!(c.get(0).is_some());
        }
    }
});
