//! Error types. One enum per concern; every variant carries the context a
//! person needs to fix the input (file, line, address, HTTP status).

use std::io;
use std::path::PathBuf;

/// A string that is not an IP address or prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an IP address or CIDR prefix: {input:?}")]
pub struct ParseCidrError {
    /// What was given.
    pub input: String,
}

/// Why one audit-log line could not become an [`AuditRecord`](crate::AuditRecord).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The line is not JSON, or not the shape of an audit record.
    #[error("malformed audit record: {0}")]
    Json(#[from] serde_json::Error),
    /// The record has no `transaction.client_ip`.
    #[error("audit record has no transaction.client_ip")]
    MissingClientIp,
    /// `client_ip` is not an IP address.
    #[error("audit record client_ip is not an IP address: {0:?}")]
    BadClientIp(String),
}

/// A configuration file that cannot be read or does not make sense.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: io::Error,
    },
    /// TOML syntax or shape error.
    #[error("config {path}: {message}")]
    Parse {
        /// File.
        path: PathBuf,
        /// Parser message (includes line and column).
        message: String,
    },
    /// A value that parses but cannot work (zero capacity, empty source list...).
    #[error("config {path}: {field}: {message}")]
    Invalid {
        /// File.
        path: PathBuf,
        /// Dotted field name.
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// A failed HTTP exchange with Loki or the Kubernetes API server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// Bad base URL in the configuration.
    #[error("bad URL {url:?}: {message}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// Connect, read or write failed (includes timeouts).
    #[error("{method} {url}: {source}")]
    Io {
        /// Method.
        method: String,
        /// URL.
        url: String,
        /// Cause.
        source: io::Error,
    },
    /// The answer is not valid HTTP/1.1.
    #[error("{method} {url}: malformed HTTP response: {message}")]
    Protocol {
        /// Method.
        method: String,
        /// URL.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// The server answered with a status we do not accept.
    #[error("{method} {url}: HTTP {status}: {body}")]
    Status {
        /// Method.
        method: String,
        /// URL.
        url: String,
        /// Status code.
        status: u16,
        /// Start of the response body.
        body: String,
    },
    /// The body is not the JSON we expect.
    #[error("{url}: unexpected response body: {message}")]
    Body {
        /// URL.
        url: String,
        /// What is wrong.
        message: String,
    },
}

impl HttpError {
    /// True for errors worth retrying: I/O, timeouts, 409, 429 and 5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            HttpError::Io { .. } | HttpError::Protocol { .. } => true,
            HttpError::Status { status, .. } => *status == 409 || *status == 429 || *status >= 500,
            HttpError::Url { .. } | HttpError::Body { .. } => false,
        }
    }
}

/// A failed enforcement step. The decisions stay pending and are retried.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnforceError {
    /// `nft` could not be started.
    #[error("cannot run {command}: {source}")]
    Spawn {
        /// Command line.
        command: String,
        /// Cause.
        source: io::Error,
    },
    /// `nft` ran and failed.
    #[error("{command} failed ({status}): {stderr}")]
    Nft {
        /// Command line.
        command: String,
        /// Exit status.
        status: String,
        /// What nft printed.
        stderr: String,
    },
    /// `nft -j` printed something we could not read.
    #[error("cannot read nft JSON output: {0}")]
    NftJson(String),
    /// The Kubernetes API server refused or failed.
    #[error("kubernetes API: {0}")]
    Kube(#[from] HttpError),
}

/// A source that cannot start or keep reading.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// File-system error on the followed file or its state file.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: io::Error,
    },
    /// Loki request failed.
    #[error("loki: {0}")]
    Loki(#[from] HttpError),
    /// Loki websocket failed.
    #[error("loki tail websocket {url}: {message}")]
    WebSocket {
        /// URL.
        url: String,
        /// What happened.
        message: String,
    },
}

/// Everything the daemon can fail with at start-up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A source.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The enforcer.
    #[error(transparent)]
    Enforce(#[from] EnforceError),
    /// Other I/O (metrics listener, replay input).
    #[error("{context}: {source}")]
    Io {
        /// What we were doing.
        context: String,
        /// Cause.
        source: io::Error,
    },
}
