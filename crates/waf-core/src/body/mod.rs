//! Request parsing: query strings, cookies and request bodies.
//!
//! Everything here is a pure function from bytes to structured data. Nothing
//! in this module reads files, keeps state between calls, or knows about
//! rules: the engine calls these parsers and turns their output into SecLang
//! variables (`ARGS_GET`, `ARGS_POST`, `REQUEST_COOKIES`, `FILES*`,
//! `MULTIPART_*`, `XML`, `REQBODY_ERROR`, ...).
//!
//! | parser | input | feeds |
//! |---|---|---|
//! | [`parse_urlencoded`] | query string or `application/x-www-form-urlencoded` body | `ARGS_GET` / `ARGS_POST`, `URLENCODED_ERROR` |
//! | [`parse_cookies`] | one `Cookie` header value | `REQUEST_COOKIES`, `REQUEST_COOKIES_NAMES` |
//! | [`parse_multipart`] | `Content-Type` value and a `multipart/form-data` body | `ARGS_POST`, `FILES*`, `MULTIPART_*`, `REQBODY_ERROR` |
//! | [`parse_json`] | a JSON body | `ARGS_POST`, `REQBODY_ERROR` |
//! | [`parse_xml`] | an XML body | `XML:/*`, `XML://@*`, `REQBODY_ERROR` |
//!
//! # Conventions
//!
//! - Names and values are bytes (`Vec<u8>`): request data is not assumed to
//!   be UTF-8.
//! - Every parser takes a [`BodyLimits`]. Output size is bounded by the input
//!   size and by the limits; hitting a limit is reported in the result, never
//!   a panic or an unbounded allocation.
//! - Every parser runs in time linear in its input. Hostile input yields flags
//!   or an error message in the result; no parser returns `Result::Err` for
//!   bad request bytes, because ModSecurity also keeps whatever it parsed and
//!   lets the rules (`REQBODY_ERROR`, `MULTIPART_STRICT_ERROR`) decide.
//! - Error messages are the text ModSecurity v3 puts after its processor
//!   prefix; the engine prefixes them (`"multipart parsing error: "`,
//!   `"JSON parsing error: "`, `"XML parsing error: "`) when it fills
//!   `REQBODY_ERROR_MSG`.
//!
//! The reference for behaviour is libmodsecurity (v3); every place where we
//! deliberately differ is written down in the module that does it.

mod cookies;
mod json;
mod multipart;
mod urlencoded;
mod xml;

pub use cookies::parse_cookies;
pub use json::{JsonResult, parse_json};
pub use multipart::{
    Boundary, MultipartFile, MultipartFlags, MultipartResult, PartHeader,
    boundary_from_content_type, parse_multipart,
};
pub use urlencoded::{ParsedArgs, parse_urlencoded, url_decode_nonstrict};
pub use xml::{XmlResult, parse_xml};

/// Limits shared by all request parsers.
///
/// The defaults follow ModSecurity's recommended configuration
/// (`modsecurity.conf-recommended`) where it has a directive, and a
/// conservative value where it has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// How many more arguments this call may add (`SecArgumentsLimit` minus
    /// the arguments the transaction already holds: ModSecurity counts `ARGS`
    /// as a whole, GET and POST together). Also bounds the number of cookies
    /// one header may yield. Default 1000.
    pub max_args: usize,
    /// Deepest nesting accepted: JSON containers
    /// (`SecRequestBodyJsonDepthLimit`) and XML elements. Default 512.
    pub max_depth: usize,
    /// Most multipart parts accepted before the body is rejected. Default 1000.
    pub max_parts: usize,
    /// Most file parts whose content is kept (`SecUploadFileLimit`); later
    /// files are still listed in `FILES` but their content is dropped and
    /// `MULTIPART_FILE_LIMIT_EXCEEDED` is set. Default 100.
    pub max_files: usize,
    /// Bytes of each uploaded file kept in memory for `FILES_TMP_CONTENT`;
    /// the rest is counted in `FILES_SIZES` but not kept. Default 1 MiB.
    pub max_file_content: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        Self {
            max_args: 1000,
            max_depth: 512,
            max_parts: 1000,
            max_files: 100,
            max_file_content: 1024 * 1024,
        }
    }
}
