//! # waf-analyzer
//!
//! The threat analyzer turns the WAF's audit log into timed network blocks:
//! JSON audit records in (a followed file, stdin, Grafana Loki), per-source
//! leaky-bucket detection, and decisions with an absolute expiry enforced by
//! nftables, by Cilium objects in Kubernetes, or printed (dry-run).
//!
//! ```text
//! sources (threads) ──lines──► daemon ──► AuditRecord::parse ──► Detector::observe
//!   file / stdin / Loki           │                                   │ Decision
//!                                 │                                   ▼
//!                                 └──── every flush_interval ──► BlockSet ──desired()──► Enforcer::sync
//! ```
//!
//! What it does **not** do: block an allowlisted address (checked in the
//! detector and again in [`BlockSet::insert`]), or leave a block past its
//! expiry (nftables elements carry kernel timeouts; Cilium entries are removed
//! by the reconcile loop and adopted back with their expiry after a restart).
//!
//! The detection core ([`Detector`], [`AuditRecord`], [`BlockSet`]) is sans-I/O:
//! the caller passes the time; the daemon and `replay` are thin drivers.
//!
//! ## Dependencies: kube-rs for Kubernetes, a small client for Loki
//!
//! The Cilium enforcer talks to the Kubernetes API with kube-rs: typed structs
//! for the two Cilium kinds (with a hand-written `kube::Resource` impl) and
//! server-side apply through `Api::patch` with
//! `PatchParams::apply("waf-analyzer").force()`. In a pod it uses
//! `kube::Config::incluster()` (the ServiceAccount token, re-read as it
//! rotates, and the cluster CA), so no `kubectl proxy` sidecar is needed; an
//! explicit `api_url` (plain HTTP or HTTPS) serves tests and workstations.
//! Features, chosen to keep the build small and free of OpenSSL:
//!
//! * `kube`: `default-features = false`, `client` (the HTTP client and `Api`),
//!   `rustls-tls` + `ring` (TLS in Rust; `ring` rather than `aws-lc-rs`, whose
//!   C build is much larger). No `runtime` (watchers and
//!   controllers: we only apply), no `derive` (it pulls `schemars` and proc
//!   macros for CRD schemas we never install), no `ws`, `gzip`, `oauth`,
//!   `oidc` or proxy support.
//! * `k8s-openapi`: one Kubernetes version feature (`v1_33`), for `ObjectMeta`.
//! * `tokio`: `rt` and `time` only. kube-rs is async; the analyzer is
//!   thread-based (a handful of sources, one detector, one enforcer), so the
//!   enforcer owns a *current-thread* runtime and blocks on each API call from
//!   the daemon's thread. No multi-threaded scheduler, no `#[tokio::main]`;
//!   the rest of the crate has no async code.
//! * `rustls` (already in the tree through kube): named only to install `ring`
//!   as the process's crypto provider explicitly.
//!
//! kube's own retry layer is switched off: the daemon retries every failed
//! sync with exponential back-off, counts it, and re-sends the full desired
//! state, so no decision is lost.
//!
//! Loki's JSON API is read with a ~300-line blocking HTTP/1.1 client
//! ([`http`]) over plain HTTP inside the cluster network, and the Loki tail
//! websocket with `tungstenite` without TLS features.
//!
//! ## Example
//!
//! ```
//! use waf_analyzer::{AuditRecord, Detector, config::Config};
//!
//! let cfg = Config::default();
//! let mut det = Detector::new(cfg.detection.clone(), cfg.allowlist(), &cfg.client_ip);
//! let line = r#"{"transaction":{"client_ip":"203.0.113.9"},"messages":[{"data":{"id":942100,"severity":2}}]}"#;
//! let rec = AuditRecord::parse(line).unwrap();
//! let mut decisions = Vec::new();
//! for i in 0..4 {
//!     det.observe(&rec, 1_000, &mut decisions);
//! }
//! assert_eq!(decisions[0].target.to_string(), "203.0.113.9/32");
//! ```

#![deny(missing_docs)]

pub mod cidr;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod decision;
pub mod dedup;
pub mod detect;
pub mod enforce;
pub mod error;
pub mod http;
pub mod log;
pub mod metrics;
pub mod record;
pub mod replay;
pub mod source;

pub use cidr::{Cidr, CidrSet};
pub use config::Config;
pub use decision::{Block, BlockSet, Decision, Reason};
pub use detect::{Detector, Outcome};
pub use error::Error;
pub use record::AuditRecord;
