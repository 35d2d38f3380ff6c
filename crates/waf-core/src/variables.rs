//! The one enum of variable names. Where each variable's values come from is in
//! `transaction/collect.rs`; this file only says which names exist and what kind they are.

/// A SecLang variable or collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Var {
    Args,
    ArgsCombinedSize,
    ArgsGet,
    ArgsGetNames,
    ArgsNames,
    ArgsPost,
    ArgsPostNames,
    AuthType,
    Duration,
    Env,
    Files,
    FilesCombinedSize,
    FilesNames,
    FilesSizes,
    FilesTmpContent,
    FilesTmpNames,
    FullRequest,
    FullRequestLength,
    Geo,
    Global,
    HighestSeverity,
    InboundDataError,
    Ip,
    MatchedVar,
    MatchedVarName,
    MatchedVars,
    MatchedVarsNames,
    ModsecBuild,
    MultipartBoundaryQuoted,
    MultipartBoundaryWhitespace,
    MultipartCrlfLfLines,
    MultipartDataAfter,
    MultipartDataBefore,
    MultipartFileLimitExceeded,
    MultipartFilename,
    MultipartHeaderFolding,
    MultipartInvalidHeaderFolding,
    MultipartInvalidPart,
    MultipartInvalidQuoting,
    MultipartLfLine,
    MultipartMissingSemicolon,
    MultipartName,
    MultipartPartHeaders,
    MultipartStrictError,
    MultipartUnmatchedBoundary,
    OutboundDataError,
    PathInfo,
    QueryString,
    RemoteAddr,
    RemoteHost,
    RemotePort,
    RemoteUser,
    ReqbodyError,
    ReqbodyErrorMsg,
    ReqbodyProcessor,
    ReqbodyProcessorError,
    ReqbodyProcessorErrorMsg,
    RequestBasename,
    RequestBody,
    RequestBodyLength,
    RequestCookies,
    RequestCookiesNames,
    RequestFilename,
    RequestHeaders,
    RequestHeadersNames,
    RequestLine,
    RequestMethod,
    RequestProtocol,
    RequestUri,
    RequestUriRaw,
    Resource,
    ResponseBody,
    ResponseContentLength,
    ResponseContentType,
    ResponseHeaders,
    ResponseHeadersNames,
    ResponseProtocol,
    ResponseStatus,
    Rule,
    ServerAddr,
    ServerName,
    ServerPort,
    Session,
    SessionId,
    StatusLine,
    Time,
    TimeDay,
    TimeEpoch,
    TimeHour,
    TimeMin,
    TimeMon,
    TimeSec,
    TimeWday,
    TimeYear,
    Tx,
    UniqueId,
    UrlencodedError,
    User,
    UserId,
    WebAppId,
    Xml,
}

/// `(name, variable, is_collection)`: a collection takes `:selector`s and has many values.
/// Row `i` describes the variant with discriminant `i` (a test checks), so lookups by
/// variable are an index.
const TABLE: &[(&str, Var, bool)] = &[
    ("ARGS", Var::Args, true),
    ("ARGS_COMBINED_SIZE", Var::ArgsCombinedSize, false),
    ("ARGS_GET", Var::ArgsGet, true),
    ("ARGS_GET_NAMES", Var::ArgsGetNames, true),
    ("ARGS_NAMES", Var::ArgsNames, true),
    ("ARGS_POST", Var::ArgsPost, true),
    ("ARGS_POST_NAMES", Var::ArgsPostNames, true),
    ("AUTH_TYPE", Var::AuthType, false),
    ("DURATION", Var::Duration, false),
    ("ENV", Var::Env, true),
    ("FILES", Var::Files, true),
    ("FILES_COMBINED_SIZE", Var::FilesCombinedSize, false),
    ("FILES_NAMES", Var::FilesNames, true),
    ("FILES_SIZES", Var::FilesSizes, true),
    ("FILES_TMP_CONTENT", Var::FilesTmpContent, true),
    ("FILES_TMPNAMES", Var::FilesTmpNames, true),
    ("FULL_REQUEST", Var::FullRequest, false),
    ("FULL_REQUEST_LENGTH", Var::FullRequestLength, false),
    ("GEO", Var::Geo, true),
    ("GLOBAL", Var::Global, true),
    ("HIGHEST_SEVERITY", Var::HighestSeverity, false),
    ("INBOUND_DATA_ERROR", Var::InboundDataError, false),
    ("IP", Var::Ip, true),
    ("MATCHED_VAR", Var::MatchedVar, false),
    ("MATCHED_VAR_NAME", Var::MatchedVarName, false),
    ("MATCHED_VARS", Var::MatchedVars, true),
    ("MATCHED_VARS_NAMES", Var::MatchedVarsNames, true),
    ("MODSEC_BUILD", Var::ModsecBuild, false),
    (
        "MULTIPART_BOUNDARY_QUOTED",
        Var::MultipartBoundaryQuoted,
        false,
    ),
    (
        "MULTIPART_BOUNDARY_WHITESPACE",
        Var::MultipartBoundaryWhitespace,
        false,
    ),
    ("MULTIPART_CRLF_LF_LINES", Var::MultipartCrlfLfLines, false),
    ("MULTIPART_DATA_AFTER", Var::MultipartDataAfter, false),
    ("MULTIPART_DATA_BEFORE", Var::MultipartDataBefore, false),
    (
        "MULTIPART_FILE_LIMIT_EXCEEDED",
        Var::MultipartFileLimitExceeded,
        false,
    ),
    ("MULTIPART_FILENAME", Var::MultipartFilename, true),
    (
        "MULTIPART_HEADER_FOLDING",
        Var::MultipartHeaderFolding,
        false,
    ),
    (
        "MULTIPART_INVALID_HEADER_FOLDING",
        Var::MultipartInvalidHeaderFolding,
        false,
    ),
    ("MULTIPART_INVALID_PART", Var::MultipartInvalidPart, false),
    (
        "MULTIPART_INVALID_QUOTING",
        Var::MultipartInvalidQuoting,
        false,
    ),
    ("MULTIPART_LF_LINE", Var::MultipartLfLine, false),
    (
        "MULTIPART_MISSING_SEMICOLON",
        Var::MultipartMissingSemicolon,
        false,
    ),
    ("MULTIPART_NAME", Var::MultipartName, true),
    ("MULTIPART_PART_HEADERS", Var::MultipartPartHeaders, true),
    ("MULTIPART_STRICT_ERROR", Var::MultipartStrictError, false),
    (
        "MULTIPART_UNMATCHED_BOUNDARY",
        Var::MultipartUnmatchedBoundary,
        false,
    ),
    ("OUTBOUND_DATA_ERROR", Var::OutboundDataError, false),
    ("PATH_INFO", Var::PathInfo, false),
    ("QUERY_STRING", Var::QueryString, false),
    ("REMOTE_ADDR", Var::RemoteAddr, false),
    ("REMOTE_HOST", Var::RemoteHost, false),
    ("REMOTE_PORT", Var::RemotePort, false),
    ("REMOTE_USER", Var::RemoteUser, false),
    ("REQBODY_ERROR", Var::ReqbodyError, false),
    ("REQBODY_ERROR_MSG", Var::ReqbodyErrorMsg, false),
    ("REQBODY_PROCESSOR", Var::ReqbodyProcessor, false),
    ("REQBODY_PROCESSOR_ERROR", Var::ReqbodyProcessorError, false),
    (
        "REQBODY_PROCESSOR_ERROR_MSG",
        Var::ReqbodyProcessorErrorMsg,
        false,
    ),
    ("REQUEST_BASENAME", Var::RequestBasename, false),
    ("REQUEST_BODY", Var::RequestBody, false),
    ("REQUEST_BODY_LENGTH", Var::RequestBodyLength, false),
    ("REQUEST_COOKIES", Var::RequestCookies, true),
    ("REQUEST_COOKIES_NAMES", Var::RequestCookiesNames, true),
    ("REQUEST_FILENAME", Var::RequestFilename, false),
    ("REQUEST_HEADERS", Var::RequestHeaders, true),
    ("REQUEST_HEADERS_NAMES", Var::RequestHeadersNames, true),
    ("REQUEST_LINE", Var::RequestLine, false),
    ("REQUEST_METHOD", Var::RequestMethod, false),
    ("REQUEST_PROTOCOL", Var::RequestProtocol, false),
    ("REQUEST_URI", Var::RequestUri, false),
    ("REQUEST_URI_RAW", Var::RequestUriRaw, false),
    ("RESOURCE", Var::Resource, true),
    ("RESPONSE_BODY", Var::ResponseBody, false),
    ("RESPONSE_CONTENT_LENGTH", Var::ResponseContentLength, false),
    ("RESPONSE_CONTENT_TYPE", Var::ResponseContentType, false),
    ("RESPONSE_HEADERS", Var::ResponseHeaders, true),
    ("RESPONSE_HEADERS_NAMES", Var::ResponseHeadersNames, true),
    ("RESPONSE_PROTOCOL", Var::ResponseProtocol, false),
    ("RESPONSE_STATUS", Var::ResponseStatus, false),
    ("RULE", Var::Rule, true),
    ("SERVER_ADDR", Var::ServerAddr, false),
    ("SERVER_NAME", Var::ServerName, false),
    ("SERVER_PORT", Var::ServerPort, false),
    ("SESSION", Var::Session, true),
    ("SESSIONID", Var::SessionId, false),
    ("STATUS_LINE", Var::StatusLine, false),
    ("TIME", Var::Time, false),
    ("TIME_DAY", Var::TimeDay, false),
    ("TIME_EPOCH", Var::TimeEpoch, false),
    ("TIME_HOUR", Var::TimeHour, false),
    ("TIME_MIN", Var::TimeMin, false),
    ("TIME_MON", Var::TimeMon, false),
    ("TIME_SEC", Var::TimeSec, false),
    ("TIME_WDAY", Var::TimeWday, false),
    ("TIME_YEAR", Var::TimeYear, false),
    ("TX", Var::Tx, true),
    ("UNIQUE_ID", Var::UniqueId, false),
    ("URLENCODED_ERROR", Var::UrlencodedError, false),
    ("USER", Var::User, true),
    ("USERID", Var::UserId, false),
    ("WEBAPPID", Var::WebAppId, false),
    ("XML", Var::Xml, true),
];

impl Var {
    /// Looks a name up case-insensitively.
    pub fn from_name(name: &str) -> Option<Var> {
        TABLE
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v, _)| *v)
    }

    /// Number of variables; [`Var::index`] is below it.
    pub const COUNT: usize = TABLE.len();

    /// A dense index in `0..Var::COUNT`, for per-variable arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The variable with [`Var::index`] `i`.
    pub fn from_index(i: usize) -> Option<Var> {
        TABLE.get(i).map(|(_, v, _)| *v)
    }

    /// The canonical upper-case name.
    pub fn name(self) -> &'static str {
        TABLE[self.index()].0
    }

    /// True for collections, which take `:selector` and usually hold many values.
    pub fn is_collection(self) -> bool {
        TABLE[self.index()].2
    }

    /// Collections whose members rules may create with `setvar`.
    pub fn is_writable(self) -> bool {
        matches!(
            self,
            Var::Tx | Var::Ip | Var::Session | Var::User | Var::Global | Var::Resource | Var::Env
        )
    }

    /// Variables whose values are stored request or response bytes, which change only
    /// when the caller adds data or the body is parsed, never while a phase's rules run.
    /// The engine keeps per-transaction summaries of their bytes (see
    /// `transaction/eval.rs`), so the list is deliberately narrow: no counts, flags,
    /// times or anything a rule or `ctl` can change.
    pub fn is_stored_data(self) -> bool {
        matches!(
            self,
            Var::Args
                | Var::ArgsNames
                | Var::ArgsGet
                | Var::ArgsGetNames
                | Var::ArgsPost
                | Var::ArgsPostNames
                | Var::RequestHeaders
                | Var::RequestHeadersNames
                | Var::RequestCookies
                | Var::RequestCookiesNames
                | Var::ResponseHeaders
                | Var::ResponseHeadersNames
                | Var::RequestFilename
                | Var::RequestBasename
                | Var::RequestUri
                | Var::RequestUriRaw
                | Var::RequestLine
                | Var::RequestMethod
                | Var::RequestProtocol
                | Var::QueryString
                | Var::RequestBody
                | Var::ResponseBody
                | Var::Files
                | Var::FilesNames
                | Var::FilesTmpContent
                | Var::MultipartPartHeaders
                | Var::MultipartFilename
                | Var::MultipartName
                | Var::Xml
        )
    }

    /// Variables whose values are the request's or response's own data, fixed once the
    /// caller supplied them (not written by rules, not computed per read).
    pub fn is_request_data(self) -> bool {
        !matches!(
            self,
            Var::Tx
                | Var::Env
                | Var::Ip
                | Var::Session
                | Var::User
                | Var::Global
                | Var::Resource
                | Var::MatchedVar
                | Var::MatchedVarName
                | Var::MatchedVars
                | Var::MatchedVarsNames
                | Var::Rule
                | Var::SessionId
                | Var::UserId
        )
    }

    /// Every variable, for documentation and tests.
    pub fn all() -> impl Iterator<Item = Var> {
        TABLE.iter().map(|(_, v, _)| *v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for v in Var::all() {
            assert!(seen.insert(v), "{v:?} twice");
            assert_eq!(Var::from_name(v.name()), Some(v));
            assert_eq!(Var::from_name(&v.name().to_lowercase()), Some(v));
        }
        assert_eq!(seen.len(), TABLE.len());
        assert_eq!(Var::from_name("NOPE"), None);
        for (i, (_, v, _)) in TABLE.iter().enumerate() {
            assert_eq!(*v as usize, i, "TABLE row {i} is out of order");
        }
    }
}
