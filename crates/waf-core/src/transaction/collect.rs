//! The one place that says where each variable's values come from.
//!
//! Values borrow from the transaction where they can (arguments, headers, bodies) and are
//! computed where they must be (counts, sizes, `TIME`).

use std::borrow::Cow;

use super::Transaction;
use crate::rule::Selector;
use crate::variables::Var;

/// Values gathered for a rule target; most targets yield a handful, kept on the stack.
pub(crate) type Values<'a> = smallvec::SmallVec<[Value<'a>; 12]>;

/// One value of a variable, with the key it was found under (empty for scalars).
#[derive(Debug, Clone)]
pub(crate) struct Value<'a> {
    pub var: Var,
    pub key: Cow<'a, [u8]>,
    pub value: Cow<'a, [u8]>,
}

impl Value<'_> {
    /// `ARGS:id`, `REQUEST_URI`: the name ModSecurity logs and puts in `MATCHED_VAR_NAME`.
    pub fn write_full_name(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.var.name().as_bytes());
        if !self.key.is_empty() {
            out.push(b':');
            out.extend_from_slice(&self.key);
        }
    }
}

fn key_matches(selector: &Selector, key: &[u8]) -> bool {
    match selector {
        Selector::All => true,
        Selector::Key(k) => k.as_bytes().eq_ignore_ascii_case(key),
        Selector::Regex(p) => p.is_match(key).unwrap_or(false),
    }
}

fn number(n: impl ToString) -> Cow<'static, [u8]> {
    Cow::Owned(n.to_string().into_bytes())
}

fn flag(b: bool) -> Cow<'static, [u8]> {
    Cow::Borrowed(if b { b"1" } else { b"0" })
}

/// Pushes the pairs whose key the selector accepts.
fn pairs<'a>(
    out: &mut Values<'a>,
    var: Var,
    list: &'a [(Vec<u8>, Vec<u8>)],
    selector: &Selector,
    names_only: bool,
) {
    for (k, v) in list {
        if key_matches(selector, k) {
            out.push(Value {
                var,
                key: Cow::Borrowed(k),
                value: Cow::Borrowed(if names_only { k } else { v }),
            });
        }
    }
}

/// Pushes the entries whose key the selector accepts, in key order whatever order the
/// map iterates in (a hashed collection must read the same as a sorted one).
fn map_values<'a>(
    out: &mut Values<'a>,
    var: Var,
    map: impl Iterator<Item = (&'a std::sync::Arc<str>, &'a super::CollectionValue)>,
    selector: &Selector,
) {
    let start = out.len();
    for (k, v) in map {
        if key_matches(selector, k.as_bytes()) {
            out.push(Value {
                var,
                key: Cow::Borrowed(k.as_bytes()),
                value: Cow::Borrowed(v),
            });
        }
    }
    out[start..].sort_by(|a, b| a.key.cmp(&b.key));
}

/// Civil date from days since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Broken-down UTC time: (year, month, day, hour, minute, second, weekday 0=Sunday).
pub(crate) fn utc_parts(micros: i64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let secs = micros.div_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let weekday = (days + 4).rem_euclid(7) as u32;
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
        weekday,
    )
}

impl Transaction {
    /// Appends the values of `var` selected by `selector` to `out`.
    pub(crate) fn collect<'a>(&'a self, var: Var, selector: &Selector, out: &mut Values<'a>) {
        let r = &self.req;
        let scalar = |out: &mut Values<'a>, value: Cow<'a, [u8]>| {
            out.push(Value {
                var,
                key: Cow::Borrowed(b""),
                value,
            })
        };
        let multipart = r.multipart.as_ref();
        let mp_flag = |f: fn(&crate::body::MultipartFlags) -> bool| {
            flag(multipart.is_some_and(|m| f(&m.flags)))
        };
        match var {
            Var::Args => {
                pairs(out, var, &r.args_get, selector, false);
                pairs(out, var, &r.args_post, selector, false);
            }
            Var::ArgsNames => {
                pairs(out, var, &r.args_get, selector, true);
                pairs(out, var, &r.args_post, selector, true);
            }
            Var::ArgsGet => pairs(out, var, &r.args_get, selector, false),
            Var::ArgsGetNames => pairs(out, var, &r.args_get, selector, true),
            Var::ArgsPost => pairs(out, var, &r.args_post, selector, false),
            Var::ArgsPostNames => pairs(out, var, &r.args_post, selector, true),
            Var::ArgsCombinedSize => {
                let size: usize = r
                    .args_get
                    .iter()
                    .chain(&r.args_post)
                    .map(|(k, v)| k.len() + v.len())
                    .sum();
                scalar(out, number(size));
            }
            Var::RequestHeaders => pairs(out, var, &r.headers, selector, false),
            Var::RequestHeadersNames => pairs(out, var, &r.headers, selector, true),
            Var::RequestCookies => pairs(out, var, &r.cookies, selector, false),
            Var::RequestCookiesNames => pairs(out, var, &r.cookies, selector, true),
            Var::ResponseHeaders => pairs(out, var, &self.res.headers, selector, false),
            Var::ResponseHeadersNames => pairs(out, var, &self.res.headers, selector, true),
            Var::RequestFilename => scalar(out, Cow::Borrowed(&r.filename)),
            Var::RequestBasename => scalar(out, Cow::Borrowed(&r.basename)),
            Var::RequestUri => scalar(out, Cow::Borrowed(&r.uri)),
            Var::RequestUriRaw => scalar(out, Cow::Borrowed(&r.uri_raw)),
            Var::RequestLine => scalar(out, Cow::Borrowed(&r.request_line)),
            Var::RequestMethod => scalar(out, Cow::Borrowed(&r.method)),
            Var::RequestProtocol => scalar(out, Cow::Borrowed(&r.protocol)),
            Var::QueryString => scalar(out, Cow::Borrowed(&r.query_string)),
            Var::PathInfo => scalar(out, Cow::Borrowed(b"")),
            Var::RequestBody => {
                if r.body_variable {
                    scalar(out, Cow::Borrowed(&r.body));
                }
            }
            Var::RequestBodyLength => scalar(out, number(r.body.len())),
            Var::ReqbodyError | Var::ReqbodyProcessorError => {
                scalar(out, flag(r.body_error.is_some()))
            }
            Var::ReqbodyErrorMsg | Var::ReqbodyProcessorErrorMsg => scalar(
                out,
                Cow::Borrowed(r.body_error.as_deref().unwrap_or("").as_bytes()),
            ),
            Var::ReqbodyProcessor => {
                let chosen = self.overrides.body_processor.as_ref();
                if let Some(p) = chosen.or(r.body_processor.as_ref()) {
                    scalar(out, Cow::Borrowed(p.as_bytes()));
                }
            }
            Var::UrlencodedError => scalar(out, flag(r.urlencoded_error)),
            Var::InboundDataError => scalar(out, flag(r.body_overflow)),
            Var::OutboundDataError => scalar(out, flag(self.res.body_overflow)),
            Var::Files => {
                for f in multipart.into_iter().flat_map(|m| &m.files) {
                    if key_matches(selector, &f.name) {
                        out.push(Value {
                            var,
                            key: Cow::Borrowed(&f.name),
                            value: Cow::Borrowed(&f.filename),
                        });
                    }
                }
            }
            Var::FilesNames => {
                for f in multipart.into_iter().flat_map(|m| &m.files) {
                    if key_matches(selector, &f.name) {
                        out.push(Value {
                            var,
                            key: Cow::Borrowed(&f.name),
                            value: Cow::Borrowed(&f.name),
                        });
                    }
                }
            }
            Var::FilesSizes => {
                for f in multipart.into_iter().flat_map(|m| &m.files) {
                    if key_matches(selector, &f.name) {
                        out.push(Value {
                            var,
                            key: Cow::Borrowed(&f.name),
                            value: number(f.size),
                        });
                    }
                }
            }
            Var::FilesTmpContent => {
                for f in multipart.into_iter().flat_map(|m| &m.files) {
                    if key_matches(selector, &f.name) {
                        out.push(Value {
                            var,
                            key: Cow::Borrowed(&f.name),
                            value: Cow::Borrowed(&f.content),
                        });
                    }
                }
            }
            Var::FilesTmpNames => {}
            Var::FilesCombinedSize => scalar(
                out,
                number(multipart.map_or(0, |m| m.files_combined_size())),
            ),
            Var::MultipartPartHeaders => {
                for h in multipart.into_iter().flat_map(|m| &m.part_headers) {
                    if key_matches(selector, &h.part_name) {
                        out.push(Value {
                            var,
                            key: Cow::Borrowed(&h.part_name),
                            value: Cow::Borrowed(&h.line),
                        });
                    }
                }
            }
            Var::MultipartFilename => {
                for n in multipart.into_iter().flat_map(|m| &m.filenames) {
                    scalar(out, Cow::Borrowed(n));
                }
            }
            Var::MultipartName => {
                for n in multipart.into_iter().flat_map(|m| &m.names) {
                    scalar(out, Cow::Borrowed(n));
                }
            }
            Var::MultipartStrictError => scalar(out, mp_flag(|f| f.strict_error())),
            Var::MultipartUnmatchedBoundary => scalar(out, mp_flag(|f| f.unmatched_boundary > 0)),
            Var::MultipartBoundaryQuoted => scalar(out, mp_flag(|f| f.boundary_quoted)),
            Var::MultipartBoundaryWhitespace => scalar(out, mp_flag(|f| f.boundary_whitespace)),
            Var::MultipartCrlfLfLines => scalar(out, mp_flag(|f| f.crlf_lf_lines())),
            Var::MultipartDataAfter => scalar(out, mp_flag(|f| f.data_after)),
            Var::MultipartDataBefore => scalar(out, mp_flag(|f| f.data_before)),
            Var::MultipartFileLimitExceeded => scalar(out, mp_flag(|f| f.file_limit_exceeded)),
            Var::MultipartHeaderFolding => scalar(out, mp_flag(|f| f.header_folding)),
            Var::MultipartInvalidHeaderFolding => {
                scalar(out, mp_flag(|f| f.invalid_header_folding))
            }
            Var::MultipartInvalidPart => scalar(out, mp_flag(|f| f.invalid_part)),
            Var::MultipartInvalidQuoting => scalar(out, mp_flag(|f| f.invalid_quoting)),
            Var::MultipartLfLine => scalar(out, mp_flag(|f| f.lf_line)),
            Var::MultipartMissingSemicolon => scalar(out, mp_flag(|f| f.missing_semicolon)),
            Var::Xml => {
                let Some(xml) = &r.xml else { return };
                let attributes = matches!(selector, Selector::Key(k) if k.contains('@'));
                if attributes {
                    for (_, v) in &xml.attributes {
                        out.push(Value {
                            var,
                            key: Cow::Borrowed(b"//@*"),
                            value: Cow::Borrowed(v),
                        });
                    }
                } else {
                    out.push(Value {
                        var,
                        key: Cow::Borrowed(b"/*"),
                        value: Cow::Borrowed(&xml.root_text),
                    });
                }
            }
            Var::ResponseBody => scalar(out, Cow::Borrowed(&self.res.body)),
            Var::ResponseStatus => {
                if self.res.status != 0 {
                    scalar(out, number(self.res.status));
                }
            }
            Var::ResponseProtocol => scalar(out, Cow::Borrowed(&self.res.protocol)),
            Var::StatusLine => {
                let mut line = self.res.protocol.clone();
                line.push(b' ');
                line.extend_from_slice(self.res.status.to_string().as_bytes());
                scalar(out, Cow::Owned(line));
            }
            Var::ResponseContentType | Var::ResponseContentLength => {
                let name: &[u8] = if var == Var::ResponseContentType {
                    b"content-type"
                } else {
                    b"content-length"
                };
                if let Some((_, v)) = self
                    .res
                    .headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                {
                    scalar(out, Cow::Borrowed(v));
                }
            }
            Var::Tx => {
                if let Selector::Key(k) = selector {
                    if let Some((key, v)) = self.vars.tx.get_key_value(k.as_str()) {
                        out.push(Value {
                            var,
                            key: Cow::Borrowed(key.as_bytes()),
                            value: Cow::Borrowed(v),
                        });
                    }
                } else {
                    map_values(out, var, self.vars.tx.iter(), selector);
                }
            }
            Var::Env => map_values(out, var, self.vars.env.iter(), selector),
            Var::Ip | Var::Session | Var::User | Var::Global | Var::Resource => {
                if let Some(c) = self.vars.persistent.iter().find(|c| c.var == var) {
                    for (k, (v, _)) in &c.values {
                        if key_matches(selector, k.as_bytes()) {
                            out.push(Value {
                                var,
                                key: Cow::Borrowed(k.as_bytes()),
                                value: Cow::Borrowed(v),
                            });
                        }
                    }
                }
            }
            Var::MatchedVar => scalar(out, Cow::Borrowed(&self.vars.matched_var)),
            Var::MatchedVarName => scalar(out, Cow::Borrowed(&self.vars.matched_var_name)),
            Var::MatchedVars => pairs(out, var, self.vars.matched_vars.as_slice(), selector, false),
            Var::MatchedVarsNames => {
                pairs(out, var, self.vars.matched_vars.as_slice(), selector, true)
            }
            Var::Rule => {
                let Some(current) = &self.vars.current_rule else {
                    return;
                };
                let Some(crate::rule::Entry::Rule(rule)) = self
                    .rules()
                    .phases
                    .get(usize::from(current.phase.saturating_sub(1)))
                    .and_then(|entries| entries.get(current.index))
                else {
                    return;
                };
                let m = &rule.metadata;
                let text =
                    |t: &'a Option<String>| Cow::Borrowed(t.as_deref().unwrap_or("").as_bytes());
                let items: [(&[u8], Cow<'a, [u8]>); 7] = [
                    (b"id", number(rule.id)),
                    (b"msg", text(&m.msg_literal)),
                    (
                        b"severity",
                        m.severity.map_or(Cow::Borrowed(b""), |s| number(s as u8)),
                    ),
                    (b"phase", number(rule.phase)),
                    (b"ver", text(&m.ver)),
                    (b"rev", text(&m.rev)),
                    (b"logdata", Cow::Borrowed(&current.logdata)),
                ];
                for (k, v) in items {
                    if key_matches(selector, k) {
                        out.push(Value {
                            var,
                            key: Cow::Borrowed(k),
                            value: v,
                        });
                    }
                }
            }
            Var::HighestSeverity => scalar(
                out,
                number(self.vars.highest_severity.map_or(255, u32::from)),
            ),
            Var::RemoteAddr => scalar(out, Cow::Borrowed(r.client_ip.as_bytes())),
            Var::RemotePort => scalar(out, number(r.client_port)),
            Var::RemoteHost => scalar(out, Cow::Borrowed(r.client_ip.as_bytes())),
            Var::RemoteUser | Var::AuthType => {
                let auth = r
                    .headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(b"authorization"));
                let scheme = auth
                    .and_then(|(_, v)| v.split(|b| *b == b' ').next())
                    .unwrap_or(b"");
                scalar(
                    out,
                    Cow::Borrowed(if var == Var::AuthType { scheme } else { b"" }),
                );
            }
            Var::ServerAddr => scalar(out, Cow::Borrowed(r.server_ip.as_bytes())),
            Var::ServerPort => scalar(out, number(r.server_port)),
            Var::ServerName => {
                let host = r
                    .headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(b"host"))
                    .map(|(_, v)| v.as_slice());
                let host = host.unwrap_or(b"");
                let name = match host.iter().rposition(|&b| b == b':') {
                    Some(p) if !host.starts_with(b"[") || host[..p].ends_with(b"]") => &host[..p],
                    _ => host,
                };
                scalar(out, Cow::Borrowed(name));
            }
            Var::UniqueId => scalar(out, Cow::Borrowed(self.id().as_bytes())),
            Var::SessionId => scalar(out, Cow::Borrowed(&self.vars.session_id)),
            Var::UserId => scalar(out, Cow::Borrowed(&self.vars.user_id)),
            Var::WebAppId => scalar(
                out,
                Cow::Borrowed(self.rules().config.web_app_id.as_bytes()),
            ),
            Var::ModsecBuild => scalar(out, Cow::Borrowed(b"030010000")),
            Var::Geo => {}
            Var::Duration => scalar(out, number(self.duration_micros())),
            Var::FullRequest => {
                let mut full = r.request_line.clone();
                full.extend_from_slice(b"\r\n");
                for (k, v) in &r.headers {
                    full.extend_from_slice(k);
                    full.extend_from_slice(b": ");
                    full.extend_from_slice(v);
                    full.extend_from_slice(b"\r\n");
                }
                full.extend_from_slice(b"\r\n");
                full.extend_from_slice(&r.body);
                scalar(out, Cow::Owned(full));
            }
            Var::FullRequestLength => {
                let len = r.request_line.len()
                    + 2
                    + r.headers
                        .iter()
                        .map(|(k, v)| k.len() + v.len() + 4)
                        .sum::<usize>()
                    + 2
                    + r.body.len();
                scalar(out, number(len));
            }
            Var::Time
            | Var::TimeDay
            | Var::TimeEpoch
            | Var::TimeHour
            | Var::TimeMin
            | Var::TimeMon
            | Var::TimeSec
            | Var::TimeWday
            | Var::TimeYear => {
                let now = self.now_micros();
                let (y, mo, d, h, mi, s, wd) = utc_parts(now);
                let v = match var {
                    Var::Time => format!("{h:02}:{mi:02}:{s:02}"),
                    Var::TimeDay => d.to_string(),
                    Var::TimeEpoch => now.div_euclid(1_000_000).to_string(),
                    Var::TimeHour => h.to_string(),
                    Var::TimeMin => mi.to_string(),
                    Var::TimeMon => mo.to_string(),
                    Var::TimeSec => s.to_string(),
                    Var::TimeWday => wd.to_string(),
                    _ => y.to_string(),
                };
                scalar(out, Cow::Owned(v.into_bytes()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_breakdown() {
        // 2026-11-24T04:20:01Z was a Tuesday.
        let micros = 1_795_494_001 * 1_000_000;
        assert_eq!(utc_parts(micros), (2026, 11, 24, 4, 20, 1, 2));
        assert_eq!(utc_parts(0), (1970, 1, 1, 0, 0, 0, 4));
    }
}
