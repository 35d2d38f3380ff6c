//! CRS regression runner and end-to-end tests with real components.
//!
//! This crate is not needed by library users. Its first room is [`ftw`]: the model of
//! go-ftw regression tests (the YAML files OWASP CRS ships in `tests/regression/tests`),
//! the bytes each test sends, an HTTP/1.x request parser that splits those bytes into
//! the parts a WAF engine consumes, and the checks that decide whether a test passed.

pub mod e2e;
pub mod ftw;
