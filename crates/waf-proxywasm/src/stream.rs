//! One HTTP stream through the engine, independent of proxy-wasm.
//!
//! The filter's callbacks translate Envoy's events into the calls below and each [`Step`]
//! back into a proxy-wasm `Action`. Keeping this free of host calls lets the host build
//! test the whole stream logic: chunk boundaries, limits, trailers and end of stream.
//!
//! ```text
//! request headers ──► phase 1 ──┬─ end of stream, or body not inspected ─► phase 2
//!                               └─ otherwise Continue; the body is held instead
//! request body chunk* ──► Pause (Envoy buffers) until end of stream or trailers ─► phase 2
//!                         past the limit: Reject → 413, ProcessPartial → phase 2 now
//! response headers ──► phase 3 ──┬─ end of stream (no body, HEAD, 204, 304) ─► phase 4
//!                                ├─ body not inspected (type, access) ─► Continue
//!                                └─ otherwise Pause: the headers wait with the body
//! response body chunk* ──► Pause (Envoy buffers) until end of stream or trailers ─► phase 4
//!                          past the limit: Reject → 500 (engine On), else phase 4 now
//!                          on the first part, and the rest streams through
//! log ──► phase 5, error-log lines, audit record
//! ```
//!
//! Why request headers are never paused: by default Envoy's wasm host turns a paused
//! header callback into "stop all iteration", after which the filter gets no body
//! callbacks until it resumes the stream itself. So the request head goes on to the
//! upstream connection while the body is held back in Envoy's buffer; no request reaches
//! the backend complete before phase 2 decided, and on a block Envoy resets the upstream
//! stream. Each byte is copied into the engine once, never past the body limit: the filter
//! asks [`Stream::on_request_body`] which range of Envoy's buffer it still needs.
//!
//! Response headers are held when the transaction will inspect the response body
//! (`Transaction::inspects_response_body`, asked after phase 3): Envoy 1.35 and later
//! honour a paused header callback as a plain "stop iteration" when the Wasm filter's
//! `config` sets `allow_on_headers_stop_iteration: true`, so the headers wait in Envoy
//! while the body callbacks go on. When phase 4 passes, the step is `Continue` and Envoy
//! sends the headers and the buffered body on together; when it blocks, no response byte
//! has left Envoy yet, and the filter's local reply (`sendLocalReply` from the encode
//! path) goes to the client whole, with the rule's status, instead of the response. At
//! most the body limit (plus the chunk that crossed it) waits in Envoy's buffer; with
//! `ProcessPartial` the rest streams through once phase 4 passed on the first part.
//! Responses whose body is not inspected are never held, and neither are responses
//! without a body: phase 4 runs at their headers.
//!
//! Without that Envoy setting a held response gets no body callbacks at all; the filter
//! notices (see [`crate::hold`]) and calls [`Stream::with_response_hold`] with `false` for
//! later streams. Then the headers go on at once and the body alone is held: a phase-4
//! block can only reset the stream, and the body the rules objected to never reaches the
//! client.
//!
//! After a [`Step::Block`] every later call returns [`Step::Continue`]: the local reply
//! the filter sends goes through the same callbacks and must pass.

use std::sync::Arc;

use waf_core::{
    Intervention, InterventionAction, RuleSet, Transaction, TransactionError, TransactionOptions,
};

use crate::config::FailureMode;

/// What the filter should do after a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Let the data through.
    Continue,
    /// Hold (and, for bodies, buffer) the data: the rules need more.
    Pause,
    /// Answer the client locally and stop the stream.
    Block(Block),
}

/// A local reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub status: u16,
    /// The deciding rule; 0 when the engine decided (body limit) or failed.
    pub rule_id: u64,
    pub phase: u8,
    /// `Location` of a redirect.
    pub location: Option<String>,
    /// The engine itself failed (see [`FailureMode`]).
    pub engine_failure: bool,
}

/// Addresses of the downstream connection.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    pub client_ip: String,
    pub client_port: u16,
    pub server_ip: String,
    pub server_port: u16,
}

/// The request head as Envoy presents it.
#[derive(Debug, Clone, Default)]
pub struct RequestHead {
    pub method: Vec<u8>,
    /// `:path`: the request target as sent.
    pub path: Vec<u8>,
    /// `HTTP/1.1`, `HTTP/2`, ...
    pub protocol: String,
    /// Every header, pseudo-headers included (`:authority` becomes `Host`).
    pub headers: Vec<(String, Vec<u8>)>,
}

/// What the stream leaves for the log once it is over.
#[derive(Debug, Default)]
pub struct Finished {
    /// ModSecurity-style error-log lines, one per logging rule that matched.
    pub error_lines: Vec<String>,
    /// The JSON audit record, when `SecAuditEngine` finds the transaction relevant.
    pub audit_json: Option<String>,
    /// Evaluation errors (regex step limits and the like).
    pub engine_errors: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Progress {
    Start,
    /// Phase 1 done; the request body is being buffered.
    RequestBody,
    /// Phase 2 done.
    RequestDone,
    /// Phase 3 done; the response body is being buffered.
    ResponseBody,
    /// Phase 4 done, or the response body is not inspected.
    ResponseDone,
    Logged,
}

/// One request/response exchange and its transaction.
pub struct Stream {
    tx: Transaction,
    rules: Arc<RuleSet>,
    failure_mode: FailureMode,
    fault_header: Option<String>,
    progress: Progress,
    /// A block was sent (or the engine failed under `allow`): every later call continues.
    done: bool,
    blocked: Option<Block>,
    engine_failed: bool,
    request_fed: usize,
    response_fed: usize,
    protocol: String,
    /// Hold the response headers while the body is inspected (see the module docs).
    hold_response: bool,
    /// The response headers wait for phase 4.
    response_held: bool,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("progress", &self.progress)
            .field("blocked", &self.blocked)
            .field("response_held", &self.response_held)
            .finish_non_exhaustive()
    }
}

impl Stream {
    pub fn new(
        rules: Arc<RuleSet>,
        failure_mode: FailureMode,
        fault_header: Option<String>,
        options: TransactionOptions,
    ) -> Stream {
        Stream {
            tx: Transaction::new(Arc::clone(&rules), options),
            rules,
            failure_mode,
            fault_header,
            progress: Progress::Start,
            done: false,
            blocked: None,
            engine_failed: false,
            request_fed: 0,
            response_fed: 0,
            protocol: String::new(),
            hold_response: true,
            response_held: false,
        }
    }

    /// Whether to hold the response headers while the response body is inspected (the
    /// default; see the module docs). `false` when the host would not deliver the body
    /// of a held response: the headers then go on at once and only the body is held.
    pub fn with_response_hold(mut self, hold: bool) -> Stream {
        self.hold_response = hold;
        self
    }

    /// Whether the response headers are held, waiting for phase 4: from the response
    /// headers callback that returned [`Step::Pause`] until the body callback (or the
    /// trailers) that returns something else.
    pub fn response_held(&self) -> bool {
        self.response_held
    }

    /// The transaction, for embedders and tests.
    pub fn transaction(&self) -> &Transaction {
        &self.tx
    }

    /// The block sent, if any.
    pub fn blocked(&self) -> Option<&Block> {
        self.blocked.as_ref()
    }

    /// Whether the engine failed on this stream.
    pub fn engine_failed(&self) -> bool {
        self.engine_failed
    }

    /// Request headers: phase 1, and phase 2 too when there is no body to wait for.
    pub fn on_request_headers(
        &mut self,
        connection: &Connection,
        head: &RequestHead,
        end_of_stream: bool,
    ) -> Step {
        if self.done || self.progress != Progress::Start {
            return Step::Continue;
        }
        self.protocol = head.protocol.clone();
        if let Some(fault) = &self.fault_header
            && head
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(fault))
        {
            return self.fail(1);
        }
        let result = self.feed_request_head(connection, head);
        let verdict = match result.and_then(|()| self.tx.process_request_headers()) {
            Ok(v) => v,
            Err(_) => return self.fail(1),
        };
        self.progress = Progress::RequestBody;
        if let Some(i) = verdict {
            return self.block(&i);
        }
        if end_of_stream || !self.rules.config().request_body_access {
            return self.finish_request_body();
        }
        Step::Continue
    }

    fn feed_request_head(
        &mut self,
        connection: &Connection,
        head: &RequestHead,
    ) -> Result<(), TransactionError> {
        self.tx.process_connection(
            &connection.client_ip,
            connection.client_port,
            &connection.server_ip,
            connection.server_port,
        )?;
        // A CONNECT request has no `:path`; its target is the authority (`host:port`).
        let authority = head
            .headers
            .iter()
            .find(|(n, _)| n == ":authority")
            .map(|(_, v)| v.as_slice());
        let target = match authority {
            Some(a) if head.path.is_empty() && head.method == b"CONNECT" => a,
            _ => head.path.as_slice(),
        };
        self.tx
            .process_uri(target, &head.method, head.protocol.as_bytes())?;
        let has_host = head
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("host"));
        for (name, value) in &head.headers {
            if name == ":authority" && !has_host {
                self.tx.add_request_header(b"Host", value)?;
            } else if !name.starts_with(':') {
                self.tx.add_request_header(name.as_bytes(), value)?;
            }
        }
        Ok(())
    }

    /// A request body callback. `buffered` is how many bytes Envoy holds for us (all of
    /// the body so far, since every earlier call paused); `read(start, len)` copies a
    /// range of that buffer. Only bytes not yet seen, and none past the limit, are read.
    pub fn on_request_body(
        &mut self,
        buffered: usize,
        end_of_stream: bool,
        read: impl FnOnce(usize, usize) -> Option<Vec<u8>>,
    ) -> Step {
        if self.done || self.progress != Progress::RequestBody {
            return Step::Continue;
        }
        let limit = self.tx.request_body_limit();
        let tx = &mut self.tx;
        match feed_body(&mut self.request_fed, limit, buffered, read, |b| {
            tx.append_request_body(b)
        }) {
            Err(()) => self.fail(2),
            Ok(done) if done || end_of_stream => self.finish_request_body(),
            Ok(_) => Step::Pause,
        }
    }

    /// Request trailers end the request body (HTTP/2 and chunked HTTP/1.1).
    pub fn on_request_trailers(&mut self) -> Step {
        if self.done || self.progress != Progress::RequestBody {
            return Step::Continue;
        }
        self.finish_request_body()
    }

    fn finish_request_body(&mut self) -> Step {
        self.progress = Progress::RequestDone;
        match self.tx.process_request_body() {
            Ok(Some(i)) => self.block(&i),
            Ok(None) => Step::Continue,
            Err(_) => self.fail(2),
        }
    }

    /// Response headers: phase 3, and phase 4 too when there is no body. When the body
    /// will be inspected the step is [`Step::Pause`]: the headers wait with the body until
    /// phase 4 decided (see the module docs).
    pub fn on_response_headers(
        &mut self,
        headers: &[(String, Vec<u8>)],
        end_of_stream: bool,
    ) -> Step {
        if self.done || self.progress >= Progress::ResponseBody {
            return Step::Continue;
        }
        if self.progress == Progress::Start {
            // A response without a request we saw (a local reply by another filter).
            return Step::Continue;
        }
        let mut status = 0u16;
        for (name, value) in headers {
            if name == ":status" {
                status = std::str::from_utf8(value)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
            } else if !name.starts_with(':')
                && self.tx.add_response_header(name.as_bytes(), value).is_err()
            {
                return self.fail(3);
            }
        }
        self.progress = Progress::ResponseBody;
        let protocol = if self.protocol.is_empty() {
            "HTTP/1.1".to_string()
        } else {
            self.protocol.clone()
        };
        match self
            .tx
            .process_response_headers(status, protocol.as_bytes())
        {
            Ok(Some(i)) => return self.block(&i),
            Ok(None) => {}
            Err(_) => return self.fail(3),
        }
        if end_of_stream {
            return self.finish_response_body();
        }
        // Asked after phase 3, whose rules may have switched response body access.
        if !self.tx.inspects_response_body() {
            self.progress = Progress::ResponseDone;
            return Step::Continue;
        }
        if self.hold_response {
            self.response_held = true;
            return Step::Pause;
        }
        Step::Continue
    }

    /// A response body callback; see [`Stream::on_request_body`]. Any step but
    /// [`Step::Pause`] ends the hold: `Continue` sends the held headers and body on,
    /// `Block` replaces them with the local reply.
    pub fn on_response_body(
        &mut self,
        buffered: usize,
        end_of_stream: bool,
        read: impl FnOnce(usize, usize) -> Option<Vec<u8>>,
    ) -> Step {
        if self.done || self.progress != Progress::ResponseBody {
            return Step::Continue;
        }
        let limit = self.tx.response_body_limit();
        let tx = &mut self.tx;
        match feed_body(&mut self.response_fed, limit, buffered, read, |b| {
            tx.append_response_body(b)
        }) {
            Err(()) => self.fail(4),
            Ok(done) if done || end_of_stream => self.finish_response_body(),
            Ok(_) => Step::Pause,
        }
    }

    /// Response trailers end the response body.
    pub fn on_response_trailers(&mut self) -> Step {
        if self.done || self.progress != Progress::ResponseBody {
            return Step::Continue;
        }
        self.finish_response_body()
    }

    fn finish_response_body(&mut self) -> Step {
        self.progress = Progress::ResponseDone;
        self.response_held = false;
        match self.tx.process_response_body() {
            Ok(Some(i)) => self.block(&i),
            Ok(None) => Step::Continue,
            Err(_) => self.fail(4),
        }
    }

    /// The stream is over: phase 5, then what goes to the log.
    pub fn finish(&mut self) -> Finished {
        if self.progress == Progress::Start || self.progress == Progress::Logged {
            return Finished::default();
        }
        self.progress = Progress::Logged;
        let _ = self.tx.process_logging();
        let interruption = self
            .tx
            .intervention()
            .map(|i| (i.rule_id, i.status, i.phase));
        let error_lines = self
            .tx
            .matched_rules()
            .iter()
            .filter(|m| m.log)
            .map(|m| {
                let interrupted = interruption
                    .filter(|(id, _, _)| *id == m.id)
                    .map(|(_, status, phase)| (status, phase));
                m.error_log_line(interrupted)
            })
            .collect();
        Finished {
            error_lines,
            audit_json: self.tx.audit_record().map(|r| r.to_json()),
            engine_errors: self.tx.engine_errors().len(),
        }
    }

    fn block(&mut self, intervention: &Intervention) -> Step {
        self.done = true;
        let location = match intervention.action {
            InterventionAction::Redirect => intervention.redirect.clone(),
            _ => None,
        };
        let status = match (intervention.status, &location) {
            (s, _) if (100..=599).contains(&s) => s,
            (_, Some(_)) => 302,
            _ => 403,
        };
        let block = Block {
            status,
            rule_id: intervention.rule_id,
            phase: intervention.phase,
            location,
            engine_failure: false,
        };
        self.blocked = Some(block.clone());
        Step::Block(block)
    }

    fn fail(&mut self, phase: u8) -> Step {
        self.engine_failed = true;
        self.done = true;
        self.response_held = false;
        match self.failure_mode {
            FailureMode::Allow => Step::Continue,
            FailureMode::Deny => {
                let block = Block {
                    status: 500,
                    rule_id: 0,
                    phase,
                    location: None,
                    engine_failure: true,
                };
                self.blocked = Some(block.clone());
                Step::Block(block)
            }
        }
    }
}

/// Feeds the bytes of a body buffer not yet seen, and none past `limit` (plus one byte, which
/// is enough for the engine to see the overflow), to `append`. `fed` counts the bytes fed
/// so far. Returns whether the body is complete as far as the engine is concerned (the limit
/// was reached); `Err` when the host could not read its buffer or the engine refused.
fn feed_body<E>(
    fed: &mut usize,
    limit: u64,
    buffered: usize,
    read: impl FnOnce(usize, usize) -> Option<Vec<u8>>,
    mut append: impl FnMut(&[u8]) -> Result<bool, E>,
) -> Result<bool, ()> {
    let limit = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    let wanted = buffered
        .saturating_sub(*fed)
        .min(limit.saturating_sub(*fed));
    let mut within_limit = true;
    if wanted > 0 {
        let bytes = read(*fed, wanted).ok_or(())?;
        *fed += bytes.len();
        within_limit = append(&bytes).map_err(|_| ())?;
    }
    Ok(!within_limit || *fed >= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"
SecRuleEngine On
SecRequestBodyAccess On
SecRequestBodyLimit 16
SecRequestBodyLimitAction Reject
SecResponseBodyAccess On
SecResponseBodyMimeType text/plain
SecRule ARGS "@contains attack" "id:1,phase:2,deny,status:403,log,msg:'attack'"
SecRule REQUEST_HEADERS:X-Bad "@rx ." "id:2,phase:1,deny,status:418,log"
SecRule REQUEST_BODY "@contains evil" "id:3,phase:2,deny,log"
SecRule RESPONSE_BODY "@contains secret" "id:4,phase:4,deny,status:502,log"
SecRule RESPONSE_STATUS "@streq 299" "id:5,phase:3,deny,status:403,log"
SecRule REQUEST_HEADERS:X-Redirect "@rx ." "id:6,phase:1,redirect:http://example.invalid/"
SecRule ARGS:look "@rx ." "id:7,phase:2,pass,log,msg:'seen'"
SecRule RESPONSE_HEADERS:X-Leak "@rx ." "id:8,phase:4,deny,status:451,log"
"#;

    fn stream_with(rules: &str, mode: FailureMode) -> Stream {
        let rules = Arc::new(RuleSet::from_text("t.conf", rules).unwrap());
        Stream::new(
            rules,
            mode,
            Some("x-fault".into()),
            TransactionOptions::default(),
        )
    }

    fn stream() -> Stream {
        stream_with(RULES, FailureMode::Deny)
    }

    fn head(method: &str, path: &str, headers: &[(&str, &str)]) -> RequestHead {
        let mut all = vec![(":authority".to_string(), b"example.com".to_vec())];
        all.extend(
            headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())),
        );
        RequestHead {
            method: method.as_bytes().to_vec(),
            path: path.as_bytes().to_vec(),
            protocol: "HTTP/1.1".into(),
            headers: all,
        }
    }

    /// Feeds `chunks` of the request body the way Envoy does while we pause: each call
    /// sees the whole buffer. Returns the last step and how many bytes were read.
    fn feed_body(s: &mut Stream, chunks: &[&[u8]], end: bool) -> (Step, usize) {
        feed(s, chunks, end, |s, buffered, last, read| {
            s.on_request_body(buffered, last, read)
        })
    }

    /// [`feed_body`] for the response.
    fn feed_response(s: &mut Stream, chunks: &[&[u8]], end: bool) -> (Step, usize) {
        feed(s, chunks, end, |s, buffered, last, read| {
            s.on_response_body(buffered, last, read)
        })
    }

    /// Feeds `chunks` to one of the body callbacks (buffered size, end of stream, reader).
    fn feed(
        s: &mut Stream,
        chunks: &[&[u8]],
        end: bool,
        callback: impl Fn(
            &mut Stream,
            usize,
            bool,
            &mut dyn FnMut(usize, usize) -> Option<Vec<u8>>,
        ) -> Step,
    ) -> (Step, usize) {
        let mut buffer = Vec::new();
        let mut read_bytes = 0;
        let mut step = Step::Pause;
        for (i, chunk) in chunks.iter().enumerate() {
            buffer.extend_from_slice(chunk);
            let last = end && i + 1 == chunks.len();
            step = callback(s, buffer.len(), last, &mut |start, len| {
                read_bytes += len;
                buffer.get(start..start + len).map(<[u8]>::to_vec)
            });
            if step != Step::Pause {
                break;
            }
        }
        (step, read_bytes)
    }

    fn blocked_status(step: &Step) -> Option<u16> {
        match step {
            Step::Block(b) => Some(b.status),
            _ => None,
        }
    }

    #[test]
    fn benign_request_without_body_passes_at_headers() {
        let mut s = stream();
        let step = s.on_request_headers(&Connection::default(), &head("GET", "/?q=1", &[]), true);
        assert_eq!(step, Step::Continue);
        let out = s.finish();
        assert!(out.error_lines.is_empty());
    }

    #[test]
    fn attack_in_query_is_blocked_with_the_rule_status() {
        let mut s = stream();
        let step = s.on_request_headers(
            &Connection::default(),
            &head("GET", "/?q=attack", &[]),
            true,
        );
        assert_eq!(blocked_status(&step), Some(403));
        // The local reply passes through the response callbacks untouched.
        assert_eq!(
            s.on_response_headers(&[(":status".into(), b"403".to_vec())], false),
            Step::Continue
        );
        let out = s.finish();
        assert_eq!(out.error_lines.len(), 1);
        assert!(
            out.error_lines[0].contains("Access denied with code 403 (phase 2)"),
            "{}",
            out.error_lines[0]
        );
        assert!(out.audit_json.is_some());
    }

    #[test]
    fn phase_one_block_uses_the_rule_status() {
        let mut s = stream();
        let step = s.on_request_headers(
            &Connection::default(),
            &head("GET", "/", &[("X-Bad", "1")]),
            false,
        );
        assert_eq!(blocked_status(&step), Some(418));
        // Body chunks after a block are not read.
        let (step, read) = feed_body(&mut s, &[b"abc"], true);
        assert_eq!((step, read), (Step::Continue, 0));
    }

    #[test]
    fn attack_split_across_chunks_is_blocked() {
        // Regression: a match that straddles a chunk boundary must still be seen.
        let mut s = stream();
        let h = head(
            "POST",
            "/",
            &[("Content-Type", "application/x-www-form-urlencoded")],
        );
        assert_eq!(
            s.on_request_headers(&Connection::default(), &h, false),
            Step::Continue
        );
        let (step, read) = feed_body(&mut s, &[b"a=at", b"ta", b"ck"], true);
        assert_eq!(blocked_status(&step), Some(403));
        assert_eq!(read, 8, "each byte is copied once");
    }

    #[test]
    fn body_ending_in_trailers_runs_phase_two_at_the_trailers() {
        let mut s = stream();
        let h = head("POST", "/", &[("Content-Type", "text/plain")]);
        assert_eq!(
            s.on_request_headers(&Connection::default(), &h, false),
            Step::Continue
        );
        let (step, _) = feed_body(&mut s, &[b"so ", b"evil"], false);
        assert_eq!(step, Step::Pause);
        assert_eq!(blocked_status(&s.on_request_trailers()), Some(403));
    }

    #[test]
    fn body_over_the_limit_is_rejected_without_reading_past_it() {
        let mut s = stream();
        let h = head("POST", "/", &[("Content-Type", "text/plain")]);
        assert_eq!(
            s.on_request_headers(&Connection::default(), &h, false),
            Step::Continue
        );
        let (step, read) = feed_body(&mut s, &[&[b'a'; 10], &[b'b'; 10], &[b'c'; 100]], true);
        assert_eq!(blocked_status(&step), Some(413));
        assert_eq!(read, 17, "limit 16, plus one byte to see the overflow");
    }

    #[test]
    fn body_over_the_limit_is_inspected_partially_with_process_partial() {
        let rules = RULES.replace(
            "SecRequestBodyLimitAction Reject",
            "SecRequestBodyLimitAction ProcessPartial",
        );
        let mut s = stream_with(&rules, FailureMode::Deny);
        let h = head("POST", "/", &[("Content-Type", "text/plain")]);
        assert_eq!(
            s.on_request_headers(&Connection::default(), &h, false),
            Step::Continue
        );
        let (step, read) = feed_body(&mut s, &[b"0123456789", b"0123456789", b"evil"], false);
        assert_eq!(step, Step::Continue);
        assert_eq!(read, 17);
        // "evil" lies past the limit: not inspected, later chunks pass.
        let (step, read) = feed_body(&mut s, &[b"more"], true);
        assert_eq!((step, read), (Step::Continue, 0));
    }

    #[test]
    fn detection_only_logs_without_blocking() {
        let rules = RULES.replace("SecRuleEngine On", "SecRuleEngine DetectionOnly");
        let mut s = stream_with(&rules, FailureMode::Deny);
        let step = s.on_request_headers(
            &Connection::default(),
            &head("GET", "/?q=attack", &[]),
            true,
        );
        assert_eq!(step, Step::Continue);
        let out = s.finish();
        assert_eq!(out.error_lines.len(), 1);
        assert!(out.error_lines[0].starts_with("ModSecurity: Warning."));
        assert!(out.audit_json.is_some());
    }

    /// A stream past its request, at the response headers of a `content_type` response.
    fn at_response(s: &mut Stream, content_type: &str, end: bool) -> Step {
        assert_eq!(
            s.on_request_headers(&Connection::default(), &head("GET", "/", &[]), true),
            Step::Continue
        );
        let headers = vec![
            (":status".to_string(), b"200".to_vec()),
            ("content-type".to_string(), content_type.as_bytes().to_vec()),
        ];
        s.on_response_headers(&headers, end)
    }

    fn with_response_limit(action: &str) -> Stream {
        stream_with(
            &format!("{RULES}\nSecResponseBodyLimit 16\nSecResponseBodyLimitAction {action}\n"),
            FailureMode::Deny,
        )
    }

    #[test]
    fn response_body_leak_is_blocked_in_phase_four_before_the_headers_left() {
        let mut s = stream();
        // The headers wait: the block must be able to replace the whole response.
        assert_eq!(
            at_response(&mut s, "text/plain; charset=utf-8", false),
            Step::Pause
        );
        assert!(s.response_held());
        // The leak straddles a chunk boundary.
        let (step, read) = feed_response(&mut s, &[b"top se", b"cret"], true);
        assert_eq!(blocked_status(&step), Some(502));
        assert_eq!(read, 10, "each byte is copied once");
        assert!(!s.response_held());
        let out = s.finish();
        assert!(
            out.error_lines[0].contains("Access denied with code 502 (phase 4)"),
            "{}",
            out.error_lines[0]
        );
    }

    #[test]
    fn clean_held_response_continues_at_its_end() {
        let mut s = stream();
        assert_eq!(at_response(&mut s, "text/html", false), Step::Pause);
        let (step, _) = feed_response(&mut s, &[b"hello ", b"world"], false);
        assert_eq!(step, Step::Pause);
        assert!(s.response_held(), "held until the body ends");
        let (step, _) = feed_response(&mut s, &[b"hello world", b"!"], true);
        assert_eq!(step, Step::Continue);
        assert!(!s.response_held());
        assert!(s.blocked().is_none());
    }

    #[test]
    fn held_response_ending_in_trailers_runs_phase_four_there() {
        let mut s = stream();
        assert_eq!(at_response(&mut s, "text/plain", false), Step::Pause);
        let (step, _) = feed_response(&mut s, &[b"a secret"], false);
        assert_eq!(step, Step::Pause);
        assert_eq!(blocked_status(&s.on_response_trailers()), Some(502));
        assert!(!s.response_held());

        let mut s = stream();
        assert_eq!(at_response(&mut s, "text/plain", false), Step::Pause);
        feed_response(&mut s, &[b"fine"], false);
        assert_eq!(s.on_response_trailers(), Step::Continue);
        assert!(!s.response_held());
    }

    #[test]
    fn response_without_body_is_decided_at_its_headers() {
        // No body (HEAD, 204, 304, an empty 200): phase 4 runs at the headers, nothing
        // is held, and a block there is a local reply too.
        let mut s = stream();
        assert_eq!(at_response(&mut s, "text/plain", true), Step::Continue);
        assert!(!s.response_held());
        assert_eq!(s.on_response_body(0, true, |_, _| None), Step::Continue);

        let mut s = stream();
        s.on_request_headers(&Connection::default(), &head("HEAD", "/", &[]), true);
        let headers = vec![
            (":status".to_string(), b"200".to_vec()),
            ("content-type".to_string(), b"text/plain".to_vec()),
            ("x-leak".to_string(), b"1".to_vec()),
        ];
        assert_eq!(
            blocked_status(&s.on_response_headers(&headers, true)),
            Some(451)
        );
        assert!(!s.response_held());
    }

    #[test]
    fn response_of_other_types_is_not_held() {
        let mut s = stream();
        assert_eq!(at_response(&mut s, "image/png", false), Step::Continue);
        assert!(!s.response_held());
        let step = s.on_response_body(6, true, |_, _| panic!("must not read"));
        assert_eq!(step, Step::Continue);
    }

    #[test]
    fn response_body_access_off_holds_nothing() {
        let rules = RULES.replace("SecResponseBodyAccess On", "SecResponseBodyAccess Off");
        let mut s = stream_with(&rules, FailureMode::Deny);
        assert_eq!(at_response(&mut s, "text/plain", false), Step::Continue);
        assert!(!s.response_held());
        let step = s.on_response_body(6, true, |_, _| panic!("must not read"));
        assert_eq!(step, Step::Continue);
    }

    #[test]
    fn response_over_the_limit_is_rejected_without_reading_past_it() {
        let mut s = with_response_limit("Reject");
        assert_eq!(at_response(&mut s, "text/plain", false), Step::Pause);
        let (step, read) = feed_response(&mut s, &[&[b'a'; 10], &[b'b'; 10], &[b'c'; 100]], true);
        let Step::Block(b) = step else {
            panic!("{step:?}")
        };
        assert_eq!((b.status, b.phase, b.rule_id), (500, 4, 0));
        assert_eq!(read, 17, "limit 16, plus one byte to see the overflow");
        assert!(!s.response_held());
    }

    #[test]
    fn response_over_the_limit_is_inspected_partially_then_streams() {
        // The leak lies past the limit: phase 4 passes on the first part as soon as the
        // limit is crossed, the headers and the buffered part go on, the rest streams.
        let mut s = with_response_limit("ProcessPartial");
        assert_eq!(at_response(&mut s, "text/plain", false), Step::Pause);
        let (step, read) = feed_response(&mut s, &[&[b'a'; 10], &[b'b'; 10], b"secret"], false);
        assert_eq!((step, read), (Step::Continue, 17));
        assert!(!s.response_held());
        let (step, read) = feed_response(&mut s, &[b"more secret"], true);
        assert_eq!((step, read), (Step::Continue, 0));

        // Within the limit: blocked.
        let mut s = with_response_limit("ProcessPartial");
        at_response(&mut s, "text/plain", false);
        let (step, _) = feed_response(&mut s, &[b"a secret", &[b'x'; 100]], false);
        assert_eq!(blocked_status(&step), Some(502));
    }

    #[test]
    fn detection_only_holds_but_never_blocks_a_leak() {
        let rules = RULES.replace("SecRuleEngine On", "SecRuleEngine DetectionOnly");
        let mut s = stream_with(&rules, FailureMode::Deny);
        assert_eq!(at_response(&mut s, "text/plain", false), Step::Pause);
        let (step, _) = feed_response(&mut s, &[b"top secret"], true);
        assert_eq!(step, Step::Continue);
        assert!(!s.response_held());
        let out = s.finish();
        assert_eq!(out.error_lines.len(), 1);
        assert!(out.error_lines[0].starts_with("ModSecurity: Warning."));
        assert!(out.error_lines[0].contains("[id \"4\"]"));
        assert!(out.audit_json.is_some());
    }

    #[test]
    fn without_hold_the_headers_pass_and_only_the_body_waits() {
        let mut s = stream().with_response_hold(false);
        assert_eq!(at_response(&mut s, "text/plain", false), Step::Continue);
        assert!(!s.response_held());
        let (step, _) = feed_response(&mut s, &[b"top ", b"secret"], true);
        assert_eq!(blocked_status(&step), Some(502));
    }

    #[test]
    fn engine_failure_on_a_held_response_follows_failure_mode() {
        let mut s = stream();
        at_response(&mut s, "text/plain", false);
        let step = s.on_response_body(5, true, |_, _| None);
        let Step::Block(b) = step else {
            panic!("{step:?}")
        };
        assert_eq!((b.status, b.phase, b.engine_failure), (500, 4, true));
        assert!(!s.response_held());

        let mut s = stream_with(RULES, FailureMode::Allow);
        at_response(&mut s, "text/plain", false);
        assert_eq!(s.on_response_body(5, true, |_, _| None), Step::Continue);
        assert!(s.engine_failed());
        assert!(!s.response_held(), "released uninspected");
    }

    #[test]
    fn phase_three_block_on_status() {
        let mut s = stream();
        s.on_request_headers(&Connection::default(), &head("GET", "/", &[]), true);
        let step = s.on_response_headers(&[(":status".into(), b"299".to_vec())], true);
        assert_eq!(blocked_status(&step), Some(403));
    }

    #[test]
    fn redirect_carries_its_location() {
        let mut s = stream();
        let step = s.on_request_headers(
            &Connection::default(),
            &head("GET", "/", &[("X-Redirect", "1")]),
            true,
        );
        let Step::Block(b) = step else {
            panic!("{step:?}")
        };
        assert_eq!(b.status, 302);
        assert_eq!(b.location.as_deref(), Some("http://example.invalid/"));
    }

    #[test]
    fn engine_failure_denies_by_default_and_allows_when_configured() {
        let mut s = stream();
        let step = s.on_request_headers(
            &Connection::default(),
            &head("GET", "/", &[("X-Fault", "1")]),
            true,
        );
        let Step::Block(b) = step else {
            panic!("{step:?}")
        };
        assert_eq!((b.status, b.engine_failure), (500, true));

        let mut s = stream_with(RULES, FailureMode::Allow);
        let step = s.on_request_headers(
            &Connection::default(),
            &head("GET", "/?q=attack", &[("X-Fault", "1")]),
            true,
        );
        assert_eq!(step, Step::Continue);
        assert!(s.engine_failed());
    }

    #[test]
    fn unreadable_body_is_an_engine_failure() {
        let mut s = stream();
        let h = head("POST", "/", &[("Content-Type", "text/plain")]);
        s.on_request_headers(&Connection::default(), &h, false);
        let step = s.on_request_body(5, true, |_, _| None);
        assert_eq!(blocked_status(&step), Some(500));
    }

    #[test]
    fn matched_pass_rules_are_logged_as_warnings() {
        let mut s = stream();
        s.on_request_headers(&Connection::default(), &head("GET", "/?look=1", &[]), true);
        let out = s.finish();
        assert_eq!(out.error_lines.len(), 1);
        assert!(out.error_lines[0].contains("[id \"7\"]"));
        // A second finish logs nothing more.
        assert!(s.finish().error_lines.is_empty());
    }
}
