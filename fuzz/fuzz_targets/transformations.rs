//! Fuzz every SecLang transformation with arbitrary bytes.
//!
//! Checks that nothing panics, that `Some` always means "changed", and that a
//! chain chosen by the first bytes (including `t:none` resets) runs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waf_core::transformations::{Transformation, apply_chain};

fuzz_target!(|data: &[u8]| {
    for t in Transformation::all() {
        if let Some(out) = t.apply(data) {
            assert_ne!(out.as_slice(), data, "{t} returned Some(unchanged)");
        }
    }
    // First byte: chain length (0..=7); next bytes: which transformations.
    if let Some((&n, rest)) = data.split_first() {
        let n = usize::from(n % 8).min(rest.len());
        let (picks, value) = rest.split_at(n);
        let chain: Vec<Transformation> = picks
            .iter()
            .filter_map(|&p| Transformation::from_index(usize::from(p) % Transformation::COUNT))
            .collect();
        let _ = apply_chain(&chain, value);
    }
});
