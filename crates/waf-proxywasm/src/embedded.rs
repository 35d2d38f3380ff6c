//! Rule files compiled into the filter: a wasm VM has no file system, so everything an
//! `Include` can name lives here.
//!
//! | name | what |
//! |---|---|
//! | `@recommended-conf` | our engine defaults (ModSecurity's recommended configuration, with the JSON and XML body processors CRS expects) |
//! | `@crs-setup.conf` (also `@crs-setup`) | the CRS setup file of the CRS chosen at build time |
//! | `@owasp_crs/*.conf`, `@owasp_crs/*.data` | that CRS's rules and data files |
//!
//! The CRS comes from `WAF_CRS_DIR` when the filter is built, else from Debian's
//! `modsecurity-crs` (see `build.rs`). Data files referenced by rules (`@pmFromFile
//! lfi-os-files.data`) resolve relative to the including rule file, so they are found as
//! `@owasp_crs/lfi-os-files.data`.

use waf_seclang::MemoryLoader;

mod generated {
    include!(concat!(env!("OUT_DIR"), "/embedded_files.rs"));
}

pub use generated::{CRS_SOURCE, FILES};

/// Our engine defaults, ModSecurity's recommended values. `SecRuleEngine DetectionOnly` as
/// there: a configuration turns blocking on with `SecRuleEngine On` after including this.
pub const RECOMMENDED_CONF: &str = r#"# waf-proxywasm recommended engine settings
SecRuleEngine DetectionOnly
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

/// Whether a CRS was embedded when the filter was built.
pub fn has_crs() -> bool {
    !CRS_SOURCE.is_empty()
}

/// A loader holding every embedded file, plus the caller's inline files.
pub fn loader() -> MemoryLoader {
    let mut loader = MemoryLoader::new();
    loader.insert("@recommended-conf", RECOMMENDED_CONF);
    loader.insert("@recommended-conf.conf", RECOMMENDED_CONF);
    for (name, text) in FILES {
        loader.insert(*name, *text);
        if *name == "@crs-setup.conf" {
            loader.insert("@crs-setup", *text);
        }
    }
    loader
}
