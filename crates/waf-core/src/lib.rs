//! A sans-I/O SecLang rule engine: OWASP CRS 3.3 and 4.x evaluated as ModSecurity v3 does.
//!
//! The engine touches no sockets, files or clocks and starts no threads. Rules come in as
//! text (parsed by `waf-seclang`, with `Include` and data files supplied by a loader the
//! caller owns); requests come in as bytes; decisions ([`Intervention`]), error-log lines
//! and JSON audit records come out. Time comes in with each transaction.
//!
//! ```text
//! rules text ──► waf_seclang ──► RuleSet (compiled once, Arc-shared, Send + Sync)
//!                                   │
//! request parts ──► Transaction ──► phase 1..5 ──► Option<Intervention>, RuleMatch log lines,
//!                                                  AuditRecord
//! ```
//!
//! ```
//! use std::sync::Arc;
//! use waf_core::{RuleSet, Transaction, TransactionOptions};
//!
//! let rules = Arc::new(RuleSet::from_text("inline.conf",
//!     "SecRuleEngine On\nSecRule ARGS \"@rx <script\" \"id:1,phase:1,deny,status:403\"").unwrap());
//! let mut tx = Transaction::new(rules, TransactionOptions::default());
//! tx.process_uri(b"/search?q=<script>", b"GET", b"1.1").unwrap();
//! let verdict = tx.process_request_headers().unwrap();
//! assert_eq!(verdict.map(|i| (i.status, i.rule_id)), Some((403, 1)));
//! ```

pub mod audit;
pub mod body;
pub mod byteset;
mod compile;
pub mod config;
pub mod error;
mod gates;
pub mod operators;
pub mod regex;
mod rule;
pub mod storage;
mod transaction;
pub mod transformations;
pub mod variables;

use std::sync::Arc;

pub use audit::{AuditRecord, RuleMatch};
pub use config::EngineConfig;
pub use error::{RuleError, RuleErrors, TransactionError, Warning};
pub use transaction::{Transaction, TransactionOptions};
pub use waf_seclang::{Loader, MemoryLoader};

/// What a rule decided to do with the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterventionAction {
    Deny,
    Drop,
    Redirect,
    Proxy,
    Pause,
}

/// A disruptive decision: answer the client with `status` (or drop the connection,
/// redirect, ...), instead of forwarding the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intervention {
    pub status: u16,
    pub action: InterventionAction,
    /// The rule that decided; 0 when the engine itself did (a body over its limit).
    pub rule_id: u64,
    pub phase: u8,
    /// Target of `redirect`/`proxy`.
    pub redirect: Option<String>,
    /// The error-log line of the deciding rule.
    pub log: String,
}

impl Intervention {
    pub(crate) fn internal(status: u16, reason: &str, phase: u8) -> Intervention {
        Intervention {
            status,
            action: InterventionAction::Deny,
            rule_id: 0,
            phase,
            redirect: None,
            log: format!("ModSecurity: Access denied with code {status} (phase {phase}). {reason}"),
        }
    }
}

/// Rules compiled for evaluation: immutable, shared by every transaction.
#[derive(Debug)]
pub struct RuleSet {
    pub(crate) phases: [Vec<rule::Entry>; 5],
    /// For each phase, the screens of its entries laid out densely (see [`gates`]).
    pub(crate) gates: [gates::PhaseGates; 5],
    pub(crate) config: EngineConfig,
    pub(crate) rule_count: usize,
    pub(crate) prefix_count: usize,
    /// How many TX variables the rules name literally: a transaction's TX map is sized
    /// for them up front instead of growing while CRS sets its defaults.
    pub(crate) tx_names: usize,
}

/// A compiled rule set and the warnings met while building it.
#[derive(Debug)]
pub struct Compiled {
    pub rules: RuleSet,
    pub warnings: Vec<Warning>,
}

impl RuleSet {
    /// Compiles a parsed rule tree. Data files named by rules are read through `loader`.
    /// Every error is collected before returning.
    pub fn compile(
        ast: &waf_seclang::RuleSetAst,
        loader: &mut dyn Loader,
    ) -> Result<Compiled, RuleErrors> {
        let (rules, warnings) = compile::Compiler::new(ast, loader)
            .compile()
            .map_err(RuleErrors)?;
        Ok(Compiled { rules, warnings })
    }

    /// Parses and compiles files through `loader`, in order (parse errors included).
    pub fn load(loader: &mut dyn Loader, files: &[&str]) -> Result<Compiled, RuleErrors> {
        let parsed = waf_seclang::parse_files(loader, files);
        Self::from_parsed(parsed, loader)
    }

    /// Compiles the output of the parser, failing on its errors too.
    pub fn from_parsed(
        parsed: waf_seclang::ParseOutput,
        loader: &mut dyn Loader,
    ) -> Result<Compiled, RuleErrors> {
        let mut errors: Vec<RuleError> = parsed
            .errors
            .into_iter()
            .map(|e| RuleError {
                location: e.location,
                message: e.message,
            })
            .collect();
        let parse_warnings = parsed.warnings.into_iter().map(|w| Warning {
            location: w.location,
            message: w.message,
        });
        match Self::compile(&parsed.ast, loader) {
            Ok(mut compiled) if errors.is_empty() => {
                let mut warnings: Vec<Warning> = parse_warnings.collect();
                warnings.append(&mut compiled.warnings);
                compiled.warnings = warnings;
                Ok(compiled)
            }
            Ok(_) => Err(RuleErrors(errors)),
            Err(RuleErrors(more)) => {
                errors.extend(more);
                Err(RuleErrors(errors))
            }
        }
    }

    /// Parses and compiles one text with no includes or data files.
    pub fn from_text(name: &str, text: &str) -> Result<RuleSet, RuleErrors> {
        let mut loader = MemoryLoader::new();
        loader.insert(name, text);
        Self::load(&mut loader, &[name]).map(|c| c.rules)
    }

    /// The engine configuration the directives produced.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Rules loaded (a chain counts once).
    pub fn rule_count(&self) -> usize {
        self.rule_count
    }

    /// Distinct transformation-chain prefixes (the transformation cache's key space).
    pub fn transformation_prefix_count(&self) -> usize {
        self.prefix_count
    }

    /// Starts a transaction on these rules.
    pub fn transaction(self: &Arc<Self>, options: TransactionOptions) -> Transaction {
        Transaction::new(Arc::clone(self), options)
    }
}

#[cfg(test)]
mod tests;
