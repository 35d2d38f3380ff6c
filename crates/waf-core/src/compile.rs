//! From syntax tree to [`RuleSet`]: everything that can be decided before the first request
//! is decided here — operators compiled (regexes, automata, data files), macros split into
//! variable references, `block` resolved through `SecDefaultAction`, chains linked,
//! `skipAfter` resolved to positions, rule-editing directives applied.

use std::collections::HashMap;
use std::sync::Arc;

use waf_seclang::{
    ActionKind, Ctl, Directive, LimitAction, Loader, Location, MacroPart, MacroString,
    RuleSelector, RuleSetAst, Selector as AstSelector, SetVarOp, Setting, Span, Variable,
    join_relative,
};

use crate::RuleSet;
use crate::config::EngineConfig;
use crate::error::{RuleError, Warning};
use crate::operators::{self, CompileContext};
use crate::regex::{Pattern, RegexConfig};
use crate::rule::*;
use crate::transformations::{self, Transformation};
use crate::variables::Var;

/// What `SecDefaultAction` sets for one phase.
#[derive(Clone)]
struct Defaults {
    disruptive: Disruptive,
    log: bool,
    audit_log: bool,
    transformations: Vec<Transformation>,
    status: Option<u16>,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            disruptive: Disruptive::Pass,
            log: true,
            audit_log: true,
            transformations: Vec::new(),
            status: None,
        }
    }
}

pub(crate) struct Compiler<'a> {
    ast: &'a RuleSetAst,
    loader: &'a mut dyn Loader,
    config: EngineConfig,
    defaults: [Defaults; 5],
    phases: [Vec<Entry>; 5],
    /// Rules of a chain being read, starter first.
    pending_chain: Vec<(Rule, bool)>,
    prefixes: HashMap<Vec<Transformation>, u32>,
    errors: Vec<RuleError>,
    warnings: Vec<Warning>,
    ids: HashMap<u64, Location>,
}

/// Flags a rule's action list sets, before defaults fill the gaps.
#[derive(Default)]
struct Explicit {
    disruptive: Option<Disruptive>,
    block: bool,
    log: Option<bool>,
    audit_log: Option<bool>,
    chain: bool,
    phase: Option<u8>,
    reset_transformations: bool,
}

impl<'a> Compiler<'a> {
    pub fn new(ast: &'a RuleSetAst, loader: &'a mut dyn Loader) -> Self {
        Compiler {
            ast,
            loader,
            config: EngineConfig::default(),
            defaults: Default::default(),
            phases: Default::default(),
            pending_chain: Vec::new(),
            prefixes: HashMap::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            ids: HashMap::new(),
        }
    }

    fn location(&self, span: Span) -> Location {
        Location {
            file: self.ast.file_name(span).to_string(),
            line: span.line,
            column: span.column,
        }
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        let location = self.location(span);
        self.errors.push(RuleError {
            location,
            message: message.into(),
        });
    }

    fn warn(&mut self, span: Span, message: impl Into<String>) {
        let location = self.location(span);
        self.warnings.push(Warning {
            location,
            message: message.into(),
        });
    }

    pub fn compile(mut self) -> Result<(RuleSet, Vec<Warning>), Vec<RuleError>> {
        for directive in &self.ast.directives {
            let span = directive.span;
            match &directive.node {
                Directive::Rule(rule) => self.add_rule(Some(rule), &rule.actions, span),
                Directive::Action(actions) => self.add_rule(None, actions, span),
                Directive::Marker(name) => {
                    self.close_dangling_chain(span);
                    for phase in &mut self.phases {
                        phase.push(Entry::Marker(name.clone()));
                    }
                }
                Directive::DefaultAction(actions) => self.default_action(actions, span),
                Directive::RemoveRules(selector) => {
                    self.close_dangling_chain(span);
                    for phase in &mut self.phases {
                        phase.retain(|e| !matches!(e, Entry::Rule(r) if selects(selector, r)));
                    }
                }
                Directive::UpdateTarget {
                    selector,
                    targets,
                    replaced,
                } => self.update_target(selector, targets, replaced.as_deref(), span),
                Directive::UpdateAction {
                    id,
                    chain_offset,
                    actions,
                } => self.update_action(*id, *chain_offset, actions, span),
                Directive::Setting(setting) => self.setting(setting, span),
            }
        }
        if let Some((rule, _)) = self.pending_chain.first() {
            let (file, line) = (rule.file.clone(), rule.line);
            self.errors.push(RuleError {
                location: Location {
                    file: file.to_string(),
                    line,
                    column: 1,
                },
                message: "the last rule has `chain` but no rule follows it".into(),
            });
        }
        self.resolve_skip_after();
        for entry in self.phases.iter_mut().flatten() {
            if let Entry::Rule(rule) = entry {
                attach_raw_screens(rule);
            }
        }
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        let rule_count = self
            .phases
            .iter()
            .flatten()
            .filter(|e| matches!(e, Entry::Rule(_)))
            .count();
        let mut tx_names = std::collections::HashSet::new();
        for entry in self.phases.iter().flatten() {
            if let Entry::Rule(rule) = entry {
                literal_tx_names(rule, &mut tx_names);
            }
        }
        let tx_names = tx_names.len();
        let gates = self
            .phases
            .each_ref()
            .map(|entries| crate::gates::PhaseGates::build(entries));
        let set = RuleSet {
            gates,
            phases: self.phases,
            config: self.config,
            rule_count,
            prefix_count: self.prefixes.len(),
            tx_names,
        };
        Ok((set, self.warnings))
    }

    fn close_dangling_chain(&mut self, span: Span) {
        if !self.pending_chain.is_empty() {
            self.pending_chain.clear();
            self.error(span, "a rule with `chain` must be followed by a SecRule");
        }
    }

    fn setting(&mut self, setting: &Setting, span: Span) {
        match setting {
            Setting::RuleEngine(m) => self.config.engine = *m,
            Setting::RequestBodyAccess(b) => self.config.request_body_access = *b,
            Setting::RequestBodyLimit(n) => self.config.request_body_limit = *n,
            Setting::RequestBodyNoFilesLimit(n) => self.config.request_body_no_files_limit = *n,
            Setting::RequestBodyLimitAction(a) => self.config.request_body_limit_action = *a,
            Setting::RequestBodyJsonDepthLimit(n) => self.config.json_depth_limit = *n,
            Setting::ResponseBodyAccess(b) => self.config.response_body_access = *b,
            Setting::ResponseBodyLimit(n) => self.config.response_body_limit = *n,
            Setting::ResponseBodyLimitAction(a) => self.config.response_body_limit_action = *a,
            Setting::ResponseBodyMimeType(types) => self
                .config
                .response_body_mime_types
                .extend(types.iter().map(|t| t.to_ascii_lowercase())),
            Setting::ResponseBodyMimeTypesClear => self.config.response_body_mime_types.clear(),
            Setting::ArgumentSeparator(s) => match s.as_bytes() {
                [b] => self.config.argument_separator = *b,
                _ => self.error(span, "SecArgumentSeparator expects exactly one character"),
            },
            Setting::ArgumentsLimit(n) => self.config.arguments_limit = *n,
            Setting::CookieFormat(0) => {}
            Setting::CookieFormat(_) => self.warn(
                span,
                "SecCookieFormat 1 is not supported; cookies are parsed as version 0",
            ),
            Setting::PcreMatchLimit(n) => {
                self.config.regex_backtrack_limit = (*n).try_into().unwrap_or(usize::MAX)
            }
            Setting::PcreMatchLimitRecursion(_) => {}
            Setting::AuditEngine(m) => self.config.audit_engine = *m,
            Setting::AuditLogParts(p) => self.config.audit_log_parts = p.clone(),
            Setting::AuditLogRelevantStatus(s) => match Pattern::compile(s) {
                Ok(p) => self.config.audit_relevant_status = Some(p),
                Err(e) => self.error(
                    span,
                    format!("SecAuditLogRelevantStatus: bad regular expression: {e}"),
                ),
            },
            Setting::AuditLogFormat(f) if f.eq_ignore_ascii_case("json") => {}
            Setting::AuditLogFormat(f) => self.warn(
                span,
                format!("SecAuditLogFormat {f}: audit records are always JSON"),
            ),
            Setting::CollectionTimeout(n) => self.config.collection_timeout = *n,
            Setting::ComponentSignature(s) => self.config.component_signatures.push(s.clone()),
            Setting::WebAppId(s) => self.config.web_app_id = s.clone(),
            Setting::UploadFileLimit(n) => self.config.upload_file_limit = *n,
            Setting::RequestBodyInMemoryLimit(_) | Setting::XmlExternalEntity(false) => {}
            Setting::XmlExternalEntity(true) => self.warn(
                span,
                "SecXmlExternalEntity On is ignored: external entities are never loaded",
            ),
            // Inert directives were already reported by the parser.
            Setting::Inert { .. } => {}
        }
        if self.config.request_body_limit_action == LimitAction::ProcessPartial
            && self.config.request_body_limit == 0
        {
            self.warn(
                span,
                "SecRequestBodyLimit 0 with ProcessPartial inspects no request body",
            );
        }
    }

    fn default_action(&mut self, actions: &[waf_seclang::Action], span: Span) {
        let mut phase = None;
        let mut d = Defaults::default();
        for a in actions {
            match &a.kind {
                ActionKind::Phase(p) => phase = Some(p.0),
                ActionKind::Log => d.log = true,
                ActionKind::NoLog => {
                    d.log = false;
                    d.audit_log = false;
                }
                ActionKind::AuditLog => d.audit_log = true,
                ActionKind::NoAuditLog => d.audit_log = false,
                ActionKind::Status(s) => d.status = Some(*s),
                ActionKind::Transformation(t) => match transformations::lookup(t) {
                    Some(t) if t.is_reset() => d.transformations.clear(),
                    Some(t) => d.transformations.push(t),
                    None => self.error(a.span, format!("unknown transformation `t:{t}`")),
                },
                ActionKind::Block => self.error(a.span, "SecDefaultAction cannot use `block`: it defines what block means"),
                kind => match self.disruptive(kind) {
                    Some(dis) => d.disruptive = dis,
                    None => self.error(
                        a.span,
                        format!("SecDefaultAction accepts only phase, disruptive, logging, status and t: actions, not `{kind}`"),
                    ),
                },
            }
        }
        match phase {
            Some(p @ 1..=5) => self.defaults[usize::from(p - 1)] = d,
            _ => self.error(span, "SecDefaultAction needs a phase"),
        }
    }

    fn disruptive(&mut self, kind: &ActionKind) -> Option<Disruptive> {
        Some(match kind {
            ActionKind::Pass => Disruptive::Pass,
            ActionKind::Deny => Disruptive::Deny,
            ActionKind::Drop => Disruptive::Drop,
            ActionKind::Allow(scope) => Disruptive::Allow(*scope),
            ActionKind::Redirect(m) => Disruptive::Redirect(self.macro_of(m)),
            ActionKind::Proxy(m) => Disruptive::Proxy(self.macro_of(m)),
            ActionKind::Pause(_) => Disruptive::Pause,
            _ => return None,
        })
    }

    fn macro_of(&mut self, m: &MacroString) -> Macro {
        compile_macro(m)
    }

    fn intern_prefixes(&mut self, list: &[Transformation]) -> Vec<u32> {
        (1..=list.len())
            .map(|n| {
                let next = self.prefixes.len() as u32;
                *self.prefixes.entry(list[..n].to_vec()).or_insert(next)
            })
            .collect()
    }

    /// Compiles a `SecRule` (or a `SecAction` when `rule` is None) and places it.
    fn add_rule(
        &mut self,
        rule: Option<&waf_seclang::Rule>,
        actions: &[waf_seclang::Action],
        span: Span,
    ) {
        let in_chain = !self.pending_chain.is_empty();
        if in_chain && rule.is_none() {
            self.pending_chain.clear();
            self.error(span, "SecAction cannot continue a chain: a rule with `chain` must be followed by a SecRule");
        }
        let in_chain = in_chain && rule.is_some();
        let parent_phase = self.pending_chain.first().map(|(r, _)| r.phase);
        let file: Arc<str> = Arc::from(self.ast.file_name(span));
        let errors_before = self.errors.len();

        let mut explicit = Explicit::default();
        let mut compiled = Rule {
            id: 0,
            phase: 2,
            file,
            line: span.line,
            targets: Vec::new(),
            exclusions: Vec::new(),
            operator: CompiledOperator {
                name: "unconditionalMatch",
                negated: false,
                argument: String::new(),
                implementation: OperatorImpl::Ready(Box::new(
                    crate::operators::UnconditionalMatchOp,
                )),
            },
            raw_screen: None,
            tx_probe: None,
            transformations: Vec::new(),
            transformation_prefixes: Vec::new(),
            multi_match: false,
            capture: false,
            actions: Vec::new(),
            metadata: Metadata::default(),
            disruptive: Disruptive::Pass,
            status: None,
            flow: Flow::None,
            skip_after: None,
            log: true,
            audit_log: true,
            chain: None,
        };
        let mut transformations: Vec<(Transformation, bool)> = Vec::new();
        for a in actions {
            self.apply_action(
                &mut compiled,
                &mut explicit,
                &mut transformations,
                a,
                in_chain,
            );
        }
        let phase = if in_chain {
            if let Some(p) = explicit.phase.filter(|p| Some(*p) != parent_phase) {
                self.warn(span, format!("phase:{p} on a chained rule is ignored; the chain runs in its starter's phase"));
            }
            parent_phase.unwrap_or(2)
        } else {
            explicit.phase.unwrap_or(2)
        };
        compiled.phase = phase;
        let defaults = self.defaults[usize::from(phase - 1)].clone();
        let mut list = if explicit.reset_transformations {
            Vec::new()
        } else {
            defaults.transformations.clone()
        };
        for (t, reset) in transformations {
            if reset {
                list.clear();
            } else {
                list.push(t);
            }
        }
        compiled.transformation_prefixes = self.intern_prefixes(&list);
        compiled.transformations = list;
        compiled.disruptive = match (explicit.disruptive.take(), explicit.block) {
            (Some(d), _) => d,
            (None, _) => defaults.disruptive.clone(),
        };
        if compiled.status.is_none() {
            compiled.status = defaults.status;
        }
        compiled.log = explicit.log.unwrap_or(defaults.log);
        compiled.audit_log = explicit
            .audit_log
            .unwrap_or(if explicit.log == Some(false) {
                false
            } else {
                defaults.audit_log
            });

        if let Some(rule) = rule {
            self.compile_targets(&mut compiled, &rule.variables);
            self.compile_operator(&mut compiled, &rule.operator);
        }

        if !in_chain {
            if compiled.id == 0 {
                self.error(span, "rule has no id (add `id:N`)");
            } else if let Some(previous) = self.ids.get(&compiled.id) {
                let message = format!(
                    "duplicate rule id {} (first defined at {previous})",
                    compiled.id
                );
                self.error(span, message);
            } else {
                let location = self.location(span);
                self.ids.insert(compiled.id, location);
            }
        } else if compiled.id != 0 {
            self.error(span, "a chained rule cannot have its own id");
        }
        let ok = self.errors.len() == errors_before;
        self.pending_chain.push((compiled, ok));
        if !explicit.chain {
            self.finish_chain();
        }
    }

    /// Links the pending chain and places it in its phase (unless any part failed).
    fn finish_chain(&mut self) {
        let mut links = std::mem::take(&mut self.pending_chain);
        if links.iter().any(|(_, ok)| !ok) {
            return;
        }
        let mut child: Option<Box<Rule>> = None;
        while let Some((mut rule, _)) = links.pop() {
            rule.chain = child.take();
            child = Some(Box::new(rule));
        }
        if let Some(rule) = child {
            let phase = usize::from(rule.phase - 1);
            self.phases[phase].push(Entry::Rule(rule));
        }
    }

    fn apply_action(
        &mut self,
        rule: &mut Rule,
        explicit: &mut Explicit,
        transformations: &mut Vec<(Transformation, bool)>,
        a: &waf_seclang::Action,
        in_chain: bool,
    ) {
        let metadata_in_chain = |c: &mut Self, name: &str| {
            if in_chain {
                c.error(
                    a.span,
                    format!("`{name}` belongs on the first rule of a chain"),
                );
            }
        };
        match &a.kind {
            ActionKind::Id(id) => rule.id = *id,
            ActionKind::Phase(p) => explicit.phase = Some(p.0),
            ActionKind::Msg(m) => {
                rule.metadata.msg_literal = Some(m.raw.clone());
                rule.metadata.msg = Some(compile_macro(m));
            }
            ActionKind::LogData(m) => rule.metadata.logdata = Some(compile_macro(m)),
            ActionKind::Severity(s) => rule.metadata.severity = Some(*s),
            ActionKind::Tag(m) => {
                rule.metadata.tag_literals.push(m.raw.clone());
                rule.metadata.tags.push(compile_macro(m));
            }
            ActionKind::Rev(v) => rule.metadata.rev = Some(v.clone()),
            ActionKind::Ver(v) => rule.metadata.ver = Some(v.clone()),
            ActionKind::Maturity(n) => rule.metadata.maturity = Some(*n),
            ActionKind::Accuracy(n) => rule.metadata.accuracy = Some(*n),
            ActionKind::Block => {
                metadata_in_chain(self, "block");
                explicit.block = true;
                explicit.disruptive = None;
            }
            ActionKind::Chain => explicit.chain = true,
            ActionKind::Skip(n) => {
                metadata_in_chain(self, "skip");
                rule.flow = Flow::Skip(*n);
            }
            ActionKind::SkipAfter(m) => {
                metadata_in_chain(self, "skipAfter");
                rule.skip_after = Some(m.clone());
                rule.flow = Flow::SkipAfter(None);
            }
            ActionKind::Status(s) => rule.status = Some(*s),
            ActionKind::XmlNs(_) => {}
            ActionKind::Transformation(t) => match transformations::lookup(t) {
                Some(t) if t.is_reset() => {
                    explicit.reset_transformations = true;
                    transformations.push((t, true));
                }
                Some(t) => transformations.push((t, false)),
                None => self.error(a.span, format!("unknown transformation `t:{t}`")),
            },
            ActionKind::SetVar(sv) => {
                let Some(collection) = self.writable_collection(&sv.collection, a.span) else {
                    return;
                };
                let (op, value) = match &sv.op {
                    SetVarOp::Create => (SetOp::Create, Macro::default()),
                    SetVarOp::Set(v) => (SetOp::Set, compile_macro(v)),
                    SetVarOp::Add(v) => (SetOp::Add, compile_macro(v)),
                    SetVarOp::Sub(v) => (SetOp::Sub, compile_macro(v)),
                    SetVarOp::Delete => (SetOp::Delete, Macro::default()),
                };
                let key = compile_key_macro(&sv.key);
                let stored_key = key
                    .literal()
                    .map(|k| Arc::from(crate::transaction::collection_key(k)));
                rule.actions.push(RunAction::SetVar {
                    collection,
                    key,
                    stored_key,
                    op,
                    value,
                });
            }
            ActionKind::ExpireVar {
                collection,
                key,
                seconds,
            } => {
                let Some(collection) = self.writable_collection(collection, a.span) else {
                    return;
                };
                rule.actions.push(RunAction::ExpireVar {
                    collection,
                    key: compile_key_macro(key),
                    seconds: compile_macro(seconds),
                });
            }
            ActionKind::InitCol { collection, key } => match Var::from_name(collection) {
                Some(v @ (Var::Ip | Var::Session | Var::User | Var::Global | Var::Resource)) => {
                    rule.actions.push(RunAction::InitCol {
                        collection: v,
                        key: compile_macro(key),
                    })
                }
                _ => self.error(
                    a.span,
                    format!("initcol: `{collection}` is not IP, SESSION, USER, GLOBAL or RESOURCE"),
                ),
            },
            ActionKind::SetEnv { name, value } => rule.actions.push(RunAction::SetEnv {
                name: compile_macro(name),
                value: value.as_ref().map(compile_macro).unwrap_or_else(|| Macro {
                    parts: vec![MacroPiece::Literal(b"1".to_vec())],
                }),
            }),
            ActionKind::SetUid(m) => rule.actions.push(RunAction::SetUid(compile_macro(m))),
            ActionKind::SetSid(m) => rule.actions.push(RunAction::SetSid(compile_macro(m))),
            ActionKind::SetRsc(m) => rule.actions.push(RunAction::SetRsc(compile_macro(m))),
            ActionKind::Ctl(ctl) => {
                if let Some(c) = self.compile_ctl(ctl, a.span) {
                    rule.actions.push(RunAction::Ctl(c));
                }
            }
            ActionKind::Capture => rule.capture = true,
            ActionKind::MultiMatch => rule.multi_match = true,
            ActionKind::Log => explicit.log = Some(true),
            ActionKind::NoLog => explicit.log = Some(false),
            ActionKind::AuditLog => explicit.audit_log = Some(true),
            ActionKind::NoAuditLog => explicit.audit_log = Some(false),
            ActionKind::SanitiseArg(_)
            | ActionKind::SanitiseMatched
            | ActionKind::SanitiseMatchedBytes(_)
            | ActionKind::SanitiseRequestHeader(_)
            | ActionKind::SanitiseResponseHeader(_)
            | ActionKind::Exec(_)
            | ActionKind::Append(_)
            | ActionKind::Prepend(_)
            | ActionKind::DeprecateVar(_) => {
                self.warn(
                    a.span,
                    format!("action `{}` is accepted but not acted on", a.kind),
                );
            }
            kind => {
                if in_chain {
                    self.error(
                        a.span,
                        "disruptive actions belong on the first rule of a chain",
                    );
                } else if let Some(d) = self.disruptive(kind) {
                    explicit.disruptive = Some(d);
                    explicit.block = false;
                }
            }
        }
    }

    fn writable_collection(&mut self, name: &str, span: Span) -> Option<Var> {
        match Var::from_name(name) {
            Some(v) if v.is_writable() => Some(v),
            _ => {
                self.error(span, format!("`{name}` is not a collection rules can write (TX, IP, SESSION, USER, GLOBAL, RESOURCE, ENV)"));
                None
            }
        }
    }

    fn compile_selector(
        &mut self,
        var: Var,
        selector: &Option<AstSelector>,
        span: Span,
    ) -> Option<Selector> {
        match selector {
            None => Some(Selector::All),
            Some(_) if !var.is_collection() => {
                self.error(
                    span,
                    format!(
                        "{} is not a collection and takes no `:selector`",
                        var.name()
                    ),
                );
                None
            }
            Some(AstSelector::Key(k)) => Some(Selector::Key(k.to_ascii_lowercase())),
            Some(AstSelector::Regex(re)) => match Pattern::compile(&format!("(?i){re}")) {
                Ok(p) => Some(Selector::Regex(Box::new(p))),
                Err(e) => {
                    self.error(
                        span,
                        format!("bad regular expression in selector `/{re}/`: {e}"),
                    );
                    None
                }
            },
        }
    }

    fn variable(&mut self, v: &Variable) -> Option<(Var, Selector)> {
        let Some(var) = Var::from_name(&v.name) else {
            self.error(v.span, format!("unknown variable `{}`", v.name));
            return None;
        };
        let selector = self.compile_selector(var, &v.selector, v.span)?;
        Some((var, selector))
    }

    fn compile_targets(&mut self, rule: &mut Rule, variables: &[Variable]) {
        for v in variables {
            let Some((var, selector)) = self.variable(v) else {
                continue;
            };
            if v.exclude {
                if v.count {
                    self.error(v.span, "`!&` makes no sense: a count cannot be excluded");
                }
                rule.exclusions.push(Exclusion { var, selector });
            } else {
                rule.targets.push(Target {
                    var,
                    selector,
                    count: v.count,
                });
            }
        }
    }

    fn exclusions(&mut self, variables: &[Variable]) -> Arc<[Exclusion]> {
        variables
            .iter()
            .filter_map(|v| {
                self.variable(v)
                    .map(|(var, selector)| Exclusion { var, selector })
            })
            .collect::<Vec<_>>()
            .into()
    }

    fn compile_operator(&mut self, rule: &mut Rule, op: &waf_seclang::Operator) {
        let Some(&(name, compile)) = operators::OPERATORS.iter().find(|(n, _)| *n == op.name)
        else {
            self.error(op.span, format!("operator @{} is not implemented", op.name));
            return;
        };
        if operators::is_unsupported(name) {
            self.warn(
                op.span,
                format!("operator @{name} is not supported: this rule never matches and reports an engine error when evaluated"),
            );
        }
        let argument = compile_macro(&op.argument);
        let implementation = if op.argument.is_literal() {
            let regex = RegexConfig {
                backtrack_limit: self.config.regex_backtrack_limit,
                ..RegexConfig::default()
            };
            let rule_file = rule.file.clone();
            let loader = &mut *self.loader;
            let mut read_data = |file: &str| -> Result<String, String> {
                let path = join_relative(file, &rule_file);
                loader
                    .read(&path)
                    .map_err(|e| format!("data file `{path}`: {e}"))
            };
            let mut ctx = CompileContext {
                read_data: &mut read_data,
                regex: &regex,
            };
            match compile(&op.argument.raw, &mut ctx) {
                Ok(o) => OperatorImpl::Ready(o),
                Err(e) => {
                    self.error(op.span, format!("@{name}: {e}"));
                    return;
                }
            }
        } else {
            OperatorImpl::Deferred { compile, argument }
        };
        rule.operator = CompiledOperator {
            name,
            negated: op.negated,
            argument: op.argument.raw.clone(),
            implementation,
        };
    }

    fn compile_ctl(&mut self, ctl: &Ctl, span: Span) -> Option<CtlAction> {
        Some(match ctl {
            Ctl::RuleEngine(m) => CtlAction::RuleEngine(*m),
            Ctl::RuleRemoveById(r) => CtlAction::RemoveById(r.clone()),
            Ctl::RuleRemoveByTag(t) => CtlAction::RemoveByTag(t.clone()),
            Ctl::RuleRemoveByMsg(m) => CtlAction::RemoveByMsg(m.clone()),
            Ctl::RuleRemoveTargetById(r, v) => {
                CtlAction::RemoveTargetById(r.clone(), self.exclusions(v))
            }
            Ctl::RuleRemoveTargetByTag(t, v) => {
                CtlAction::RemoveTargetByTag(t.clone(), self.exclusions(v))
            }
            Ctl::RuleRemoveTargetByMsg(m, v) => {
                CtlAction::RemoveTargetByMsg(m.clone(), self.exclusions(v))
            }
            Ctl::RequestBodyAccess(b) => CtlAction::RequestBodyAccess(*b),
            Ctl::RequestBodyProcessor(p) => {
                let p = p.to_ascii_uppercase();
                if !["URLENCODED", "MULTIPART", "JSON", "XML"].contains(&p.as_str()) {
                    self.error(
                        span,
                        format!("ctl:requestBodyProcessor: unknown processor `{p}`"),
                    );
                    return None;
                }
                CtlAction::RequestBodyProcessor(p)
            }
            Ctl::RequestBodyLimit(n) => CtlAction::RequestBodyLimit(*n),
            Ctl::ResponseBodyAccess(b) => CtlAction::ResponseBodyAccess(*b),
            Ctl::ResponseBodyLimit(n) => CtlAction::ResponseBodyLimit(*n),
            Ctl::ForceRequestBodyVariable(b) => CtlAction::ForceRequestBodyVariable(*b),
            Ctl::AuditEngine(m) => CtlAction::AuditEngine(*m),
            Ctl::AuditLogParts(p) => CtlAction::AuditLogParts(p.clone()),
            Ctl::ParseXmlIntoArgs(_) | Ctl::HashEngine(_) | Ctl::DebugLogLevel(_) => {
                self.warn(span, format!("ctl:{ctl} is accepted but not acted on"));
                return None;
            }
        })
    }

    fn update_target(
        &mut self,
        selector: &RuleSelector,
        targets: &[Variable],
        replaced: Option<&[Variable]>,
        span: Span,
    ) {
        self.close_dangling_chain(span);
        let mut new_targets = Vec::new();
        let mut new_exclusions = Vec::new();
        for v in targets {
            let Some((var, sel)) = self.variable(v) else {
                return;
            };
            if v.exclude {
                new_exclusions.push((var, sel));
            } else {
                new_targets.push((var, sel, v.count));
            }
        }
        let replaced: Option<Vec<(Var, Option<String>)>> = replaced.map(|r| {
            r.iter()
                .filter_map(|v| {
                    let var = Var::from_name(&v.name)?;
                    let key = match &v.selector {
                        Some(AstSelector::Key(k)) => Some(k.to_ascii_lowercase()),
                        _ => None,
                    };
                    Some((var, key))
                })
                .collect()
        });
        let mut found = false;
        for phase in &mut self.phases {
            for entry in phase.iter_mut() {
                let Entry::Rule(rule) = entry else { continue };
                if !selects(selector, rule) {
                    continue;
                }
                found = true;
                if let Some(replaced) = &replaced {
                    rule.targets.retain(|t| {
                        !replaced.iter().any(|(var, key)| {
                            t.var == *var
                                && match (&t.selector, key) {
                                    (Selector::All, None) => true,
                                    (Selector::Key(a), Some(b)) => a == b,
                                    _ => false,
                                }
                        })
                    });
                }
                for (var, sel, count) in &new_targets {
                    rule.targets.push(Target {
                        var: *var,
                        selector: sel.clone(),
                        count: *count,
                    });
                }
                for (var, sel) in &new_exclusions {
                    rule.exclusions.push(Exclusion {
                        var: *var,
                        selector: sel.clone(),
                    });
                }
            }
        }
        if !found {
            self.warn(
                span,
                "no rule defined so far matches this SecRuleUpdateTarget directive",
            );
        }
    }

    fn update_action(
        &mut self,
        id: u64,
        chain_offset: Option<u32>,
        actions: &[waf_seclang::Action],
        span: Span,
    ) {
        self.close_dangling_chain(span);
        let mut position = None;
        for (p, phase) in self.phases.iter().enumerate() {
            if let Some(i) = phase
                .iter()
                .position(|e| matches!(e, Entry::Rule(r) if r.id == id))
            {
                position = Some((p, i));
            }
        }
        let Some((p, i)) = position else {
            self.warn(
                span,
                format!("SecRuleUpdateActionById: no rule {id} defined so far"),
            );
            return;
        };
        let Entry::Rule(mut rule) =
            std::mem::replace(&mut self.phases[p][i], Entry::Marker(String::new()))
        else {
            return;
        };
        let link = chain_offset.unwrap_or(1);
        {
            let Some(target) = chain_link_mut(&mut rule, link) else {
                self.error(span, format!("rule {id} has no chain link {link}"));
                self.phases[p][i] = Entry::Rule(rule);
                return;
            };
            let mut explicit = Explicit::default();
            let mut transformations = Vec::new();
            for a in actions {
                if matches!(
                    a.kind,
                    ActionKind::Id(_) | ActionKind::Phase(_) | ActionKind::Chain
                ) {
                    self.error(
                        a.span,
                        format!("SecRuleUpdateActionById cannot change `{}`", a.kind),
                    );
                    continue;
                }
                self.apply_action(target, &mut explicit, &mut transformations, a, false);
            }
            if explicit.block {
                target.disruptive = self.defaults[usize::from(target.phase - 1)]
                    .disruptive
                    .clone();
            } else if let Some(d) = explicit.disruptive {
                target.disruptive = d;
            }
            if let Some(l) = explicit.log {
                target.log = l;
            }
            if let Some(l) = explicit.audit_log {
                target.audit_log = l;
            }
            if !transformations.is_empty() {
                let mut list = if explicit.reset_transformations {
                    Vec::new()
                } else {
                    target.transformations.clone()
                };
                for (t, reset) in transformations {
                    if reset {
                        list.clear();
                    } else {
                        list.push(t);
                    }
                }
                target.transformation_prefixes = self.intern_prefixes(&list);
                target.transformations = list;
            }
        }
        self.phases[p][i] = Entry::Rule(rule);
    }

    /// Turns each `skipAfter:NAME` into the position of the first `NAME` marker after the
    /// rule in its phase.
    fn resolve_skip_after(&mut self) {
        for phase in &mut self.phases {
            let markers: Vec<(usize, String)> = phase
                .iter()
                .enumerate()
                .filter_map(|(i, e)| match e {
                    Entry::Marker(name) => Some((i, name.clone())),
                    _ => None,
                })
                .collect();
            for (i, entry) in phase.iter_mut().enumerate() {
                let Entry::Rule(rule) = entry else { continue };
                if let Some(name) = &rule.skip_after {
                    let target = markers
                        .iter()
                        .find(|(j, n)| *j > i && n == name)
                        .map(|(j, _)| *j);
                    rule.flow = Flow::SkipAfter(target);
                }
            }
        }
    }
}

/// Sets [`Rule::raw_screen`] on a rule and its chain links, once their operators and
/// transformations are final.
fn attach_raw_screens(rule: &mut Rule) {
    let screenable = !rule.operator.negated && !rule.targets.iter().any(|t| t.count);
    rule.raw_screen = match &rule.operator.implementation {
        OperatorImpl::Ready(op) if screenable => op
            .screen()
            .map(|s| s.through(&rule.transformations))
            .filter(|s| !s.is_trivial()),
        _ => None,
    };
    let plain = rule.transformations.is_empty()
        && rule.exclusions.is_empty()
        && !rule.multi_match
        && matches!(rule.operator.implementation, OperatorImpl::Ready(_));
    rule.tx_probe = match rule.targets.as_slice() {
        [
            Target {
                var: Var::Tx,
                selector: Selector::Key(key),
                count,
            },
        ] if plain => Some(TxProbe {
            key: key.clone(),
            count: *count,
        }),
        _ => None,
    };
    if let Some(next) = rule.chain.as_deref_mut() {
        attach_raw_screens(next);
    }
}

/// The TX variables a rule and its chain links name literally in `setvar`.
fn literal_tx_names<'r>(rule: &'r Rule, names: &mut std::collections::HashSet<&'r str>) {
    for action in &rule.actions {
        if let RunAction::SetVar {
            collection: Var::Tx,
            stored_key: Some(key),
            ..
        } = action
        {
            names.insert(key);
        }
    }
    if let Some(next) = rule.chain.as_deref() {
        literal_tx_names(next, names);
    }
}

/// The `n`-th rule of a chain (1 is the starter).
fn chain_link_mut(rule: &mut Rule, n: u32) -> Option<&mut Rule> {
    if n <= 1 {
        return Some(rule);
    }
    chain_link_mut(rule.chain.as_deref_mut()?, n - 1)
}

/// Whether a rule-editing selector picks this rule.
fn selects(selector: &RuleSelector, rule: &Rule) -> bool {
    match selector {
        RuleSelector::Ids(ranges) => ranges.iter().any(|r| r.contains(rule.id)),
        RuleSelector::Tag(tag) => rule.metadata.tag_literals.iter().any(|t| t == tag),
        RuleSelector::Msg(msg) => rule.metadata.msg_literal.as_deref() == Some(msg.as_str()),
    }
}

pub(crate) fn compile_macro(m: &MacroString) -> Macro {
    let parts = m
        .parts
        .iter()
        .map(|p| match p {
            MacroPart::Literal(l) => MacroPiece::Literal(l.as_bytes().to_vec()),
            MacroPart::Variable { collection, key } => match Var::from_name(collection) {
                Some(var) => MacroPiece::Var(
                    var,
                    key.as_ref()
                        .map_or(Selector::All, |k| Selector::Key(k.to_ascii_lowercase())),
                ),
                // An unknown variable stays as written, as ModSecurity leaves it.
                None => MacroPiece::Literal(
                    format!(
                        "%{{{collection}{}}}",
                        key.as_ref().map(|k| format!(".{k}")).unwrap_or_default()
                    )
                    .into_bytes(),
                ),
            },
        })
        .collect();
    Macro { parts }
}

/// Collection keys are case-insensitive: literal parts are lower-cased once here.
fn compile_key_macro(m: &MacroString) -> Macro {
    let mut compiled = compile_macro(m);
    for part in &mut compiled.parts {
        if let MacroPiece::Literal(l) = part {
            l.make_ascii_lowercase();
        }
    }
    compiled
}
