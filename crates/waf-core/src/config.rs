//! Engine configuration: what the `Sec*` directives set. Transactions start from this and
//! may change their own copy with `ctl:`.

use waf_seclang::{AuditEngineMode, EngineMode, LimitAction};

use crate::regex::Pattern;

/// ModSecurity's recommended settings as directives, with the body processors CRS
/// expects for XML and JSON, and `SecRuleEngine DetectionOnly` as in ModSecurity's file:
/// a configuration turns blocking on with `SecRuleEngine On` after including this.
pub const RECOMMENDED_SETTINGS: &str = r#"SecRuleEngine DetectionOnly
SecRequestBodyAccess On
SecRequestBodyLimit 13107200
SecRequestBodyNoFilesLimit 131072
SecRequestBodyLimitAction Reject
SecRequestBodyJsonDepthLimit 1024
SecArgumentsLimit 1000
SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\+|/)|text/)xml" \
    "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule REQUEST_HEADERS:Content-Type "^application/json" \
    "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule REQUEST_HEADERS:Content-Type "^application/[a-z0-9.-]+[+]json" \
    "id:200006,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule REQBODY_ERROR "!@eq 0" \
    "id:200002,phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body.',logdata:'%{reqbody_error_msg}',severity:2"
SecRule MULTIPART_STRICT_ERROR "!@eq 0" \
    "id:200003,phase:2,t:none,log,deny,status:400,msg:'Multipart request body failed strict validation.'"
SecResponseBodyAccess On
SecResponseBodyMimeType text/plain text/html text/xml
SecResponseBodyLimit 524288
SecResponseBodyLimitAction ProcessPartial
SecAuditEngine RelevantOnly
SecAuditLogRelevantStatus "^(?:5|4(?!04))"
SecAuditLogParts ABIJDEFHZ
"#;

/// Every limit and default the engine applies. Defaults follow ModSecurity's recommended
/// configuration where it has one; `docs/RATIONALE.md` says why for each.
#[derive(Debug)]
pub struct EngineConfig {
    /// `SecRuleEngine`. Without the directive rules run but never interrupt, as in
    /// ModSecurity (whose unset state blocks nothing).
    pub engine: EngineMode,
    /// `SecRequestBodyAccess` (default Off, as in ModSecurity).
    pub request_body_access: bool,
    /// `SecRequestBodyLimit`: bytes of request body buffered (default 13,107,200).
    pub request_body_limit: u64,
    /// `SecRequestBodyNoFilesLimit`: body bytes excluding file parts (default 131,072).
    pub request_body_no_files_limit: u64,
    pub request_body_limit_action: LimitAction,
    /// `SecRequestBodyJsonDepthLimit` (default 512).
    pub json_depth_limit: u64,
    /// `SecArgumentsLimit`: arguments kept per request (default 1000).
    pub arguments_limit: u64,
    /// `SecArgumentSeparator` (default `&`).
    pub argument_separator: u8,
    pub response_body_access: bool,
    /// `SecResponseBodyLimit` (default 524,288).
    pub response_body_limit: u64,
    pub response_body_limit_action: LimitAction,
    /// `SecResponseBodyMimeType` (default `text/plain text/html`).
    pub response_body_mime_types: Vec<String>,
    /// `SecAuditEngine` (default RelevantOnly).
    pub audit_engine: AuditEngineMode,
    /// `SecAuditLogParts` (default `ABIJDEFHZ`).
    pub audit_log_parts: String,
    /// `SecAuditLogRelevantStatus` (default `^(?:5|4(?!04))`).
    pub audit_relevant_status: Option<Pattern>,
    /// `SecComponentSignature`, reported in audit records.
    pub component_signatures: Vec<String>,
    /// `SecWebAppId`.
    pub web_app_id: String,
    /// `SecPcreMatchLimit`: backtracking steps for the few patterns that need the
    /// backtracking engine (default 1,000,000, since our linear engine needs none).
    pub regex_backtrack_limit: usize,
    /// `SecUploadFileLimit`: file parts kept per multipart body (default 100).
    pub upload_file_limit: u64,
    /// `SecCollectionTimeout`: seconds a persistent collection record lives (default 3600).
    pub collection_timeout: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            engine: EngineMode::DetectionOnly,
            request_body_access: false,
            request_body_limit: 13_107_200,
            request_body_no_files_limit: 131_072,
            request_body_limit_action: LimitAction::Reject,
            json_depth_limit: 512,
            arguments_limit: 1000,
            argument_separator: b'&',
            response_body_access: false,
            response_body_limit: 524_288,
            response_body_limit_action: LimitAction::ProcessPartial,
            response_body_mime_types: vec!["text/plain".into(), "text/html".into()],
            audit_engine: AuditEngineMode::RelevantOnly,
            audit_log_parts: "ABIJDEFHZ".into(),
            audit_relevant_status: Pattern::compile("^(?:5|4(?!04))").ok(),
            component_signatures: Vec::new(),
            web_app_id: String::new(),
            regex_backtrack_limit: 1_000_000,
            upload_file_limit: 100,
            collection_timeout: 3600,
        }
    }
}
