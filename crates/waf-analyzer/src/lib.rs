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
//! ## Dependencies, and why no kube-rs / tokio
//!
//! The analyzer makes two kinds of HTTP calls: Loki's JSON API and two
//! server-side applies against the Kubernetes API. `kube` + `k8s-openapi` +
//! `tokio` + `hyper` + a TLS stack would be most of the workspace's build time
//! for that, so the crate has a ~300-line blocking HTTP/1.1 client
//! ([`http`]) and typed structs for the two Cilium kinds. It speaks plain HTTP:
//! in the cluster the API server is reached through a `kubectl proxy` sidecar
//! bound to 127.0.0.1 in the same pod, which authenticates with the pod's
//! ServiceAccount and verifies the API server's certificate (see
//! `deploy/threat-analyzer.yaml`). The Loki tail websocket uses `tungstenite`
//! without TLS features. Threads instead of an async runtime: a handful of
//! sources, one detector, one enforcer.
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
