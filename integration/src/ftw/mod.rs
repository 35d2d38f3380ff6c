//! go-ftw regression tests: load them, build their requests, parse those requests the
//! way an HTTP front end would, and check outcomes.
//!
//! The flow for one stage, with every step independent of the WAF engine:
//!
//! ```text
//! YAML file ──load──► TestFile ─► Test ─► Stage { input, output }
//!                                           │          │
//!                          request::build_request   Expectation::from_output
//!                                           ▼          │
//!                                   raw request bytes  │
//!                                           │          │
//!                                http::parse_request   │
//!                                           ▼          │
//!                 HttpRequest (method, uri, protocol,  │
//!                  headers, body) ──► engine ──► Outcome ──► Expectation::check
//! ```
//!
//! What go-ftw does, and where we follow or differ, is written down in each module:
//! [`model`] (the YAML shapes of both syntaxes), [`load`] (which files, which ids),
//! [`request`] (the bytes), [`template`] (`{{ … }}` in `data`), [`http`] (the parser),
//! [`expect`] (the checks) and [`overrides`] (known failures per suite).
//!
//! # Example
//!
//! ```
//! use integration::ftw::{self, Outcome};
//! use std::path::Path;
//!
//! let yaml = r#"
//! rule_id: 942100
//! tests:
//!   - test_id: 1
//!     stages:
//!       - input:
//!           method: POST
//!           headers: { Host: localhost }
//!           data: "var=1' or '1'='1"
//!         output:
//!           log: { expect_ids: [942100] }
//! "#;
//! let file = ftw::load::load_str(yaml, Path::new("942100.yaml")).unwrap();
//! let stage = &file.tests[0].stages[0];
//! let bytes = stage.request().unwrap().bytes;
//! assert!(bytes.ends_with(b"Content-Length: 26\r\n\r\nvar=1%27+or+%271%27%3D%271"));
//! let parsed = ftw::http::parse_request(&bytes).unwrap();
//! assert_eq!(parsed.body, b"var=1%27+or+%271%27%3D%271");
//! let outcome = Outcome { status: Some(200), log: r#"[id "942100"] [msg "SQLi"]"#.into(), ..Outcome::default() };
//! assert_eq!(stage.expectation().unwrap().check(&outcome), Ok(()));
//! ```

use std::path::PathBuf;

use thiserror::Error;

pub mod expect;
pub mod frontend;
pub mod http;
pub mod load;
pub mod model;
pub mod overrides;
pub mod request;
pub mod runner;
pub mod template;
pub mod wire;

pub use expect::{Expectation, Failure, Outcome};
pub use http::{BodyFraming, HttpError, HttpRequest, parse_head, parse_request};
pub use load::{FileSelection, Suite, load_dir, load_file};
pub use model::{Input, Output, Stage, Syntax, Test, TestFile};
pub use request::{BuiltRequest, RequestSource, build_request, build_requests};

/// Why a test file (or an override file) could not be loaded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file or directory could not be read.
    #[error("{path}: {source}")]
    Io {
        /// What was being read.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not UTF-8.
    #[error("{path}: not UTF-8")]
    NotUtf8 {
        /// The file.
        path: PathBuf,
    },
    /// The YAML does not parse into the test model.
    #[error("{path}: {message}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parser's message, on one line.
        message: String,
    },
    /// The YAML parses but breaks a rule of the format (no rule id, a stage without input).
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Why a stage's request could not be built.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// `encoded_request` is not valid base64.
    #[error("encoded_request is not valid base64: {0}")]
    EncodedRequest(String),
    /// `encoded_data` is not valid base64.
    #[error("encoded_data is not valid base64: {0}")]
    EncodedData(String),
    /// `data` and `encoded_request` are both set (go-ftw refuses this too).
    #[error("'data' and 'encoded_request' must not be set together")]
    DataAndEncodedRequest,
    /// `data` is a template this crate cannot evaluate.
    #[error("data template: {0}")]
    Template(#[from] TemplateError),
}

/// Why a `data` template could not be evaluated.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TemplateError {
    /// `{{` without `}}`.
    #[error("unclosed action")]
    Unclosed,
    /// Malformed action.
    #[error("syntax: {0}")]
    Syntax(String),
    /// A function or construct outside the supported subset.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The output would exceed [`template::MAX_OUTPUT`].
    #[error("output too large")]
    TooLarge,
}

/// Why a stage's output cannot be turned into checks.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpectationError {
    /// A regex field does not compile.
    #[error("{field}: invalid regex {pattern:?}: {message}")]
    Regex {
        /// The field (`log_contains`, `log.match_regex`, …).
        field: &'static str,
        /// The pattern.
        pattern: String,
        /// The compiler's message, on one line.
        message: String,
    },
    /// A status that is not a 16-bit number.
    #[error("status {0} is out of range")]
    Status(i64),
}

impl Stage {
    /// The bytes this stage sends (see [`request::build_request`]).
    pub fn request(&self) -> Result<BuiltRequest, BuildError> {
        request::build_request(&self.input)
    }

    /// The checks for this stage (see [`Expectation::from_output`]).
    pub fn expectation(&self) -> Result<Expectation, ExpectationError> {
        Expectation::from_output(&self.output)
    }
}
