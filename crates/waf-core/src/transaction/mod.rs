//! One HTTP request and its response, as the rules see them.
//!
//! The caller feeds the parts in protocol order and asks for a verdict after each phase:
//!
//! ```text
//! process_connection ─► process_uri ─► add_request_header* ─► process_request_headers  (phase 1)
//!   ─► append_request_body* ─► process_request_body                                   (phase 2)
//!   ─► add_response_header* ─► process_response_headers                                (phase 3)
//!   ─► append_response_body* ─► process_response_body                                  (phase 4)
//!   ─► process_logging                                                                 (phase 5)
//! ```
//!
//! A phase that the caller skips (a request without body, say) runs when a later phase is
//! asked for, so no rule is silently left out. Once a rule interrupts, every later call
//! returns the same [`Intervention`]. Calling a step after a later one is a
//! [`TransactionError`].

mod collect;
mod eval;
mod request;

use std::sync::Arc;

use waf_seclang::{AuditEngineMode, EngineMode, IdRange};

use crate::audit::{AuditRecord, RuleMatch};
use crate::body::MultipartResult;
use crate::error::TransactionError;
use crate::rule::Exclusion;
use crate::storage::{CollectionStorage, PersistentCollection};
use crate::{Intervention, RuleSet};

pub(crate) use collect::utc_parts;
pub(crate) use eval::collection_key;

/// What the caller knows about a transaction before it starts.
#[derive(Debug, Clone, Default)]
pub struct TransactionOptions {
    /// `UNIQUE_ID` and the audit record's id. Empty: derived from `now` and a counter.
    pub id: String,
    /// Wall-clock time in microseconds since the Unix epoch (`TIME*` variables, audit
    /// timestamps, `expirevar`). The engine has no clock of its own.
    pub now_micros: i64,
}

/// How far the transaction has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Stage {
    New,
    Connection,
    Uri,
    RequestHeaders,
    RequestBody,
    ResponseHeaders,
    ResponseBody,
    Logging,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::New => "nothing",
            Stage::Connection => "process_connection",
            Stage::Uri => "process_uri",
            Stage::RequestHeaders => "process_request_headers",
            Stage::RequestBody => "process_request_body",
            Stage::ResponseHeaders => "process_response_headers",
            Stage::ResponseBody => "process_response_body",
            Stage::Logging => "process_logging",
        }
    }
}

/// Name/value pairs in arrival order; names compared case-insensitively by selectors.
pub(crate) type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// The request as received and as parsed.
#[derive(Debug, Default)]
pub(crate) struct RequestData {
    pub client_ip: String,
    pub client_port: u16,
    pub server_ip: String,
    pub server_port: u16,
    pub method: Vec<u8>,
    pub protocol: Vec<u8>,
    pub uri_raw: Vec<u8>,
    pub uri: Vec<u8>,
    pub filename: Vec<u8>,
    pub basename: Vec<u8>,
    pub query_string: Vec<u8>,
    pub request_line: Vec<u8>,
    pub headers: Pairs,
    pub cookies: Pairs,
    pub args_get: Pairs,
    pub args_post: Pairs,
    pub urlencoded_error: bool,
    pub body: Vec<u8>,
    /// Bytes offered beyond the body limit.
    pub body_overflow: bool,
    /// `REQUEST_BODY` is exposed (processor or `forceRequestBodyVariable`).
    pub body_variable: bool,
    pub body_processor: Option<String>,
    pub body_error: Option<String>,
    pub multipart: Option<MultipartResult>,
    pub xml: Option<crate::body::XmlResult>,
}

#[derive(Debug, Default)]
pub(crate) struct ResponseData {
    pub status: u16,
    pub protocol: Vec<u8>,
    pub headers: Pairs,
    pub body: Vec<u8>,
    pub body_overflow: bool,
}

/// Configuration the rules may change for this transaction only (`ctl:`).
#[derive(Debug)]
pub(crate) struct Overrides {
    pub engine: EngineMode,
    pub request_body_access: bool,
    pub request_body_limit: u64,
    pub response_body_access: bool,
    pub response_body_limit: u64,
    pub force_request_body_variable: bool,
    pub body_processor: Option<String>,
    pub audit_engine: AuditEngineMode,
    pub audit_log_parts: String,
    pub removed_ids: Vec<IdRange>,
    pub removed_tags: Vec<String>,
    pub removed_msgs: Vec<String>,
    pub removed_targets: Vec<(TargetRemoval, Arc<[Exclusion]>)>,
}

#[derive(Debug)]
pub(crate) enum TargetRemoval {
    Ids(Vec<IdRange>),
    Tag(String),
    Msg(String),
}

/// `MATCHED_VARS` of the rule being evaluated. Entries are reused from rule to rule, so
/// that recording a match does not allocate once the buffers have grown; they never hold
/// more than the values of one rule's targets.
#[derive(Debug, Default)]
pub(crate) struct MatchedVars {
    entries: Vec<(Vec<u8>, Vec<u8>)>,
    len: usize,
}

impl MatchedVars {
    pub fn clear(&mut self) {
        self.len = 0;
    }

    pub fn push(&mut self, name: &[u8], value: &[u8]) {
        if self.len == self.entries.len() {
            self.entries.push((Vec::new(), Vec::new()));
        }
        let (n, v) = &mut self.entries[self.len];
        n.clear();
        n.extend_from_slice(name);
        v.clear();
        v.extend_from_slice(value);
        self.len += 1;
    }

    pub fn as_slice(&self) -> &[(Vec<u8>, Vec<u8>)] {
        &self.entries[..self.len]
    }
}

/// TX or ENV: lower-cased names to values. Names are shared with the rules that write
/// them (see `RunAction::SetVar::stored_key`).
pub(crate) type Collection = rustc_hash::FxHashMap<Arc<str>, CollectionValue>;

/// A TX or ENV value. Most are short (scores, flags, thresholds) and are kept inline.
pub(crate) type CollectionValue = smallvec::SmallVec<[u8; 24]>;

/// Variables the rules write and the engine's own bookkeeping.
#[derive(Debug, Default)]
pub(crate) struct RuntimeVars {
    /// Hashed for the many single-key reads CRS makes; reading the whole collection
    /// sorts by key, so order is what a `BTreeMap` would give (see `collect.rs`).
    pub tx: Collection,
    pub env: Collection,
    pub persistent: Vec<PersistentCollection>,
    pub matched_var: Vec<u8>,
    pub matched_var_name: Vec<u8>,
    pub matched_vars: MatchedVars,
    pub highest_severity: Option<u8>,
    /// The rule being evaluated, for `RULE.*` and `%{rule.id}`.
    pub current_rule: Option<CurrentRule>,
    pub session_id: Vec<u8>,
    pub user_id: Vec<u8>,
    pub resource_id: Vec<u8>,
}

/// The rule being evaluated: where it sits in the rule set, so `RULE.*` reads its
/// metadata without copying it for every rule.
#[derive(Debug, Clone, Default)]
pub(crate) struct CurrentRule {
    pub phase: u8,
    pub index: usize,
    /// `logdata` once expanded (set when the rule is logged).
    pub logdata: Vec<u8>,
}

/// Where rule processing stands after an `allow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Allowed {
    No,
    /// Rest of the current phase only.
    Phase(u8),
    /// Remaining request phases (1 and 2).
    Request,
    /// Every remaining phase but logging.
    All,
}

/// One request/response exchange, evaluated against a shared [`RuleSet`].
pub struct Transaction {
    rules: Arc<RuleSet>,
    stage: Stage,
    phases_run: u8,
    id: String,
    now_micros: i64,
    started_micros: i64,
    pub(crate) req: RequestData,
    pub(crate) res: ResponseData,
    pub(crate) vars: RuntimeVars,
    pub(crate) overrides: Overrides,
    /// The transformation cache and match buffers of rule evaluation (see `eval.rs`).
    pub(crate) scratch: eval::Scratch,
    pub(crate) allowed: Allowed,
    pub(crate) matches: Vec<RuleMatch>,
    pub(crate) intervention: Option<Intervention>,
    /// Evaluations that failed (regex step limit, unsupported operator), as messages.
    pub(crate) engine_errors: Vec<String>,
    storage: Option<Arc<dyn CollectionStorage>>,
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("id", &self.id)
            .field("stage", &self.stage)
            .field("intervention", &self.intervention)
            .finish_non_exhaustive()
    }
}

/// The buffers a finished transaction leaves to the next one on its thread: the
/// transformation cache and variable summaries, the match buffers and the TX map keep
/// their allocations (emptied), so that a transaction does not allocate and free them
/// again. A proxy runs one transaction after another on each worker thread.
struct Recycled {
    scratch: eval::Scratch,
    tx: Collection,
    matched_vars: MatchedVars,
}

/// Buffers kept per thread: as many as transactions that usually overlap on one worker.
const RECYCLED_MAX: usize = 16;

/// Beyond this many TX entries (a request that made rules write unusually many), the map
/// is not kept: keeping it would hold its memory for the life of the thread.
const RECYCLED_TX_MAX: usize = 1024;

thread_local! {
    static RECYCLED: std::cell::RefCell<Vec<Recycled>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if self.vars.tx.capacity() > RECYCLED_TX_MAX || !self.scratch.recyclable() {
            return;
        }
        let mut recycled = Recycled {
            scratch: std::mem::take(&mut self.scratch),
            tx: std::mem::take(&mut self.vars.tx),
            matched_vars: std::mem::take(&mut self.vars.matched_vars),
        };
        recycled.scratch.clear();
        recycled.tx.clear();
        recycled.matched_vars.clear();
        // During thread exit the pool may be gone already; the buffers are then freed.
        let _ = RECYCLED.try_with(|pool| {
            if let Ok(mut pool) = pool.try_borrow_mut()
                && pool.len() < RECYCLED_MAX
            {
                pool.push(recycled);
            }
        });
    }
}

impl Transaction {
    /// Starts a transaction. `rules` is shared; the transaction owns only its scratch space.
    pub fn new(rules: Arc<RuleSet>, options: TransactionOptions) -> Transaction {
        let c = &rules.config;
        let overrides = Overrides {
            engine: c.engine,
            request_body_access: c.request_body_access,
            request_body_limit: c.request_body_limit,
            response_body_access: c.response_body_access,
            response_body_limit: c.response_body_limit,
            force_request_body_variable: false,
            body_processor: None,
            audit_engine: c.audit_engine,
            audit_log_parts: c.audit_log_parts.clone(),
            removed_ids: Vec::new(),
            removed_tags: Vec::new(),
            removed_msgs: Vec::new(),
            removed_targets: Vec::new(),
        };
        let recycled = RECYCLED
            .try_with(|pool| pool.try_borrow_mut().ok().and_then(|mut p| p.pop()))
            .ok()
            .flatten()
            .unwrap_or_else(|| Recycled {
                scratch: eval::Scratch::default(),
                tx: Collection::with_capacity_and_hasher(rules.tx_names, Default::default()),
                matched_vars: MatchedVars::default(),
            });
        let id = if options.id.is_empty() {
            crate::audit::default_id(options.now_micros)
        } else {
            options.id
        };
        Transaction {
            rules,
            stage: Stage::New,
            phases_run: 0,
            id,
            now_micros: options.now_micros,
            started_micros: options.now_micros,
            req: RequestData::default(),
            res: ResponseData::default(),
            vars: RuntimeVars {
                tx: recycled.tx,
                matched_vars: recycled.matched_vars,
                ..RuntimeVars::default()
            },
            overrides,
            scratch: recycled.scratch,
            allowed: Allowed::No,
            matches: Vec::new(),
            intervention: None,
            engine_errors: Vec::new(),
            storage: None,
        }
    }

    /// Persistent collections (`initcol`) are read from and written to this store.
    pub fn with_storage(mut self, storage: Arc<dyn CollectionStorage>) -> Transaction {
        self.storage = Some(storage);
        self
    }

    /// The transaction id (`UNIQUE_ID`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The intervention, if a rule interrupted the transaction.
    pub fn intervention(&self) -> Option<&Intervention> {
        self.intervention.as_ref()
    }

    /// Every logging rule that matched so far, in order.
    pub fn matched_rules(&self) -> &[RuleMatch] {
        &self.matches
    }

    /// Errors met while evaluating (regex step limit, unsupported operators).
    pub fn engine_errors(&self) -> &[String] {
        &self.engine_errors
    }

    /// The value of a `TX` variable, for tests and embedders.
    pub fn tx_value(&self, name: &str) -> Option<&[u8]> {
        self.vars
            .tx
            .get(name.to_ascii_lowercase().as_str())
            .map(|v| v.as_slice())
    }

    /// Whether the response body will be inspected: `SecResponseBodyAccess` (or
    /// `ctl:responseBodyAccess` in the rules so far) and a Content-Type that
    /// `SecResponseBodyMimeType` names. Connectors ask after the response headers, to
    /// decide whether to hold the body.
    pub fn inspects_response_body(&self) -> bool {
        self.overrides.response_body_access && self.response_body_inspectable()
    }

    /// The request body limit in force (`SecRequestBodyLimit`, or `ctl:requestBodyLimit`).
    pub fn request_body_limit(&self) -> u64 {
        self.overrides.request_body_limit
    }

    /// The response body limit in force (`SecResponseBodyLimit`, or `ctl:responseBodyLimit`).
    pub fn response_body_limit(&self) -> u64 {
        self.overrides.response_body_limit
    }

    /// Updates the clock (for `DURATION`, measured from the time given at creation, and for
    /// `TIME*` in later phases).
    pub fn set_now(&mut self, now_micros: i64) {
        self.now_micros = now_micros;
    }

    fn advance(&mut self, call: &'static str, to: Stage) -> Result<(), TransactionError> {
        if self.stage >= to {
            return Err(TransactionError::OutOfOrder {
                call,
                state: self.stage.name(),
            });
        }
        self.stage = to;
        Ok(())
    }

    /// Client and server addresses of the connection.
    pub fn process_connection(
        &mut self,
        client_ip: &str,
        client_port: u16,
        server_ip: &str,
        server_port: u16,
    ) -> Result<(), TransactionError> {
        self.advance("process_connection", Stage::Connection)?;
        self.req.client_ip = client_ip.to_string();
        self.req.client_port = client_port;
        self.req.server_ip = server_ip.to_string();
        self.req.server_port = server_port;
        Ok(())
    }

    /// The request line: `uri` as sent (origin or absolute form), the method, and the
    /// protocol version (`1.1`, or `HTTP/1.1`).
    pub fn process_uri(
        &mut self,
        uri: &[u8],
        method: &[u8],
        http_version: &[u8],
    ) -> Result<(), TransactionError> {
        self.advance("process_uri", Stage::Uri)?;
        self.set_request_line(uri, method, http_version);
        Ok(())
    }

    /// One request header; call once per header line, duplicates included.
    pub fn add_request_header(
        &mut self,
        name: &[u8],
        value: &[u8],
    ) -> Result<(), TransactionError> {
        if self.stage > Stage::Uri {
            return Err(TransactionError::OutOfOrder {
                call: "add_request_header",
                state: self.stage.name(),
            });
        }
        self.req.headers.push((name.to_vec(), value.to_vec()));
        Ok(())
    }

    /// Runs phase 1 (request headers).
    pub fn process_request_headers(&mut self) -> Result<Option<Intervention>, TransactionError> {
        self.advance("process_request_headers", Stage::RequestHeaders)?;
        self.prepare_request_headers();
        Ok(self.run_through(1))
    }

    /// Buffers request body bytes, up to the body limit. Returns false once the limit
    /// was exceeded (what happens then is decided in [`Transaction::process_request_body`]
    /// by `SecRequestBodyLimitAction`).
    pub fn append_request_body(&mut self, data: &[u8]) -> Result<bool, TransactionError> {
        if self.stage > Stage::RequestHeaders {
            return Err(TransactionError::OutOfOrder {
                call: "append_request_body",
                state: self.stage.name(),
            });
        }
        self.scratch.cache.clear();
        Ok(self.buffer_request_body(data))
    }

    /// Parses the body with its processor and runs phase 2.
    pub fn process_request_body(&mut self) -> Result<Option<Intervention>, TransactionError> {
        if self.stage < Stage::RequestHeaders {
            self.prepare_request_headers();
        }
        self.advance("process_request_body", Stage::RequestBody)?;
        Ok(self.run_through(2))
    }

    /// One response header.
    pub fn add_response_header(
        &mut self,
        name: &[u8],
        value: &[u8],
    ) -> Result<(), TransactionError> {
        if self.stage >= Stage::ResponseHeaders {
            return Err(TransactionError::OutOfOrder {
                call: "add_response_header",
                state: self.stage.name(),
            });
        }
        self.scratch.cache.clear();
        self.res.headers.push((name.to_vec(), value.to_vec()));
        Ok(())
    }

    /// Runs phase 3 with the response status and protocol (`HTTP/1.1`).
    pub fn process_response_headers(
        &mut self,
        status: u16,
        protocol: &[u8],
    ) -> Result<Option<Intervention>, TransactionError> {
        if self.stage < Stage::RequestHeaders {
            self.prepare_request_headers();
        }
        self.advance("process_response_headers", Stage::ResponseHeaders)?;
        self.res.status = status;
        self.res.protocol = protocol.to_vec();
        Ok(self.run_through(3))
    }

    /// Buffers response body bytes up to the response body limit; returns false beyond it.
    pub fn append_response_body(&mut self, data: &[u8]) -> Result<bool, TransactionError> {
        if self.stage > Stage::ResponseHeaders {
            return Err(TransactionError::OutOfOrder {
                call: "append_response_body",
                state: self.stage.name(),
            });
        }
        if !self.inspects_response_body() {
            return Ok(true);
        }
        self.scratch.cache.clear();
        let room =
            (self.overrides.response_body_limit as usize).saturating_sub(self.res.body.len());
        if data.len() > room {
            self.res.body.extend_from_slice(&data[..room]);
            self.res.body_overflow = true;
            return Ok(false);
        }
        self.res.body.extend_from_slice(data);
        Ok(true)
    }

    /// Runs phase 4.
    pub fn process_response_body(&mut self) -> Result<Option<Intervention>, TransactionError> {
        if self.stage < Stage::RequestHeaders {
            self.prepare_request_headers();
        }
        self.advance("process_response_body", Stage::ResponseBody)?;
        if self.res.body_overflow
            && self.rules.config.response_body_limit_action == waf_seclang::LimitAction::Reject
            && self.intervention.is_none()
            && self.overrides.engine == EngineMode::On
        {
            self.intervention = Some(Intervention::internal(
                500,
                "response body exceeds SecResponseBodyLimit",
                4,
            ));
        }
        Ok(self.run_through(4))
    }

    /// Runs phase 5 (logging). Always runs, even after an interruption.
    pub fn process_logging(&mut self) -> Result<(), TransactionError> {
        if self.stage < Stage::RequestHeaders {
            self.prepare_request_headers();
        }
        self.advance("process_logging", Stage::Logging)?;
        if self.intervention.is_none() {
            self.run_through(4);
        }
        self.run_phase(5);
        self.phases_run = 5;
        self.persist_collections();
        Ok(())
    }

    /// Runs every phase not yet run up to `last`, stopping at an interruption.
    fn run_through(&mut self, last: u8) -> Option<Intervention> {
        while self.phases_run < last && self.intervention.is_none() {
            let phase = self.phases_run + 1;
            if phase == 2 {
                // The body processor adds request data: cached transformations keyed by
                // buffer addresses must not outlive the buffers they describe.
                self.scratch.cache.clear_for_body();
                self.process_body();
            }
            self.run_phase(phase);
            self.phases_run = phase;
        }
        self.phases_run = self.phases_run.max(last);
        self.intervention.clone()
    }

    /// The audit record, when the transaction is relevant under `SecAuditEngine` (or
    /// always, with `On`). Call after [`Transaction::process_logging`].
    pub fn audit_record(&self) -> Option<AuditRecord> {
        let relevant = match self.overrides.audit_engine {
            AuditEngineMode::Off => false,
            AuditEngineMode::On => true,
            AuditEngineMode::RelevantOnly => self.is_relevant(),
        };
        relevant.then(|| self.build_audit_record())
    }

    /// The audit record whether or not `SecAuditEngine` finds the transaction relevant
    /// (for tools that always want one, such as `waf eval --json`).
    pub fn build_audit_record(&self) -> AuditRecord {
        crate::audit::build_record(self)
    }

    fn is_relevant(&self) -> bool {
        if self.intervention.is_some() || self.matches.iter().any(|m| m.audit_log) {
            return true;
        }
        let status = self
            .intervention
            .as_ref()
            .map_or(self.res.status, |i| i.status);
        match (&self.rules.config.audit_relevant_status, status) {
            (Some(p), s) if s != 0 => p.is_match(s.to_string().as_bytes()).unwrap_or(false),
            _ => false,
        }
    }

    pub(crate) fn rules(&self) -> &RuleSet {
        &self.rules
    }

    pub(crate) fn rules_arc(&self) -> &Arc<RuleSet> {
        &self.rules
    }

    pub(crate) fn now_micros(&self) -> i64 {
        self.now_micros
    }

    /// Microseconds between the transaction's start and the latest [`Transaction::set_now`].
    pub(crate) fn duration_micros(&self) -> i64 {
        self.now_micros.saturating_sub(self.started_micros).max(0)
    }

    fn persist_collections(&mut self) {
        if let Some(storage) = &self.storage {
            for c in &self.vars.persistent {
                storage.save(
                    c,
                    self.now_micros / 1_000_000,
                    self.rules.config.collection_timeout,
                );
            }
        }
    }

    pub(crate) fn load_collection(&mut self, var: crate::variables::Var, key: &[u8]) {
        let key = String::from_utf8_lossy(key).into_owned();
        let now = self.now_micros / 1_000_000;
        let loaded = match &self.storage {
            Some(s) => s.load(var, &key, now),
            None => PersistentCollection::new(var, key),
        };
        self.vars.persistent.retain(|c| c.var != var);
        self.vars.persistent.push(loaded);
    }
}
