//! The Envoy filter: OWASP CRS (or any SecLang rules) in front of a backend, through
//! proxy-wasm.
//!
//! This crate holds no engine logic: it reads the plugin configuration, compiles rule
//! sets once per VM with `waf-core`, runs one transaction per HTTP stream, answers with a
//! local reply when a rule interrupts, and writes error-log lines, audit records and
//! metrics through the host.
//!
//! ```text
//! plugin configuration (JSON) ──on_configure──► config::Settings { rule sets (Arc), ... }
//!                                                     │ one per :authority
//! HTTP stream callbacks ──► stream::Stream (a Transaction) ──► Step: Continue / Pause / Block
//!                                                     │ on_log
//!                    "ModSecurity: ..." lines, "WAF-AUDIT {json}", metrics ──► Envoy
//! ```
//!
//! Rules cannot come from files (a wasm VM has none): CRS is embedded when the filter is
//! built ([`embedded`]), and directives are written inline in the configuration
//! ([`config`]). The stream logic ([`stream`]: which callbacks pause, and why a phase-4
//! block can still be a local reply), the watch over held responses ([`hold`]) and the
//! configuration are plain Rust, tested on the host; only [`filter`] talks to proxy-wasm,
//! and it is built for wasm only.
//!
//! Build: `cargo build -p waf-proxywasm --target wasm32-wasip1 --release`
//! (`WAF_CRS_DIR=/path/to/crs` to embed another CRS). `envoy.yaml` beside this crate is
//! a complete example; it sets `allow_on_headers_stop_iteration: true` (Envoy 1.35 and
//! later), which holding response headers for phase 4 needs.

pub mod config;
pub mod embedded;
pub mod hold;
pub mod metrics;
pub mod stream;

#[cfg(target_arch = "wasm32")]
pub mod filter;

/// Every audit record line in the Envoy log starts with this, then one JSON object.
pub const AUDIT_PREFIX: &str = "WAF-AUDIT ";
