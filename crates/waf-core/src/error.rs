//! Errors and warnings of the engine. Rule problems carry file:line:column; misuse of the
//! transaction API is a different type from anything a request can cause.

use std::fmt;

pub use waf_seclang::Location;

/// A problem in rule text or configuration, found while parsing or compiling.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct RuleError {
    pub location: Location,
    pub message: String,
}

/// Every problem found while loading rules; loading stops only after all were collected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleErrors(pub Vec<RuleError>);

impl fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Something loaded but worth knowing: a directive or action the engine does not act on.
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

/// The caller used the transaction API out of order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransactionError {
    #[error("{call} cannot be called after {state}")]
    OutOfOrder {
        call: &'static str,
        state: &'static str,
    },
}
