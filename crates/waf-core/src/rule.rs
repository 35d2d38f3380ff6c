//! The compiled, evaluation-ready form of rules. Built once by `compile.rs`, shared by all
//! transactions, never changed afterwards.

use std::sync::Arc;

use waf_seclang::{AllowScope, AuditEngineMode, EngineMode, IdRange, Severity};

use crate::operators::{CompileFn, Operator};
use crate::regex::{Pattern, Screen};
use crate::transformations::Transformation;
use crate::variables::Var;

/// A string with `%{...}` references resolved to variables at compile time.
#[derive(Debug, Clone, Default)]
pub(crate) struct Macro {
    pub parts: Vec<MacroPiece>,
}

#[derive(Debug, Clone)]
pub(crate) enum MacroPiece {
    Literal(Vec<u8>),
    /// `%{VAR}` or `%{COLLECTION.key}`: the variable and, as a ready selector, its key
    /// (lower-cased), or [`Selector::All`].
    Var(Var, Selector),
}

impl Macro {
    pub fn literal(&self) -> Option<&[u8]> {
        match self.parts.as_slice() {
            [] => Some(b""),
            [MacroPiece::Literal(l)] => Some(l),
            _ => None,
        }
    }
}

/// Which values of a variable a rule reads.
#[derive(Debug, Clone)]
pub(crate) enum Selector {
    All,
    /// Lower-cased; compared case-insensitively.
    Key(String),
    Regex(Box<Pattern>),
}

/// The one target of a link that only reads `TX:key` or `&TX:key` (see [`Rule::tx_probe`]).
#[derive(Debug)]
pub(crate) struct TxProbe {
    /// Lower-cased, as TX keys are stored.
    pub key: String,
    pub count: bool,
}

#[derive(Debug)]
pub(crate) struct Target {
    pub var: Var,
    pub selector: Selector,
    /// `&VAR`: the number of values instead of the values.
    pub count: bool,
}

/// `!VAR:key`: values removed from the rule's targets.
#[derive(Debug)]
pub(crate) struct Exclusion {
    pub var: Var,
    pub selector: Selector,
}

#[derive(Debug)]
pub(crate) enum OperatorImpl {
    Ready(Box<dyn Operator>),
    /// The argument holds macros: expanded and compiled at evaluation time.
    Deferred {
        compile: CompileFn,
        argument: Macro,
    },
}

#[derive(Debug)]
pub(crate) struct CompiledOperator {
    pub name: &'static str,
    pub negated: bool,
    pub argument: String,
    pub implementation: OperatorImpl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetOp {
    Create,
    Set,
    Add,
    Sub,
    Delete,
}

/// Per-transaction configuration changes (`ctl:`), compiled.
#[derive(Debug)]
pub(crate) enum CtlAction {
    RuleEngine(EngineMode),
    RemoveById(Vec<IdRange>),
    RemoveByTag(String),
    RemoveByMsg(String),
    RemoveTargetById(Vec<IdRange>, Arc<[Exclusion]>),
    RemoveTargetByTag(String, Arc<[Exclusion]>),
    RemoveTargetByMsg(String, Arc<[Exclusion]>),
    RequestBodyAccess(bool),
    RequestBodyProcessor(String),
    RequestBodyLimit(u64),
    ResponseBodyAccess(bool),
    ResponseBodyLimit(u64),
    ForceRequestBodyVariable(bool),
    AuditEngine(AuditEngineMode),
    AuditLogParts(String),
}

/// Non-disruptive actions, run in the order written when the rule (or its whole chain)
/// matches.
#[derive(Debug)]
pub(crate) enum RunAction {
    SetVar {
        collection: Var,
        key: Macro,
        /// `key` as stored (lower-cased) when it holds no macro: most `setvar`s name
        /// their variable literally, and sharing the name saves an allocation per write.
        stored_key: Option<Arc<str>>,
        op: SetOp,
        value: Macro,
    },
    ExpireVar {
        collection: Var,
        key: Macro,
        seconds: Macro,
    },
    InitCol {
        collection: Var,
        key: Macro,
    },
    SetEnv {
        name: Macro,
        value: Macro,
    },
    SetUid(Macro),
    SetSid(Macro),
    SetRsc(Macro),
    Ctl(CtlAction),
}

#[derive(Debug, Clone)]
pub(crate) enum Disruptive {
    Pass,
    Deny,
    Drop,
    Allow(AllowScope),
    Redirect(Macro),
    Proxy(Macro),
    Pause,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    None,
    Skip(u32),
    /// Index (in the phase's entry list) of the marker to continue after.
    SkipAfter(Option<usize>),
}

/// What a rule says about itself, for logs.
#[derive(Debug, Default)]
pub(crate) struct Metadata {
    pub msg: Option<Macro>,
    pub logdata: Option<Macro>,
    pub severity: Option<Severity>,
    pub tags: Vec<Macro>,
    pub tag_literals: Vec<String>,
    pub msg_literal: Option<String>,
    pub ver: Option<String>,
    pub rev: Option<String>,
    pub maturity: Option<u8>,
    pub accuracy: Option<u8>,
}

#[derive(Debug)]
pub(crate) struct Rule {
    /// 0 for chain links and rules without `id`.
    pub id: u64,
    pub phase: u8,
    pub file: Arc<str>,
    pub line: u32,
    pub targets: Vec<Target>,
    pub exclusions: Vec<Exclusion>,
    pub operator: CompiledOperator,
    /// The operator's screen carried back through `transformations`, for raw values:
    /// when no raw value of any target can pass it, the link does not match. Only set
    /// for operators that are not negated, on targets that are not counts.
    pub raw_screen: Option<Screen>,
    /// Set when the link reads one `TX` variable (or its count) with a ready operator
    /// and no transformations: such a link can be tested with one lookup.
    pub tx_probe: Option<TxProbe>,
    pub transformations: Vec<Transformation>,
    /// Interned ids of each prefix of `transformations`, for the per-transaction cache.
    pub transformation_prefixes: Vec<u32>,
    pub multi_match: bool,
    pub capture: bool,
    pub actions: Vec<RunAction>,
    pub metadata: Metadata,
    pub disruptive: Disruptive,
    /// Whether `block` was written (resolved to `disruptive` through `SecDefaultAction`).
    pub status: Option<u16>,
    pub flow: Flow,
    /// The marker named by `skipAfter`, until `flow` is resolved to an index.
    pub skip_after: Option<String>,
    pub log: bool,
    pub audit_log: bool,
    pub chain: Option<Box<Rule>>,
}

/// An entry of a phase: a rule or a `SecMarker`.
#[derive(Debug)]
pub(crate) enum Entry {
    Rule(Box<Rule>),
    Marker(String),
}
