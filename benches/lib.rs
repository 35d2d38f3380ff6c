//! Benchmarks live in `benches/benches/` (`cargo bench -p benches`), fixed-count loops for
//! instruction counts in `benches/examples/`, and the Envoy comparison in `benches/envoy/`.
//! This library holds what they share.

mod browser;

pub use browser::{BENIGN_URI, BROWSER_HEADERS, browser_get};
