//! Action lists: `id:1,phase:2,t:none,t:lowercase,msg:'a, b',setvar:'tx.x=+%{tx.y}',chain`.
//!
//! Every action is parsed into its typed [`ActionKind`] here, once, so the engine never
//! interprets raw action text while requests are running.

use nom::{
    IResult, Parser,
    branch::alt,
    bytes::complete::{tag, take_while1},
    character::complete::{char, digit1},
    combinator::{all_consuming, map_res, opt},
    sequence::preceded,
};

use crate::ast::{
    Action, ActionKind, AllowScope, AuditEngineMode, Ctl, EngineMode, IdRange, Phase, SetVar,
    SetVarOp, Severity,
};
use crate::macros::parse_macros;
use crate::span::Span;
use crate::variables::{SyntaxError, parse_variables};

/// Transformation names of ModSecurity v3 (canonical spelling); `t:` accepts them
/// case-insensitively.
pub const TRANSFORMATION_NAMES: &[&str] = &[
    "base64Decode",
    "base64DecodeExt",
    "base64Encode",
    "cmdLine",
    "compressWhitespace",
    "cssDecode",
    "escapeSeqDecode",
    "hexDecode",
    "hexEncode",
    "htmlEntityDecode",
    "jsDecode",
    "length",
    "lowercase",
    "md5",
    "none",
    "normalisePath",
    "normalizePath",
    "normalisePathWin",
    "normalizePathWin",
    "parityEven7bit",
    "parityOdd7bit",
    "parityZero7bit",
    "removeComments",
    "removeCommentsChar",
    "removeNulls",
    "removeWhitespace",
    "replaceComments",
    "replaceNulls",
    "sha1",
    "sqlHexDecode",
    "trim",
    "trimLeft",
    "trimRight",
    "uppercase",
    "urlDecode",
    "urlDecodeUni",
    "urlEncode",
    "utf8toUnicode",
];

/// One `name[:value]` item before interpretation, with its offset in the list text.
struct RawAction {
    name: String,
    value: Option<String>,
    offset: usize,
}

/// Splits an action list on commas outside single quotes, unquoting `'...'` values.
fn split_actions(text: &str) -> Result<Vec<RawAction>, SyntaxError> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    loop {
        // Empty items (`a,,b`, a trailing comma) are tolerated, as ModSecurity does.
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b',') {
            i += 1;
        }
        if i >= bytes.len() {
            return Ok(out);
        }
        let start = i;
        while i < bytes.len() && !matches!(bytes[i], b':' | b',') && !bytes[i].is_ascii_whitespace()
        {
            i += 1;
        }
        let name = text[start..i].to_string();
        // Allow spaces between the name and a colon (`phase: 2` is seen in the wild).
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        let value = if bytes.get(j) == Some(&b':') {
            i = j + 1;
            while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
                i += 1;
            }
            if bytes.get(i) == Some(&b'\'') {
                let mut value = String::new();
                let mut k = i + 1;
                let mut closed = false;
                while k < bytes.len() {
                    match bytes[k] {
                        b'\\' if bytes.get(k + 1) == Some(&b'\'') => {
                            value.push('\'');
                            k += 2;
                        }
                        b'\'' => {
                            closed = true;
                            break;
                        }
                        _ => {
                            let end = next_char_end(text, k);
                            value.push_str(&text[k..end]);
                            k = end;
                        }
                    }
                }
                if !closed {
                    return Err(SyntaxError::new(
                        i,
                        format!(
                            "unterminated quoted value of action `{name}`: expected a closing `'`"
                        ),
                    ));
                }
                i = k + 1;
                Some(value)
            } else {
                let value_start = i;
                while i < bytes.len() && bytes[i] != b',' {
                    i += 1;
                }
                Some(text[value_start..i].trim_end().to_string())
            }
        } else {
            i = j;
            None
        };
        out.push(RawAction {
            name,
            value,
            offset: start,
        });
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i) {
            None => return Ok(out),
            Some(b',') => i += 1,
            Some(_) => {
                return Err(SyntaxError::new(i, "expected `,` between actions"));
            }
        }
    }
}

fn next_char_end(text: &str, at: usize) -> usize {
    let mut end = at + 1;
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    end
}

/// Parses a whole action list.
pub fn parse_actions(
    text: &str,
    span_at: &dyn Fn(usize) -> Span,
) -> Result<Vec<Action>, SyntaxError> {
    split_actions(text)?
        .into_iter()
        .map(|raw| {
            let kind = interpret(&raw.name, raw.value.as_deref(), &|o| {
                span_at(raw.offset + o)
            })
            .map_err(|message| SyntaxError::new(raw.offset, message))?;
            Ok(Action {
                kind,
                span: span_at(raw.offset),
            })
        })
        .collect()
}

fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("action `{name}` expects a number, found `{value}`"))
}

fn boolean(name: &str, value: &str) -> Result<bool, String> {
    match value.trim() {
        v if v.eq_ignore_ascii_case("on") => Ok(true),
        v if v.eq_ignore_ascii_case("off") => Ok(false),
        other => Err(format!("`{name}` expects On or Off, found `{other}`")),
    }
}

pub(crate) fn engine_mode(value: &str) -> Result<EngineMode, String> {
    match value.trim() {
        v if v.eq_ignore_ascii_case("on") => Ok(EngineMode::On),
        v if v.eq_ignore_ascii_case("off") => Ok(EngineMode::Off),
        v if v.eq_ignore_ascii_case("detectiononly") => Ok(EngineMode::DetectionOnly),
        other => Err(format!(
            "expected On, Off or DetectionOnly, found `{other}`"
        )),
    }
}

pub(crate) fn audit_engine_mode(value: &str) -> Result<AuditEngineMode, String> {
    match value.trim() {
        v if v.eq_ignore_ascii_case("on") => Ok(AuditEngineMode::On),
        v if v.eq_ignore_ascii_case("off") => Ok(AuditEngineMode::Off),
        v if v.eq_ignore_ascii_case("relevantonly") => Ok(AuditEngineMode::RelevantOnly),
        other => Err(format!("expected On, Off or RelevantOnly, found `{other}`")),
    }
}

fn id_range(input: &str) -> IResult<&str, IdRange> {
    let num = || map_res(digit1, str::parse::<u64>);
    let (rest, (first, last)) = (num(), opt(preceded(char('-'), num()))).parse(input)?;
    Ok((
        rest,
        IdRange {
            first,
            last: last.unwrap_or(first),
        },
    ))
}

/// `942100`, `900000-900999`, several separated by spaces or commas.
pub(crate) fn parse_id_ranges(text: &str) -> Result<Vec<IdRange>, String> {
    let mut out = Vec::new();
    for item in text.split(|c: char| c == ',' || c.is_ascii_whitespace()) {
        if item.is_empty() {
            continue;
        }
        let parsed: IResult<&str, IdRange> = all_consuming(id_range).parse(item);
        match parsed {
            Ok((_, range)) if range.first <= range.last => out.push(range),
            Ok(_) => return Err(format!("id range `{item}` ends before it starts")),
            Err(_) => {
                return Err(format!(
                    "expected a rule id or range such as 900000-900999, found `{item}`"
                ));
            }
        }
    }
    if out.is_empty() {
        return Err("expected at least one rule id".into());
    }
    Ok(out)
}

fn collection_and_key(input: &str) -> IResult<&str, (&str, &str)> {
    let (rest, collection) =
        take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_').parse(input)?;
    let (rest, _) = char('.').parse(rest)?;
    Ok(("", (collection, rest)))
}

fn split_collection(name: &str, target: &str) -> Result<(String, String), String> {
    match collection_and_key(target.trim()) {
        Ok((_, (collection, key))) if !key.is_empty() => {
            Ok((collection.to_ascii_uppercase(), key.to_string()))
        }
        _ => Err(format!(
            "`{name}` expects COLLECTION.key such as tx.score, found `{target}`"
        )),
    }
}

fn parse_setvar(value: &str) -> Result<SetVar, String> {
    let value = value.trim();
    if let Some(target) = value.strip_prefix('!') {
        let (collection, key) = split_collection("setvar", target)?;
        return Ok(SetVar {
            collection,
            key: parse_macros(&key),
            op: SetVarOp::Delete,
        });
    }
    let (target, assignment) = match value.split_once('=') {
        Some((t, a)) => (t, Some(a)),
        None => (value, None),
    };
    let (collection, key) = split_collection("setvar", target)?;
    let op = match assignment {
        None => SetVarOp::Create,
        Some(a) => match (a.strip_prefix('+'), a.strip_prefix('-')) {
            (Some(v), _) => SetVarOp::Add(parse_macros(v)),
            (_, Some(v)) => SetVarOp::Sub(parse_macros(v)),
            _ => SetVarOp::Set(parse_macros(a)),
        },
    };
    Ok(SetVar {
        collection,
        key: parse_macros(&key),
        op,
    })
}

fn parse_ctl(value: &str, span_at: &dyn Fn(usize) -> Span) -> Result<Ctl, String> {
    let (option, argument) = value
        .split_once('=')
        .ok_or_else(|| format!("`ctl` expects OPTION=VALUE, found `{value}`"))?;
    let option = option.trim();
    let argument_offset = option.len() + 1;
    // `ruleRemoveTarget*` take `WHICH;TARGETS`.
    let targets = |argument: &str| -> Result<(String, Vec<crate::ast::Variable>), String> {
        let (which, targets) = argument
            .split_once(';')
            .ok_or_else(|| format!("`ctl:{option}` expects WHICH;TARGETS, found `{argument}`"))?;
        let targets_offset = argument_offset + which.len() + 1;
        let vars = parse_variables(targets, &|o| span_at(targets_offset + o))
            .map_err(|e| format!("in `ctl:{option}` targets: {}", e.message))?;
        Ok((which.to_string(), vars))
    };
    let ctl = match option.to_ascii_lowercase().as_str() {
        "ruleengine" => Ctl::RuleEngine(engine_mode(argument)?),
        "ruleremovebyid" => Ctl::RuleRemoveById(parse_id_ranges(argument)?),
        "ruleremovebytag" => Ctl::RuleRemoveByTag(argument.to_string()),
        "ruleremovebymsg" => Ctl::RuleRemoveByMsg(argument.to_string()),
        "ruleremovetargetbyid" => {
            let (which, vars) = targets(argument)?;
            Ctl::RuleRemoveTargetById(parse_id_ranges(&which)?, vars)
        }
        "ruleremovetargetbytag" => {
            let (which, vars) = targets(argument)?;
            Ctl::RuleRemoveTargetByTag(which, vars)
        }
        "ruleremovetargetbymsg" => {
            let (which, vars) = targets(argument)?;
            Ctl::RuleRemoveTargetByMsg(which, vars)
        }
        "requestbodyaccess" => Ctl::RequestBodyAccess(boolean("ctl:requestBodyAccess", argument)?),
        "requestbodyprocessor" => Ctl::RequestBodyProcessor(argument.trim().to_string()),
        "requestbodylimit" => Ctl::RequestBodyLimit(number("ctl:requestBodyLimit", argument)?),
        "responsebodyaccess" => {
            Ctl::ResponseBodyAccess(boolean("ctl:responseBodyAccess", argument)?)
        }
        "responsebodylimit" => Ctl::ResponseBodyLimit(number("ctl:responseBodyLimit", argument)?),
        "forcerequestbodyvariable" => {
            Ctl::ForceRequestBodyVariable(boolean("ctl:forceRequestBodyVariable", argument)?)
        }
        "auditengine" => Ctl::AuditEngine(audit_engine_mode(argument)?),
        "auditlogparts" => Ctl::AuditLogParts(argument.trim().to_string()),
        "parsexmlintoargs" => Ctl::ParseXmlIntoArgs(argument.trim().to_string()),
        "hashengine" => Ctl::HashEngine(argument.trim().to_string()),
        "debugloglevel" => Ctl::DebugLogLevel(number("ctl:debugLogLevel", argument)?),
        _ => return Err(format!("unknown `ctl` option `{option}`")),
    };
    Ok(ctl)
}

fn phase(value: &str) -> Result<Phase, String> {
    let phase = match value.trim() {
        v if v.eq_ignore_ascii_case("request") => 2,
        v if v.eq_ignore_ascii_case("response") => 4,
        v if v.eq_ignore_ascii_case("logging") => 5,
        v => v.parse().unwrap_or(0),
    };
    if (1..=5).contains(&phase) {
        Ok(Phase(phase))
    } else {
        Err(format!(
            "`phase` expects 1-5, request, response or logging, found `{value}`"
        ))
    }
}

fn severity(value: &str) -> Result<Severity, String> {
    let value = value.trim();
    if let Ok(n) = value.parse::<usize>()
        && let Some(s) = Severity::ALL.get(n)
    {
        return Ok(*s);
    }
    Severity::ALL
        .iter()
        .copied()
        .find(|s| s.name().eq_ignore_ascii_case(value))
        .ok_or_else(|| {
            format!("`severity` expects 0-7 or a name such as CRITICAL, found `{value}`")
        })
}

fn allow(value: Option<&str>) -> Result<AllowScope, String> {
    let parsed: IResult<&str, &str> =
        all_consuming(alt((tag("phase"), tag("request")))).parse(value.unwrap_or("").trim());
    match (value, parsed) {
        (None, _) => Ok(AllowScope::All),
        (Some(_), Ok((_, "phase"))) => Ok(AllowScope::Phase),
        (Some(_), Ok(_)) => Ok(AllowScope::Request),
        (Some(v), Err(_)) => Err(format!(
            "`allow` expects nothing, phase or request, found `{v}`"
        )),
    }
}

fn interpret(
    name: &str,
    value: Option<&str>,
    span_at: &dyn Fn(usize) -> Span,
) -> Result<ActionKind, String> {
    let lower = name.to_ascii_lowercase();
    let needs = |v: Option<&str>| -> Result<String, String> {
        v.map(str::to_string)
            .ok_or_else(|| format!("action `{name}` needs a value (`{name}:VALUE`)"))
    };
    let flag = |kind: ActionKind| -> Result<ActionKind, String> {
        match value {
            None => Ok(kind),
            Some(v) => Err(format!("action `{name}` takes no value, found `{v}`")),
        }
    };
    let kind = match lower.as_str() {
        "id" => {
            let id: u64 = number(name, &needs(value)?)?;
            if id == 0 {
                return Err("rule id 0 is not allowed".into());
            }
            ActionKind::Id(id)
        }
        "phase" => ActionKind::Phase(phase(&needs(value)?)?),
        "msg" => ActionKind::Msg(parse_macros(&needs(value)?)),
        "logdata" => ActionKind::LogData(parse_macros(&needs(value)?)),
        "severity" => ActionKind::Severity(severity(&needs(value)?)?),
        "tag" => ActionKind::Tag(parse_macros(&needs(value)?)),
        "rev" => ActionKind::Rev(needs(value)?),
        "ver" => ActionKind::Ver(needs(value)?),
        "maturity" => ActionKind::Maturity(number(name, &needs(value)?)?),
        "accuracy" => ActionKind::Accuracy(number(name, &needs(value)?)?),
        "allow" => ActionKind::Allow(allow(value)?),
        "block" => flag(ActionKind::Block)?,
        "deny" => flag(ActionKind::Deny)?,
        "drop" => flag(ActionKind::Drop)?,
        "pass" => flag(ActionKind::Pass)?,
        "pause" => ActionKind::Pause(number(name, &needs(value)?)?),
        "proxy" => ActionKind::Proxy(parse_macros(&needs(value)?)),
        "redirect" => ActionKind::Redirect(parse_macros(&needs(value)?)),
        "chain" => flag(ActionKind::Chain)?,
        "skip" => {
            let n: u32 = number(name, &needs(value)?)?;
            if n == 0 {
                return Err("`skip` expects a positive number of rules".into());
            }
            ActionKind::Skip(n)
        }
        "skipafter" => ActionKind::SkipAfter(needs(value)?),
        "status" => {
            let status: u16 = number(name, &needs(value)?)?;
            if !(100..=999).contains(&status) {
                return Err(format!(
                    "`status` expects an HTTP status 100-999, found {status}"
                ));
            }
            ActionKind::Status(status)
        }
        "xmlns" => ActionKind::XmlNs(needs(value)?),
        "t" => {
            let t = needs(value)?;
            let t = t.trim();
            if !TRANSFORMATION_NAMES
                .iter()
                .any(|n| n.eq_ignore_ascii_case(t))
            {
                return Err(format!("unknown transformation `t:{t}`"));
            }
            ActionKind::Transformation(t.to_string())
        }
        "setvar" => ActionKind::SetVar(parse_setvar(&needs(value)?)?),
        "expirevar" => {
            let v = needs(value)?;
            let (target, seconds) = v.split_once('=').ok_or_else(|| {
                format!("`expirevar` expects COLLECTION.key=SECONDS, found `{v}`")
            })?;
            let (collection, key) = split_collection("expirevar", target)?;
            ActionKind::ExpireVar {
                collection,
                key: parse_macros(&key),
                seconds: parse_macros(seconds),
            }
        }
        "initcol" => {
            let v = needs(value)?;
            let (collection, key) = v
                .split_once('=')
                .ok_or_else(|| format!("`initcol` expects COLLECTION=KEY, found `{v}`"))?;
            ActionKind::InitCol {
                collection: collection.trim().to_ascii_uppercase(),
                key: parse_macros(key),
            }
        }
        "setuid" => ActionKind::SetUid(parse_macros(&needs(value)?)),
        "setsid" => ActionKind::SetSid(parse_macros(&needs(value)?)),
        "setrsc" => ActionKind::SetRsc(parse_macros(&needs(value)?)),
        "setenv" => {
            let v = needs(value)?;
            let (n, val) = match v.split_once('=') {
                Some((n, val)) => (n, Some(parse_macros(val))),
                None => (v.as_str(), None),
            };
            ActionKind::SetEnv {
                name: parse_macros(n),
                value: val,
            }
        }
        "ctl" => {
            let v = needs(value)?;
            ActionKind::Ctl(parse_ctl(&v, &|o| span_at(name.len() + 1 + o))?)
        }
        "capture" => flag(ActionKind::Capture)?,
        "multimatch" => flag(ActionKind::MultiMatch)?,
        "log" => flag(ActionKind::Log)?,
        "nolog" => flag(ActionKind::NoLog)?,
        "auditlog" => flag(ActionKind::AuditLog)?,
        "noauditlog" => flag(ActionKind::NoAuditLog)?,
        "sanitisearg" | "sanitizearg" => ActionKind::SanitiseArg(needs(value)?),
        "sanitisematched" | "sanitizematched" => flag(ActionKind::SanitiseMatched)?,
        "sanitisematchedbytes" | "sanitizematchedbytes" => {
            ActionKind::SanitiseMatchedBytes(value.map(str::to_string))
        }
        "sanitiserequestheader" | "sanitizerequestheader" => {
            ActionKind::SanitiseRequestHeader(needs(value)?)
        }
        "sanitiseresponseheader" | "sanitizeresponseheader" => {
            ActionKind::SanitiseResponseHeader(needs(value)?)
        }
        "exec" => ActionKind::Exec(needs(value)?),
        "append" => ActionKind::Append(parse_macros(&needs(value)?)),
        "prepend" => ActionKind::Prepend(parse_macros(&needs(value)?)),
        "deprecatevar" => ActionKind::DeprecateVar(needs(value)?),
        "" => return Err("expected an action name".into()),
        _ => return Err(format!("unknown action `{name}`")),
    };
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{MacroPart, Selector};

    fn parse(text: &str) -> Vec<ActionKind> {
        parse_actions(text, &|_| Span::default())
            .unwrap()
            .into_iter()
            .map(|a| a.kind)
            .collect()
    }

    fn err(text: &str) -> SyntaxError {
        parse_actions(text, &|_| Span::default()).unwrap_err()
    }

    #[test]
    fn typical_crs_rule() {
        let kinds = parse(
            "id:942100,\n    phase:2,\n    block,\n    capture,\n    t:none,t:utf8toUnicode,\n    msg:'SQL Injection Attack Detected via libinjection',\n    logdata:'Matched Data: %{TX.0} found within %{MATCHED_VAR_NAME}: %{MATCHED_VAR}',\n    tag:'paranoia-level/1',\n    ver:'OWASP_CRS/4.28.0',\n    severity:'CRITICAL',\n    setvar:'tx.sql_injection_score=+%{tx.critical_anomaly_score}'",
        );
        assert_eq!(kinds[0], ActionKind::Id(942100));
        assert_eq!(kinds[1], ActionKind::Phase(Phase(2)));
        assert_eq!(kinds[2], ActionKind::Block);
        assert_eq!(kinds[5], ActionKind::Transformation("utf8toUnicode".into()));
        assert_eq!(kinds[9], ActionKind::Ver("OWASP_CRS/4.28.0".into()));
        assert_eq!(kinds[10], ActionKind::Severity(Severity::Critical));
        let ActionKind::SetVar(sv) = &kinds[11] else {
            panic!()
        };
        assert_eq!(sv.collection, "TX");
        assert_eq!(sv.key.raw, "sql_injection_score");
        let SetVarOp::Add(value) = &sv.op else {
            panic!()
        };
        assert_eq!(
            value.parts,
            vec![MacroPart::Variable {
                collection: "TX".into(),
                key: Some("critical_anomaly_score".into())
            }]
        );
    }

    #[test]
    fn quoted_values_keep_commas_and_escaped_quotes() {
        let kinds = parse(r"msg:'a, b',logdata:'it\'s'");
        assert_eq!(kinds[0], ActionKind::Msg(parse_macros("a, b")));
        assert_eq!(kinds[1], ActionKind::LogData(parse_macros("it's")));
    }

    #[test]
    fn quoted_ids_and_spaces_after_commas() {
        assert_eq!(
            parse("id:'200000', phase:1"),
            vec![ActionKind::Id(200000), ActionKind::Phase(Phase(1))]
        );
    }

    #[test]
    fn setvar_forms() {
        let ops: Vec<SetVarOp> = ["tx.a=1", "tx.a=+1", "tx.a=-1", "!tx.a", "tx.a"]
            .iter()
            .map(|v| parse_setvar(v).unwrap().op)
            .collect();
        assert_eq!(
            ops,
            vec![
                SetVarOp::Set(parse_macros("1")),
                SetVarOp::Add(parse_macros("1")),
                SetVarOp::Sub(parse_macros("1")),
                SetVarOp::Delete,
                SetVarOp::Create,
            ]
        );
        let sv = parse_setvar("tx.%{rule.id}-OWASP=%{matched_var}").unwrap();
        assert!(!sv.key.is_literal());
        assert!(parse_setvar("novalue").is_err());
    }

    #[test]
    fn ctl_forms() {
        let kinds = parse(
            "ctl:ruleRemoveTargetById=942100;ARGS:pwd|ARGS:/^x/,ctl:ruleEngine=DetectionOnly,ctl:ruleRemoveById=910000-910999,ctl:auditLogParts=+E,ctl:requestBodyProcessor=JSON",
        );
        let ActionKind::Ctl(Ctl::RuleRemoveTargetById(ids, vars)) = &kinds[0] else {
            panic!()
        };
        assert_eq!(
            ids,
            &vec![IdRange {
                first: 942100,
                last: 942100
            }]
        );
        assert_eq!(vars[1].selector, Some(Selector::Regex("^x".into())));
        assert_eq!(
            kinds[1],
            ActionKind::Ctl(Ctl::RuleEngine(EngineMode::DetectionOnly))
        );
        assert_eq!(
            kinds[2],
            ActionKind::Ctl(Ctl::RuleRemoveById(vec![IdRange {
                first: 910000,
                last: 910999
            }]))
        );
        assert_eq!(kinds[3], ActionKind::Ctl(Ctl::AuditLogParts("+E".into())));
        assert!(err("ctl:nosuch=1").message.contains("unknown `ctl` option"));
        assert!(
            err("ctl:ruleRemoveTargetById=1")
                .message
                .contains("WHICH;TARGETS")
        );
    }

    #[test]
    fn phases_severities_allow() {
        assert_eq!(
            parse("phase:request,phase:logging"),
            vec![ActionKind::Phase(Phase(2)), ActionKind::Phase(Phase(5))]
        );
        assert_eq!(
            parse("severity:2,severity:warning"),
            vec![
                ActionKind::Severity(Severity::Critical),
                ActionKind::Severity(Severity::Warning)
            ]
        );
        assert_eq!(
            parse("allow,allow:phase,allow:request"),
            vec![
                ActionKind::Allow(AllowScope::All),
                ActionKind::Allow(AllowScope::Phase),
                ActionKind::Allow(AllowScope::Request)
            ]
        );
    }

    #[test]
    fn errors_name_the_action_and_offset() {
        let e = err("id:1, nosuch");
        assert_eq!(e.offset, 6);
        assert!(e.message.contains("unknown action `nosuch`"));
        assert!(err("phase:9").message.contains("1-5"));
        assert!(err("id:x").message.contains("number"));
        assert!(err("id:0").message.contains("0"));
        assert!(err("deny:1").message.contains("takes no value"));
        assert!(err("msg:'open").message.contains("closing"));
        assert!(err("t:nosuch").message.contains("transformation"));
        assert!(err("msg").message.contains("needs a value"));
        assert!(err("status:42").message.contains("status"));
        assert!(err("skip:0").message.contains("positive"));
        assert!(err("allow:x").message.contains("allow"));
        assert!(err("severity:9").message.contains("severity"));
        assert!(err("msg:'a' b").message.contains("`,`"));
    }

    #[test]
    fn id_ranges() {
        assert_eq!(parse_id_ranges("1 2-3,4").unwrap().len(), 3);
        assert!(parse_id_ranges("3-1").is_err());
        assert!(parse_id_ranges("a").is_err());
        assert!(parse_id_ranges("").is_err());
    }
}
