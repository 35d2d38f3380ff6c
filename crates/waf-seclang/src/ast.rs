//! The syntax tree: what the rule text says, typed, with spans. No evaluation semantics live
//! here; `waf-core` compiles this into its own evaluation form.
//!
//! Chains stay flat: a chained rule is a [`Directive::Rule`] whose actions contain
//! [`Action::Chain`], followed by the next `SecRule`. Grouping is the compiler's job, so that
//! the tree prints back exactly as it was written.

use crate::span::Span;

/// Every directive of every file, in load order, after `Include` resolution.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSetAst {
    pub directives: Vec<Located<Directive>>,
    /// File names, indexed by [`Span::file`].
    pub files: Vec<String>,
}

impl RuleSetAst {
    /// The file name a span points into.
    pub fn file_name(&self, span: Span) -> &str {
        self.files
            .get(span.file as usize)
            .map(String::as_str)
            .unwrap_or("<unknown>")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub node: T,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    /// `SecRule VARIABLES "OPERATOR" "ACTIONS"`.
    Rule(Rule),
    /// `SecAction "ACTIONS"`: a rule that always matches.
    Action(Vec<Action>),
    /// `SecMarker NAME`: a target for `skipAfter`.
    Marker(String),
    /// `SecDefaultAction "ACTIONS"`: defaults for the rules of its phase that follow.
    DefaultAction(Vec<Action>),
    /// `SecRuleRemoveById/ByTag/ByMsg`.
    RemoveRules(RuleSelector),
    /// `SecRuleUpdateTargetById/ByTag/ByMsg SELECTOR TARGETS [REPLACED]`.
    UpdateTarget {
        selector: RuleSelector,
        targets: Vec<Variable>,
        /// The optional third argument: a target to replace instead of appending.
        replaced: Option<Vec<Variable>>,
    },
    /// `SecRuleUpdateActionById ID[:OFFSET] "ACTIONS"`.
    UpdateAction {
        id: u64,
        /// Which rule of a chain (1-based), when written as `ID:N`.
        chain_offset: Option<u32>,
        actions: Vec<Action>,
    },
    /// A configuration directive.
    Setting(Setting),
}

/// `SecRule` proper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub variables: Vec<Variable>,
    pub operator: Operator,
    pub actions: Vec<Action>,
}

/// Which rules a removal or update applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleSelector {
    Ids(Vec<IdRange>),
    Tag(String),
    Msg(String),
}

/// A rule id or an inclusive id range (`900000-900999`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRange {
    pub first: u64,
    pub last: u64,
}

impl IdRange {
    pub fn contains(&self, id: u64) -> bool {
        (self.first..=self.last).contains(&id)
    }
}

/// One element of a variable list such as `!ARGS:foo`, `&TX:score`, `ARGS:/^id_/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// `&`: the rule inspects how many values there are, not the values.
    pub count: bool,
    /// `!`: remove these values from the list instead of adding them.
    pub exclude: bool,
    /// The collection or variable name, upper-cased (`ARGS`, `TX`, `REQUEST_HEADERS`).
    pub name: String,
    pub selector: Option<Selector>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `ARGS:id` or `ARGS:'id'`. Compared case-insensitively by the engine.
    Key(String),
    /// `ARGS:/^id_/`.
    Regex(String),
}

/// `"@name argument"`, `"!@name argument"`, or an implicit `@rx`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub negated: bool,
    /// The operator name as written after `@` (`rx`, `pmFromFile`); `rx` when implicit.
    pub name: String,
    /// False when the text had no `@name` and is an implicit `@rx` pattern.
    pub explicit: bool,
    pub argument: MacroString,
    pub span: Span,
}

/// A string that may contain `%{COLLECTION.key}` macros, kept both raw and split.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MacroString {
    pub raw: String,
    pub parts: Vec<MacroPart>,
}

impl MacroString {
    /// True when the string holds no macro, so it can be used as is.
    pub fn is_literal(&self) -> bool {
        self.parts
            .iter()
            .all(|p| matches!(p, MacroPart::Literal(_)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MacroPart {
    Literal(String),
    /// `%{tx.anomaly_score}` → `collection: "TX", key: Some("anomaly_score")`;
    /// `%{MATCHED_VAR}` → `key: None`.
    Variable {
        collection: String,
        key: Option<String>,
    },
}

/// Processing phase: 1 request headers, 2 request body, 3 response headers, 4 response body,
/// 5 logging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Phase(pub u8);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    Emergency = 0,
    Alert = 1,
    Critical = 2,
    Error = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

impl Severity {
    pub const ALL: [Severity; 8] = [
        Severity::Emergency,
        Severity::Alert,
        Severity::Critical,
        Severity::Error,
        Severity::Warning,
        Severity::Notice,
        Severity::Info,
        Severity::Debug,
    ];

    /// The upper-case name ModSecurity prints (`CRITICAL`).
    pub fn name(self) -> &'static str {
        match self {
            Severity::Emergency => "EMERGENCY",
            Severity::Alert => "ALERT",
            Severity::Critical => "CRITICAL",
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
            Severity::Notice => "NOTICE",
            Severity::Info => "INFO",
            Severity::Debug => "DEBUG",
        }
    }
}

/// `allow`, `allow:phase`, `allow:request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowScope {
    /// Plain `allow`: skip all remaining rules of every phase (but logging).
    All,
    /// `allow:phase`: skip the rest of the current phase.
    Phase,
    /// `allow:request`: skip the rest of the request phases.
    Request,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetVar {
    /// The collection, upper-cased (`TX`, `IP`).
    pub collection: String,
    pub key: MacroString,
    pub op: SetVarOp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetVarOp {
    /// `setvar:tx.flag` with no value.
    Create,
    /// `setvar:tx.a=VALUE`.
    Set(MacroString),
    /// `setvar:tx.a=+VALUE`.
    Add(MacroString),
    /// `setvar:tx.a=-VALUE`.
    Sub(MacroString),
    /// `setvar:!tx.a`.
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineMode {
    On,
    Off,
    DetectionOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditEngineMode {
    On,
    Off,
    RelevantOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitAction {
    Reject,
    ProcessPartial,
}

/// `ctl:` actions: per-transaction changes of configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ctl {
    RuleEngine(EngineMode),
    RuleRemoveById(Vec<IdRange>),
    RuleRemoveByTag(String),
    RuleRemoveByMsg(String),
    RuleRemoveTargetById(Vec<IdRange>, Vec<Variable>),
    RuleRemoveTargetByTag(String, Vec<Variable>),
    RuleRemoveTargetByMsg(String, Vec<Variable>),
    RequestBodyAccess(bool),
    RequestBodyProcessor(String),
    RequestBodyLimit(u64),
    ResponseBodyAccess(bool),
    ResponseBodyLimit(u64),
    ForceRequestBodyVariable(bool),
    AuditEngine(AuditEngineMode),
    /// `auditLogParts=ABH` replaces, `=+E` adds, `=-E` removes.
    AuditLogParts(String),
    ParseXmlIntoArgs(String),
    HashEngine(String),
    DebugLogLevel(u32),
}

/// Every action, parsed into its typed form when the rule is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionKind {
    // Metadata.
    Id(u64),
    Phase(Phase),
    Msg(MacroString),
    LogData(MacroString),
    Severity(Severity),
    Tag(MacroString),
    Rev(String),
    Ver(String),
    Maturity(u8),
    Accuracy(u8),
    // Disruptive.
    Allow(AllowScope),
    Block,
    Deny,
    Drop,
    Pass,
    Pause(u64),
    Proxy(MacroString),
    Redirect(MacroString),
    // Flow.
    Chain,
    Skip(u32),
    SkipAfter(String),
    // Data.
    Status(u16),
    XmlNs(String),
    // Non-disruptive.
    Transformation(String),
    SetVar(SetVar),
    ExpireVar {
        collection: String,
        key: MacroString,
        seconds: MacroString,
    },
    InitCol {
        collection: String,
        key: MacroString,
    },
    SetUid(MacroString),
    SetSid(MacroString),
    SetRsc(MacroString),
    SetEnv {
        name: MacroString,
        value: Option<MacroString>,
    },
    Ctl(Ctl),
    Capture,
    MultiMatch,
    Log,
    NoLog,
    AuditLog,
    NoAuditLog,
    SanitiseArg(String),
    SanitiseMatched,
    SanitiseMatchedBytes(Option<String>),
    SanitiseRequestHeader(String),
    SanitiseResponseHeader(String),
    Exec(String),
    Append(MacroString),
    Prepend(MacroString),
    DeprecateVar(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub kind: ActionKind,
    pub span: Span,
}

/// Configuration directives. Those the engine interprets are typed; those accepted only so
/// that existing configurations load are kept as [`Setting::Inert`] and reported as warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    RuleEngine(EngineMode),
    RequestBodyAccess(bool),
    RequestBodyLimit(u64),
    RequestBodyNoFilesLimit(u64),
    RequestBodyInMemoryLimit(u64),
    RequestBodyLimitAction(LimitAction),
    RequestBodyJsonDepthLimit(u64),
    ResponseBodyAccess(bool),
    ResponseBodyLimit(u64),
    ResponseBodyLimitAction(LimitAction),
    ResponseBodyMimeType(Vec<String>),
    ResponseBodyMimeTypesClear,
    ArgumentSeparator(String),
    ArgumentsLimit(u64),
    CookieFormat(u32),
    PcreMatchLimit(u64),
    PcreMatchLimitRecursion(u64),
    AuditEngine(AuditEngineMode),
    AuditLogParts(String),
    AuditLogRelevantStatus(String),
    AuditLogFormat(String),
    CollectionTimeout(u64),
    ComponentSignature(String),
    WebAppId(String),
    UploadFileLimit(u64),
    XmlExternalEntity(bool),
    /// A directive accepted for compatibility that changes nothing in a sans-I/O engine
    /// (log file paths, temp directories, status reporting).
    Inert {
        directive: String,
        args: Vec<String>,
    },
}
