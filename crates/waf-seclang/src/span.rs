//! Source positions and the diagnostics that carry them.

use std::fmt;

/// Where a piece of rule text came from: a file (by index into [`crate::RuleSetAst::files`]),
/// a 1-based line and a 1-based column counted in characters.
///
/// Spans never take part in equality: two ASTs that differ only in where their text stood
/// compare equal. That is what the print-and-reparse round trip relies on.
#[derive(Debug, Clone, Copy, Default)]
pub struct Span {
    pub file: u32,
    pub line: u32,
    pub column: u32,
}

impl PartialEq for Span {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Span {}

/// A position already resolved to a file name, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A rule-text error: the directive it was found in is skipped, parsing goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ParseError {
    pub location: Location,
    pub message: String,
}

/// Something we accepted but want the operator to know about, such as a directive the
/// engine does not act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub location: Location,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: warning: {}", self.location, self.message)
    }
}
