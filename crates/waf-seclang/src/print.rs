//! Printing the AST back as SecLang. `parse(print(ast)) == ast` for every directive: the
//! test suite checks it on all of CRS.

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::*;

/// A configuration word: bare when it can be, double-quoted (with `\"`) otherwise.
fn word(text: &str) -> String {
    if !text.is_empty()
        && !text.contains(|c: char| c.is_ascii_whitespace() || c == '"' || c == '\\')
    {
        return text.to_string();
    }
    quoted(text)
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// An action value: bare when it can be, single-quoted (with `\'`) otherwise.
fn action_value(text: &str) -> String {
    let plain = !text.is_empty()
        && text.trim() == text
        && !text.starts_with('\'')
        && !text.contains([',', '\'', '\n', '\r', '\t']);
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "\\'"))
    }
}

fn variables(vars: &[Variable]) -> String {
    let mut out = String::new();
    for (i, v) in vars.iter().enumerate() {
        if i > 0 {
            out.push('|');
        }
        if v.exclude {
            out.push('!');
        }
        if v.count {
            out.push('&');
        }
        out.push_str(&v.name);
        match &v.selector {
            None => {}
            Some(Selector::Regex(re)) => {
                let _ = write!(out, ":/{re}/");
            }
            Some(Selector::Key(key)) if v.name == "XML" || !needs_selector_quotes(key) => {
                let _ = write!(out, ":{key}");
            }
            Some(Selector::Key(key)) => {
                let _ = write!(out, ":'{key}'");
            }
        }
    }
    out
}

fn needs_selector_quotes(key: &str) -> bool {
    key.is_empty()
        || key.starts_with(['/', '\''])
        || key.contains(|c: char| c == '|' || c.is_ascii_whitespace())
}

fn ids(ranges: &[IdRange]) -> String {
    ranges
        .iter()
        .map(|r| {
            if r.first == r.last {
                r.first.to_string()
            } else {
                format!("{}-{}", r.first, r.last)
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn on_off(b: bool) -> &'static str {
    if b { "On" } else { "Off" }
}

impl Display for EngineMode {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineMode::On => "On",
            EngineMode::Off => "Off",
            EngineMode::DetectionOnly => "DetectionOnly",
        })
    }
}

impl Display for AuditEngineMode {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuditEngineMode::On => "On",
            AuditEngineMode::Off => "Off",
            AuditEngineMode::RelevantOnly => "RelevantOnly",
        })
    }
}

impl Display for LimitAction {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitAction::Reject => "Reject",
            LimitAction::ProcessPartial => "ProcessPartial",
        })
    }
}

impl Display for Ctl {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Ctl::RuleEngine(m) => write!(f, "ruleEngine={m}"),
            Ctl::RuleRemoveById(r) => write!(f, "ruleRemoveById={}", ids(r)),
            Ctl::RuleRemoveByTag(t) => write!(f, "ruleRemoveByTag={t}"),
            Ctl::RuleRemoveByMsg(m) => write!(f, "ruleRemoveByMsg={m}"),
            Ctl::RuleRemoveTargetById(r, v) => {
                write!(f, "ruleRemoveTargetById={};{}", ids(r), variables(v))
            }
            Ctl::RuleRemoveTargetByTag(t, v) => {
                write!(f, "ruleRemoveTargetByTag={t};{}", variables(v))
            }
            Ctl::RuleRemoveTargetByMsg(m, v) => {
                write!(f, "ruleRemoveTargetByMsg={m};{}", variables(v))
            }
            Ctl::RequestBodyAccess(b) => write!(f, "requestBodyAccess={}", on_off(*b)),
            Ctl::RequestBodyProcessor(p) => write!(f, "requestBodyProcessor={p}"),
            Ctl::RequestBodyLimit(n) => write!(f, "requestBodyLimit={n}"),
            Ctl::ResponseBodyAccess(b) => write!(f, "responseBodyAccess={}", on_off(*b)),
            Ctl::ResponseBodyLimit(n) => write!(f, "responseBodyLimit={n}"),
            Ctl::ForceRequestBodyVariable(b) => {
                write!(f, "forceRequestBodyVariable={}", on_off(*b))
            }
            Ctl::AuditEngine(m) => write!(f, "auditEngine={m}"),
            Ctl::AuditLogParts(p) => write!(f, "auditLogParts={p}"),
            Ctl::ParseXmlIntoArgs(v) => write!(f, "parseXmlIntoArgs={v}"),
            Ctl::HashEngine(v) => write!(f, "hashEngine={v}"),
            Ctl::DebugLogLevel(n) => write!(f, "debugLogLevel={n}"),
        }
    }
}

impl Display for SetVar {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let target = format!("{}.{}", self.collection, self.key.raw);
        match &self.op {
            SetVarOp::Create => f.write_str(&target),
            SetVarOp::Set(v) => write!(f, "{target}={}", v.raw),
            SetVarOp::Add(v) => write!(f, "{target}=+{}", v.raw),
            SetVarOp::Sub(v) => write!(f, "{target}=-{}", v.raw),
            SetVarOp::Delete => write!(f, "!{target}"),
        }
    }
}

impl Display for ActionKind {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (name, value): (&str, Option<String>) = match self {
            ActionKind::Id(id) => ("id", Some(id.to_string())),
            ActionKind::Phase(p) => ("phase", Some(p.0.to_string())),
            ActionKind::Msg(m) => ("msg", Some(m.raw.clone())),
            ActionKind::LogData(m) => ("logdata", Some(m.raw.clone())),
            ActionKind::Severity(s) => ("severity", Some(s.name().to_string())),
            ActionKind::Tag(t) => ("tag", Some(t.raw.clone())),
            ActionKind::Rev(v) => ("rev", Some(v.clone())),
            ActionKind::Ver(v) => ("ver", Some(v.clone())),
            ActionKind::Maturity(n) => ("maturity", Some(n.to_string())),
            ActionKind::Accuracy(n) => ("accuracy", Some(n.to_string())),
            ActionKind::Allow(AllowScope::All) => ("allow", None),
            ActionKind::Allow(AllowScope::Phase) => ("allow", Some("phase".into())),
            ActionKind::Allow(AllowScope::Request) => ("allow", Some("request".into())),
            ActionKind::Block => ("block", None),
            ActionKind::Deny => ("deny", None),
            ActionKind::Drop => ("drop", None),
            ActionKind::Pass => ("pass", None),
            ActionKind::Pause(n) => ("pause", Some(n.to_string())),
            ActionKind::Proxy(m) => ("proxy", Some(m.raw.clone())),
            ActionKind::Redirect(m) => ("redirect", Some(m.raw.clone())),
            ActionKind::Chain => ("chain", None),
            ActionKind::Skip(n) => ("skip", Some(n.to_string())),
            ActionKind::SkipAfter(m) => ("skipAfter", Some(m.clone())),
            ActionKind::Status(s) => ("status", Some(s.to_string())),
            ActionKind::XmlNs(v) => ("xmlns", Some(v.clone())),
            ActionKind::Transformation(t) => ("t", Some(t.clone())),
            ActionKind::SetVar(sv) => ("setvar", Some(sv.to_string())),
            ActionKind::ExpireVar {
                collection,
                key,
                seconds,
            } => (
                "expirevar",
                Some(format!("{collection}.{}={}", key.raw, seconds.raw)),
            ),
            ActionKind::InitCol { collection, key } => {
                ("initcol", Some(format!("{collection}={}", key.raw)))
            }
            ActionKind::SetUid(m) => ("setuid", Some(m.raw.clone())),
            ActionKind::SetSid(m) => ("setsid", Some(m.raw.clone())),
            ActionKind::SetRsc(m) => ("setrsc", Some(m.raw.clone())),
            ActionKind::SetEnv { name, value } => (
                "setenv",
                Some(match value {
                    Some(v) => format!("{}={}", name.raw, v.raw),
                    None => name.raw.clone(),
                }),
            ),
            ActionKind::Ctl(c) => ("ctl", Some(c.to_string())),
            ActionKind::Capture => ("capture", None),
            ActionKind::MultiMatch => ("multiMatch", None),
            ActionKind::Log => ("log", None),
            ActionKind::NoLog => ("nolog", None),
            ActionKind::AuditLog => ("auditlog", None),
            ActionKind::NoAuditLog => ("noauditlog", None),
            ActionKind::SanitiseArg(v) => ("sanitiseArg", Some(v.clone())),
            ActionKind::SanitiseMatched => ("sanitiseMatched", None),
            ActionKind::SanitiseMatchedBytes(v) => ("sanitiseMatchedBytes", v.clone()),
            ActionKind::SanitiseRequestHeader(v) => ("sanitiseRequestHeader", Some(v.clone())),
            ActionKind::SanitiseResponseHeader(v) => ("sanitiseResponseHeader", Some(v.clone())),
            ActionKind::Exec(v) => ("exec", Some(v.clone())),
            ActionKind::Append(m) => ("append", Some(m.raw.clone())),
            ActionKind::Prepend(m) => ("prepend", Some(m.raw.clone())),
            ActionKind::DeprecateVar(v) => ("deprecatevar", Some(v.clone())),
        };
        match value {
            Some(v) => write!(f, "{name}:{}", action_value(&v)),
            None => f.write_str(name),
        }
    }
}

fn actions(list: &[Action]) -> String {
    let items: Vec<String> = list.iter().map(|a| a.kind.to_string()).collect();
    quoted(&items.join(","))
}

fn operator(op: &Operator) -> String {
    let mut out = String::new();
    if op.negated {
        out.push('!');
    }
    if op.explicit {
        out.push('@');
        out.push_str(&op.name);
        if !op.argument.raw.is_empty() {
            out.push(' ');
        }
    }
    out.push_str(&op.argument.raw);
    quoted(&out)
}

fn selector(s: &RuleSelector) -> String {
    match s {
        RuleSelector::Ids(r) => ids(r),
        RuleSelector::Tag(t) | RuleSelector::Msg(t) => word(t),
    }
}

impl Display for Setting {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Setting::RuleEngine(m) => write!(f, "SecRuleEngine {m}"),
            Setting::RequestBodyAccess(b) => write!(f, "SecRequestBodyAccess {}", on_off(*b)),
            Setting::RequestBodyLimit(n) => write!(f, "SecRequestBodyLimit {n}"),
            Setting::RequestBodyNoFilesLimit(n) => write!(f, "SecRequestBodyNoFilesLimit {n}"),
            Setting::RequestBodyInMemoryLimit(n) => write!(f, "SecRequestBodyInMemoryLimit {n}"),
            Setting::RequestBodyLimitAction(a) => write!(f, "SecRequestBodyLimitAction {a}"),
            Setting::RequestBodyJsonDepthLimit(n) => write!(f, "SecRequestBodyJsonDepthLimit {n}"),
            Setting::ResponseBodyAccess(b) => write!(f, "SecResponseBodyAccess {}", on_off(*b)),
            Setting::ResponseBodyLimit(n) => write!(f, "SecResponseBodyLimit {n}"),
            Setting::ResponseBodyLimitAction(a) => write!(f, "SecResponseBodyLimitAction {a}"),
            Setting::ResponseBodyMimeType(types) => {
                let words: Vec<String> = types.iter().map(|t| word(t)).collect();
                write!(f, "SecResponseBodyMimeType {}", words.join(" "))
            }
            Setting::ResponseBodyMimeTypesClear => f.write_str("SecResponseBodyMimeTypesClear"),
            Setting::ArgumentSeparator(s) => write!(f, "SecArgumentSeparator {}", word(s)),
            Setting::ArgumentsLimit(n) => write!(f, "SecArgumentsLimit {n}"),
            Setting::CookieFormat(n) => write!(f, "SecCookieFormat {n}"),
            Setting::PcreMatchLimit(n) => write!(f, "SecPcreMatchLimit {n}"),
            Setting::PcreMatchLimitRecursion(n) => write!(f, "SecPcreMatchLimitRecursion {n}"),
            Setting::AuditEngine(m) => write!(f, "SecAuditEngine {m}"),
            Setting::AuditLogParts(p) => write!(f, "SecAuditLogParts {}", word(p)),
            Setting::AuditLogRelevantStatus(s) => {
                write!(f, "SecAuditLogRelevantStatus {}", quoted(s))
            }
            Setting::AuditLogFormat(s) => write!(f, "SecAuditLogFormat {}", word(s)),
            Setting::CollectionTimeout(n) => write!(f, "SecCollectionTimeout {n}"),
            Setting::ComponentSignature(s) => write!(f, "SecComponentSignature {}", quoted(s)),
            Setting::WebAppId(s) => write!(f, "SecWebAppId {}", word(s)),
            Setting::UploadFileLimit(n) => write!(f, "SecUploadFileLimit {n}"),
            Setting::XmlExternalEntity(b) => write!(f, "SecXmlExternalEntity {}", on_off(*b)),
            Setting::Inert { directive, args } => {
                f.write_str(directive)?;
                for a in args {
                    write!(f, " {}", word(a))?;
                }
                Ok(())
            }
        }
    }
}

impl Display for Directive {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Directive::Rule(rule) => {
                write!(
                    f,
                    "SecRule {} {}",
                    word(&variables(&rule.variables)),
                    operator(&rule.operator)
                )?;
                if !rule.actions.is_empty() {
                    write!(f, " {}", actions(&rule.actions))?;
                }
                Ok(())
            }
            Directive::Action(list) => write!(f, "SecAction {}", actions(list)),
            Directive::Marker(m) => write!(f, "SecMarker {}", word(m)),
            Directive::DefaultAction(list) => write!(f, "SecDefaultAction {}", actions(list)),
            Directive::RemoveRules(s) => {
                let name = match s {
                    RuleSelector::Ids(_) => "SecRuleRemoveById",
                    RuleSelector::Tag(_) => "SecRuleRemoveByTag",
                    RuleSelector::Msg(_) => "SecRuleRemoveByMsg",
                };
                write!(f, "{name} {}", selector(s))
            }
            Directive::UpdateTarget {
                selector: s,
                targets,
                replaced,
            } => {
                let name = match s {
                    RuleSelector::Ids(_) => "SecRuleUpdateTargetById",
                    RuleSelector::Tag(_) => "SecRuleUpdateTargetByTag",
                    RuleSelector::Msg(_) => "SecRuleUpdateTargetByMsg",
                };
                write!(f, "{name} {} {}", selector(s), quoted(&variables(targets)))?;
                if let Some(r) = replaced {
                    write!(f, " {}", quoted(&variables(r)))?;
                }
                Ok(())
            }
            Directive::UpdateAction {
                id,
                chain_offset,
                actions: list,
            } => {
                write!(f, "SecRuleUpdateActionById {id}")?;
                if let Some(o) = chain_offset {
                    write!(f, ":{o}")?;
                }
                write!(f, " {}", actions(list))
            }
            Directive::Setting(s) => s.fmt(f),
        }
    }
}
