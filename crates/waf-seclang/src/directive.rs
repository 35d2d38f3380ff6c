//! One logical line → one directive. Directive names are matched case-insensitively, as
//! Apache and ModSecurity do.

use crate::actions::{audit_engine_mode, engine_mode, parse_actions, parse_id_ranges};
use crate::ast::{Directive, LimitAction, Rule, RuleSelector, Setting};
use crate::lines::Word;
use crate::operator::parse_operator;
use crate::span::Span;
use crate::variables::{SyntaxError, parse_variables};

/// What a line turned out to be.
pub enum Parsed {
    Directive(Directive),
    /// `Include` / `IncludeOptional`: resolved by the caller through the loader.
    Include {
        pattern: String,
        optional: bool,
    },
}

/// How a configuration directive's arguments are read.
#[derive(Clone, Copy)]
enum Arg {
    Bool(fn(bool) -> Setting),
    Number(fn(u64) -> Setting),
    Text(fn(String) -> Setting),
    Limit(fn(LimitAction) -> Setting),
    /// Accepted for compatibility, does nothing in a sans-I/O engine; warned about.
    Inert,
}

/// The configuration directives we know, besides the rule directives.
const SETTINGS: &[(&str, Arg)] = &[
    (
        "SecRequestBodyAccess",
        Arg::Bool(Setting::RequestBodyAccess),
    ),
    (
        "SecRequestBodyLimit",
        Arg::Number(Setting::RequestBodyLimit),
    ),
    (
        "SecRequestBodyNoFilesLimit",
        Arg::Number(Setting::RequestBodyNoFilesLimit),
    ),
    (
        "SecRequestBodyInMemoryLimit",
        Arg::Number(Setting::RequestBodyInMemoryLimit),
    ),
    (
        "SecRequestBodyLimitAction",
        Arg::Limit(Setting::RequestBodyLimitAction),
    ),
    (
        "SecRequestBodyJsonDepthLimit",
        Arg::Number(Setting::RequestBodyJsonDepthLimit),
    ),
    (
        "SecResponseBodyAccess",
        Arg::Bool(Setting::ResponseBodyAccess),
    ),
    (
        "SecResponseBodyLimit",
        Arg::Number(Setting::ResponseBodyLimit),
    ),
    (
        "SecResponseBodyLimitAction",
        Arg::Limit(Setting::ResponseBodyLimitAction),
    ),
    (
        "SecArgumentSeparator",
        Arg::Text(Setting::ArgumentSeparator),
    ),
    ("SecArgumentsLimit", Arg::Number(Setting::ArgumentsLimit)),
    (
        "SecCookieFormat",
        Arg::Number(|n| Setting::CookieFormat(n.min(u32::MAX as u64) as u32)),
    ),
    ("SecPcreMatchLimit", Arg::Number(Setting::PcreMatchLimit)),
    (
        "SecPcreMatchLimitRecursion",
        Arg::Number(Setting::PcreMatchLimitRecursion),
    ),
    ("SecAuditLogParts", Arg::Text(Setting::AuditLogParts)),
    (
        "SecAuditLogRelevantStatus",
        Arg::Text(Setting::AuditLogRelevantStatus),
    ),
    ("SecAuditLogFormat", Arg::Text(Setting::AuditLogFormat)),
    (
        "SecCollectionTimeout",
        Arg::Number(Setting::CollectionTimeout),
    ),
    (
        "SecComponentSignature",
        Arg::Text(Setting::ComponentSignature),
    ),
    ("SecWebAppId", Arg::Text(Setting::WebAppId)),
    ("SecUploadFileLimit", Arg::Number(Setting::UploadFileLimit)),
    (
        "SecXmlExternalEntity",
        Arg::Bool(Setting::XmlExternalEntity),
    ),
    ("SecAuditLog", Arg::Inert),
    ("SecAuditLog2", Arg::Inert),
    ("SecAuditLogDirMode", Arg::Inert),
    ("SecAuditLogFileMode", Arg::Inert),
    ("SecAuditLogStorageDir", Arg::Inert),
    ("SecAuditLogType", Arg::Inert),
    ("SecConnEngine", Arg::Inert),
    ("SecContentInjection", Arg::Inert),
    ("SecCookieV0Separator", Arg::Inert),
    ("SecDataDir", Arg::Inert),
    ("SecDebugLog", Arg::Inert),
    ("SecDebugLogLevel", Arg::Inert),
    ("SecDisableBackendCompression", Arg::Inert),
    ("SecGeoLookupDb", Arg::Inert),
    ("SecGsbLookupDb", Arg::Inert),
    ("SecGuardianLog", Arg::Inert),
    ("SecHashEngine", Arg::Inert),
    ("SecHashKey", Arg::Inert),
    ("SecHashMethodPm", Arg::Inert),
    ("SecHashMethodRx", Arg::Inert),
    ("SecHashParam", Arg::Inert),
    ("SecHttpBlKey", Arg::Inert),
    ("SecInterceptOnError", Arg::Inert),
    ("SecParseXmlIntoArgs", Arg::Inert),
    ("SecRuleInheritance", Arg::Inert),
    ("SecRulePerfTime", Arg::Inert),
    ("SecSensorId", Arg::Inert),
    ("SecServerSignature", Arg::Inert),
    ("SecStatusEngine", Arg::Inert),
    ("SecStreamInBodyInspection", Arg::Inert),
    ("SecStreamOutBodyInspection", Arg::Inert),
    ("SecTmpDir", Arg::Inert),
    ("SecTmpSaveUploadedFiles", Arg::Inert),
    ("SecUnicodeCodePage", Arg::Inert),
    ("SecUnicodeMapFile", Arg::Inert),
    ("SecUploadDir", Arg::Inert),
    ("SecUploadFileMode", Arg::Inert),
    ("SecUploadKeepFiles", Arg::Inert),
];

/// Directives we recognise and refuse, because loading them silently would leave the
/// operator believing they are protected by something that does not run.
const REFUSED: &[(&str, &str)] = &[
    ("SecRuleScript", "Lua rule scripts are not supported"),
    (
        "SecRemoteRules",
        "remote rule downloads are not supported; fetch the rules and Include them",
    ),
    (
        "SecRemoteRulesFailAction",
        "remote rule downloads are not supported",
    ),
];

/// The canonical spelling of an inert directive, for warnings and printing.
pub fn inert_directive_name(name: &str) -> Option<&'static str> {
    SETTINGS
        .iter()
        .find(|(n, arg)| matches!(arg, Arg::Inert) && n.eq_ignore_ascii_case(name))
        .map(|(n, _)| *n)
}

pub fn parse_line(words: &[Word], span_at: &dyn Fn(usize) -> Span) -> Result<Parsed, SyntaxError> {
    let Some((head, args)) = words.split_first() else {
        return Err(SyntaxError::new(0, "empty directive"));
    };
    let name = head.text.as_str();
    let lower = name.to_ascii_lowercase();
    let end = words.last().map_or(0, |w| w.offset + w.text.len());
    let arg_count = |min: usize, max: usize, usage: &str| -> Result<(), SyntaxError> {
        if args.len() < min || args.len() > max {
            let at = args.get(max).map_or(end, |w| w.offset);
            return Err(SyntaxError::new(at, format!("{name} expects {usage}")));
        }
        Ok(())
    };
    // Offsets inside a word are relative to its text; shift them to the line.
    let within = |word: &Word, e: SyntaxError| SyntaxError::new(word.offset + e.offset, e.message);
    let sub_span = |word: &Word| {
        let base = word.offset;
        move |o: usize| span_at(base + o)
    };

    let directive = match lower.as_str() {
        "secrule" => {
            arg_count(2, 3, "VARIABLES \"OPERATOR\" [\"ACTIONS\"]")?;
            let variables = parse_variables(&args[0].text, &sub_span(&args[0]))
                .map_err(|e| within(&args[0], e))?;
            let operator = parse_operator(&args[1].text, &sub_span(&args[1]))
                .map_err(|e| within(&args[1], e))?;
            let actions = match args.get(2) {
                Some(w) => parse_actions(&w.text, &sub_span(w)).map_err(|e| within(w, e))?,
                None => Vec::new(),
            };
            Directive::Rule(Rule {
                variables,
                operator,
                actions,
            })
        }
        "secaction" => {
            arg_count(1, 1, "one \"ACTIONS\" argument")?;
            Directive::Action(
                parse_actions(&args[0].text, &sub_span(&args[0]))
                    .map_err(|e| within(&args[0], e))?,
            )
        }
        "secdefaultaction" => {
            arg_count(1, 1, "one \"ACTIONS\" argument")?;
            Directive::DefaultAction(
                parse_actions(&args[0].text, &sub_span(&args[0]))
                    .map_err(|e| within(&args[0], e))?,
            )
        }
        "secmarker" => {
            arg_count(1, 1, "one marker name")?;
            Directive::Marker(args[0].text.clone())
        }
        "secruleremovebyid" => {
            arg_count(1, usize::MAX, "rule ids or ranges")?;
            let joined: Vec<&str> = args.iter().map(|w| w.text.as_str()).collect();
            let ids = parse_id_ranges(&joined.join(" "))
                .map_err(|m| SyntaxError::new(args[0].offset, m))?;
            Directive::RemoveRules(RuleSelector::Ids(ids))
        }
        "secruleremovebytag" => {
            arg_count(1, 1, "one tag")?;
            Directive::RemoveRules(RuleSelector::Tag(args[0].text.clone()))
        }
        "secruleremovebymsg" => {
            arg_count(1, 1, "one message")?;
            Directive::RemoveRules(RuleSelector::Msg(args[0].text.clone()))
        }
        "secruleupdatetargetbyid" | "secruleupdatetargetbytag" | "secruleupdatetargetbymsg" => {
            arg_count(2, 3, "SELECTOR TARGETS [REPLACED_TARGET]")?;
            let selector = match lower.as_str() {
                "secruleupdatetargetbyid" => RuleSelector::Ids(
                    parse_id_ranges(&args[0].text)
                        .map_err(|m| SyntaxError::new(args[0].offset, m))?,
                ),
                "secruleupdatetargetbytag" => RuleSelector::Tag(args[0].text.clone()),
                _ => RuleSelector::Msg(args[0].text.clone()),
            };
            let targets = parse_variables(&args[1].text, &sub_span(&args[1]))
                .map_err(|e| within(&args[1], e))?;
            let replaced = match args.get(2) {
                Some(w) => Some(parse_variables(&w.text, &sub_span(w)).map_err(|e| within(w, e))?),
                None => None,
            };
            Directive::UpdateTarget {
                selector,
                targets,
                replaced,
            }
        }
        "secruleupdateactionbyid" => {
            arg_count(2, 2, "ID[:CHAIN_OFFSET] \"ACTIONS\"")?;
            let (id_text, offset_text) = match args[0].text.split_once(':') {
                Some((i, o)) => (i, Some(o)),
                None => (args[0].text.as_str(), None),
            };
            let bad = || {
                SyntaxError::new(
                    args[0].offset,
                    format!(
                        "expected a rule id such as 942100 or 942100:2, found `{}`",
                        args[0].text
                    ),
                )
            };
            let id = id_text.parse().map_err(|_| bad())?;
            let chain_offset = offset_text.map(str::parse).transpose().map_err(|_| bad())?;
            let actions = parse_actions(&args[1].text, &sub_span(&args[1]))
                .map_err(|e| within(&args[1], e))?;
            Directive::UpdateAction {
                id,
                chain_offset,
                actions,
            }
        }
        "include" | "includeoptional" => {
            arg_count(1, 1, "one path")?;
            return Ok(Parsed::Include {
                pattern: args[0].text.clone(),
                optional: lower == "includeoptional",
            });
        }
        "secruleengine" => {
            arg_count(1, 1, "On, Off or DetectionOnly")?;
            Directive::Setting(Setting::RuleEngine(
                engine_mode(&args[0].text).map_err(|m| SyntaxError::new(args[0].offset, m))?,
            ))
        }
        "secauditengine" => {
            arg_count(1, 1, "On, Off or RelevantOnly")?;
            Directive::Setting(Setting::AuditEngine(
                audit_engine_mode(&args[0].text)
                    .map_err(|m| SyntaxError::new(args[0].offset, m))?,
            ))
        }
        "secresponsebodymimetype" => {
            arg_count(1, usize::MAX, "one or more MIME types")?;
            Directive::Setting(Setting::ResponseBodyMimeType(
                args.iter().map(|w| w.text.clone()).collect(),
            ))
        }
        "secresponsebodymimetypesclear" => {
            arg_count(0, 0, "no arguments")?;
            Directive::Setting(Setting::ResponseBodyMimeTypesClear)
        }
        _ => {
            if let Some((_, why)) = REFUSED.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                return Err(SyntaxError::new(0, format!("{name}: {why}")));
            }
            let Some((canonical, arg)) =
                SETTINGS.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))
            else {
                return Err(SyntaxError::new(0, format!("unknown directive `{name}`")));
            };
            let setting = match *arg {
                Arg::Inert => Setting::Inert {
                    directive: (*canonical).to_string(),
                    args: args.iter().map(|w| w.text.clone()).collect(),
                },
                Arg::Bool(make) => {
                    arg_count(1, 1, "On or Off")?;
                    let v = &args[0].text;
                    let b = if v.eq_ignore_ascii_case("on") {
                        true
                    } else if v.eq_ignore_ascii_case("off") {
                        false
                    } else {
                        return Err(SyntaxError::new(
                            args[0].offset,
                            format!("{canonical} expects On or Off, found `{v}`"),
                        ));
                    };
                    make(b)
                }
                Arg::Number(make) => {
                    arg_count(1, 1, "a number")?;
                    let n = args[0].text.parse().map_err(|_| {
                        SyntaxError::new(
                            args[0].offset,
                            format!("{canonical} expects a number, found `{}`", args[0].text),
                        )
                    })?;
                    make(n)
                }
                Arg::Text(make) => {
                    arg_count(1, 1, "one argument")?;
                    make(args[0].text.clone())
                }
                Arg::Limit(make) => {
                    arg_count(1, 1, "Reject or ProcessPartial")?;
                    let v = &args[0].text;
                    let action = if v.eq_ignore_ascii_case("reject") {
                        LimitAction::Reject
                    } else if v.eq_ignore_ascii_case("processpartial") {
                        LimitAction::ProcessPartial
                    } else {
                        return Err(SyntaxError::new(
                            args[0].offset,
                            format!("{canonical} expects Reject or ProcessPartial, found `{v}`"),
                        ));
                    };
                    make(action)
                }
            };
            Directive::Setting(setting)
        }
    };
    Ok(Parsed::Directive(directive))
}
