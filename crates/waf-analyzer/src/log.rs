//! One-line log records on standard error: `time level component: message`.
//! Kept dependency-free; lines are easy to ship to Loki as they are.

use std::io::Write;

use crate::clock::{format_rfc3339, now_ms};

/// Severity of a log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Normal operation (decisions, start, stop).
    Info,
    /// Bad input or a transient failure that is retried.
    Warn,
    /// A failure that needs a person.
    Error,
}

/// Writes one line; never fails (a closed stderr is ignored).
pub fn log(level: Level, component: &str, message: &str) {
    let lvl = match level {
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    };
    let line = format!(
        "{} {lvl} {component}: {message}\n",
        format_rfc3339(now_ms())
    );
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}
