//! The proxy-wasm glue: Envoy's callbacks in, [`Stream`] steps out. Built for wasm only.
//!
//! Nothing here may panic on input: configuration errors are logged and fail the plugin
//! load, body reads that come back empty are engine failures handled by `failure_mode`.
//!
//! Response headers may be held until phase 4 (see [`crate::stream`]). While a VM does not
//! know yet whether Envoy delivers the body of a held response, the root context's timer
//! releases responses held too long without one, and the VM stops holding
//! (see [`crate::hold`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, MetricType};
use waf_core::TransactionOptions;

use crate::config::{AuditLog, Settings};
use crate::hold::{self, HoldWatch};
use crate::stream::{Connection, RequestHead, Step, Stream};
use crate::{AUDIT_PREFIX, embedded, metrics};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|context_id| -> Box<dyn RootContext> {
        Box::new(Root {
            context_id,
            ..Root::default()
        })
    });
}}

/// How often the root context looks at held responses while it does not know yet whether
/// Envoy delivers their bodies (see [`crate::hold`]).
const HOLD_TICK: Duration = Duration::from_secs(1);

fn log(level: LogLevel, message: &str) {
    let _ = hostcalls::log(level, message);
}

/// Counters defined on first use, one id per name, for the life of the VM.
#[derive(Default)]
struct Metrics {
    ids: HashMap<String, u32>,
}

impl Metrics {
    fn increment(&mut self, name: String) {
        let id = match self.ids.get(&name) {
            Some(id) => *id,
            None => match hostcalls::define_metric(MetricType::Counter, &name) {
                Ok(id) => {
                    self.ids.insert(name, id);
                    id
                }
                Err(_) => return,
            },
        };
        let _ = hostcalls::increment_metric(id, 1);
    }
}

fn millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[derive(Default)]
struct Root {
    context_id: u32,
    settings: Option<Rc<Settings>>,
    metrics: Rc<RefCell<Metrics>>,
    watch: Rc<RefCell<HoldWatch>>,
}

impl Context for Root {}

impl Root {
    /// Resumes the responses whose headers were held without a body callback for
    /// [`hold::GRACE`]: Envoy does not deliver bodies of held responses, and they would
    /// wait for its stream idle timeout. Later streams do not hold.
    fn release_overdue(&mut self) {
        let ids = match self.watch.try_borrow_mut() {
            Ok(mut watch) => watch.expired(millis(self.get_current_time())),
            Err(_) => return,
        };
        if ids.is_empty() {
            return;
        }
        log(
            LogLevel::Error,
            &format!(
                "waf: a response held for phase 4 got no body from Envoy within {:?}: the \
                 Wasm filter's config needs `allow_on_headers_stop_iteration: true` (Envoy \
                 1.35 or later), or set \"hold_response_headers\": false. Released {} held \
                 response(s); this worker no longer holds response headers, so a phase-4 \
                 block resets the stream instead of answering with a local reply",
                hold::GRACE,
                ids.len()
            ),
        );
        let suffix = self
            .settings
            .as_ref()
            .map(|s| s.metric_suffix.clone())
            .unwrap_or_default();
        if let Ok(mut metrics) = self.metrics.try_borrow_mut() {
            metrics.increment(metrics::hold_unsupported(&suffix));
        }
        for id in ids {
            if hostcalls::set_effective_context(id).is_ok() {
                let _ = hostcalls::resume_http_response();
            }
        }
        let _ = hostcalls::set_effective_context(self.context_id);
    }
}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        let bytes = self.get_plugin_configuration().unwrap_or_default();
        match Settings::parse(&bytes) {
            Ok(settings) => {
                for warning in &settings.warnings {
                    log(LogLevel::Debug, &format!("waf: {warning}"));
                }
                let sets: Vec<String> = settings
                    .rule_sets
                    .iter()
                    .map(|(name, rules)| format!("{name} ({} rules)", rules.rule_count()))
                    .collect();
                let crs = if embedded::has_crs() {
                    embedded::CRS_SOURCE
                } else {
                    "none"
                };
                log(
                    LogLevel::Info,
                    &format!(
                        "waf: configured: directives {}; embedded CRS: {crs}",
                        sets.join(", ")
                    ),
                );
                if settings.hold_response_headers {
                    let _ = hostcalls::set_tick_period(HOLD_TICK);
                }
                self.settings = Some(Rc::new(settings));
                true
            }
            Err(e) => {
                log(
                    LogLevel::Critical,
                    &format!("waf: configuration refused: {e}"),
                );
                false
            }
        }
    }

    fn on_tick(&mut self) {
        self.release_overdue();
        let watching = self.watch.try_borrow().is_ok_and(|w| w.watching());
        if !watching {
            let _ = hostcalls::set_tick_period(Duration::ZERO);
        }
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Http {
            context_id,
            settings: self.settings.clone(),
            metrics: Rc::clone(&self.metrics),
            watch: Rc::clone(&self.watch),
            stream: None,
            failure_reported: false,
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Http {
    context_id: u32,
    settings: Option<Rc<Settings>>,
    metrics: Rc<RefCell<Metrics>>,
    watch: Rc<RefCell<HoldWatch>>,
    stream: Option<Stream>,
    failure_reported: bool,
}

/// Reads `len` bytes at `start` of the buffered request or response body.
fn body_reader(kind: BufferType) -> impl FnOnce(usize, usize) -> Option<Vec<u8>> {
    move |start, len| hostcalls::get_buffer(kind, start, len).ok().flatten()
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `ip:port` or `[v6]:port` → (ip, port).
fn split_address(address: &str) -> (String, u16) {
    match address.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            (host.to_string(), port.parse().unwrap_or(0))
        }
        _ => (address.to_string(), 0),
    }
}

impl Http {
    fn property(&self, path: Vec<&str>) -> String {
        self.get_property(path)
            .map(|b| lossy(&b))
            .unwrap_or_default()
    }

    fn connection(&self) -> Connection {
        let (client_ip, client_port) = split_address(&self.property(vec!["source", "address"]));
        let (server_ip, server_port) =
            split_address(&self.property(vec!["destination", "address"]));
        Connection {
            client_ip,
            client_port,
            server_ip,
            server_port,
        }
    }

    fn suffix(&self) -> String {
        self.settings
            .as_ref()
            .map(|s| s.metric_suffix.clone())
            .unwrap_or_default()
    }

    /// Turns a step into an action, sending the local reply for a block.
    fn apply(&mut self, step: Step) -> Action {
        let suffix = self.suffix();
        let failed = self.stream.as_ref().is_some_and(Stream::engine_failed);
        match step {
            Step::Continue => {
                if failed && !self.failure_reported {
                    self.failure_reported = true;
                    log(
                        LogLevel::Error,
                        "waf: engine failure; request forwarded uninspected (failure_mode allow)",
                    );
                    self.metrics
                        .borrow_mut()
                        .increment(metrics::engine_failure(0, &suffix));
                }
                Action::Continue
            }
            Step::Pause => Action::Pause,
            Step::Block(block) => {
                if block.engine_failure {
                    self.failure_reported = true;
                    log(
                        LogLevel::Error,
                        &format!(
                            "waf: engine failure in phase {}; request denied (failure_mode deny)",
                            block.phase
                        ),
                    );
                    self.metrics
                        .borrow_mut()
                        .increment(metrics::engine_failure(block.phase, &suffix));
                } else {
                    self.metrics.borrow_mut().increment(metrics::interruption(
                        block.phase,
                        block.rule_id,
                        &suffix,
                    ));
                }
                let mut headers: Vec<(&str, &str)> = Vec::new();
                if let Some(location) = &block.location {
                    headers.push(("location", location.as_str()));
                }
                self.send_http_response(u32::from(block.status), headers, None);
                Action::Pause
            }
        }
    }
}

impl Http {
    /// A response body or trailers callback arrived: if the headers were held, Envoy
    /// delivers bodies of held responses (see [`crate::hold`]).
    fn note_response_body(&mut self) {
        if !self.stream.as_ref().is_some_and(Stream::response_held) {
            return;
        }
        let settled = self
            .watch
            .try_borrow_mut()
            .is_ok_and(|mut w| w.body_arrived(self.context_id));
        if settled {
            log(
                LogLevel::Debug,
                "waf: Envoy delivers the body of held responses: phase-4 blocks are local replies",
            );
        }
    }
}

impl Context for Http {}

impl Drop for Http {
    fn drop(&mut self) {
        if let Ok(mut watch) = self.watch.try_borrow_mut() {
            watch.forget(self.context_id);
        }
    }
}

impl HttpContext for Http {
    fn on_http_request_headers(&mut self, _count: usize, end_of_stream: bool) -> Action {
        let Some(settings) = self.settings.clone() else {
            return Action::Continue;
        };
        let headers: Vec<(String, Vec<u8>)> = self.get_http_request_headers_bytes();
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_slice())
                .unwrap_or_default()
        };
        let Some(rules) = settings.rules_for(&lossy(header(":authority"))) else {
            return Action::Continue;
        };
        let now_micros = self
            .get_current_time()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let id = lossy(header("x-request-id"));
        let head = RequestHead {
            method: header(":method").to_vec(),
            path: header(":path").to_vec(),
            protocol: self.property(vec!["request", "protocol"]),
            headers: headers.clone(),
        };
        let connection = self.connection();
        let hold =
            settings.hold_response_headers && self.watch.try_borrow().is_ok_and(|w| w.may_hold());
        let mut stream = Stream::new(
            rules.clone(),
            settings.failure_mode,
            settings.fault_injection_header.clone(),
            TransactionOptions { id, now_micros },
        )
        .with_response_hold(hold);
        self.metrics
            .borrow_mut()
            .increment(metrics::transactions(&settings.metric_suffix));
        let step = stream.on_request_headers(&connection, &head, end_of_stream);
        self.stream = Some(stream);
        self.apply(step)
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        let Some(stream) = self.stream.as_mut() else {
            return Action::Continue;
        };
        let step = stream.on_request_body(
            body_size,
            end_of_stream,
            body_reader(BufferType::HttpRequestBody),
        );
        self.apply(step)
    }

    fn on_http_request_trailers(&mut self, _count: usize) -> Action {
        let Some(stream) = self.stream.as_mut() else {
            return Action::Continue;
        };
        let step = stream.on_request_trailers();
        self.apply(step)
    }

    fn on_http_response_headers(&mut self, _count: usize, end_of_stream: bool) -> Action {
        if self.stream.is_none() {
            return Action::Continue;
        }
        let headers = self.get_http_response_headers_bytes();
        let Some(stream) = self.stream.as_mut() else {
            return Action::Continue;
        };
        let step = stream.on_response_headers(&headers, end_of_stream);
        if stream.response_held() {
            let now = millis(self.get_current_time());
            if let Ok(mut watch) = self.watch.try_borrow_mut() {
                watch.held(self.context_id, now);
            }
        }
        self.apply(step)
    }

    fn on_http_response_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        self.note_response_body();
        let Some(stream) = self.stream.as_mut() else {
            return Action::Continue;
        };
        let step = stream.on_response_body(
            body_size,
            end_of_stream,
            body_reader(BufferType::HttpResponseBody),
        );
        self.apply(step)
    }

    fn on_http_response_trailers(&mut self, _count: usize) -> Action {
        self.note_response_body();
        let Some(stream) = self.stream.as_mut() else {
            return Action::Continue;
        };
        let step = stream.on_response_trailers();
        self.apply(step)
    }

    fn on_log(&mut self) {
        if let Ok(mut watch) = self.watch.try_borrow_mut() {
            watch.forget(self.context_id);
        }
        let Some(mut stream) = self.stream.take() else {
            return;
        };
        let finished = stream.finish();
        for line in &finished.error_lines {
            log(LogLevel::Warn, line);
        }
        let audit = self
            .settings
            .as_ref()
            .is_some_and(|s| s.audit_log == AuditLog::Log);
        if let (true, Some(json)) = (audit, &finished.audit_json) {
            log(LogLevel::Info, &format!("{AUDIT_PREFIX}{json}"));
        }
        if finished.engine_errors > 0 {
            let suffix = self.suffix();
            let mut metrics = self.metrics.borrow_mut();
            for _ in 0..finished.engine_errors.min(1000) {
                metrics.increment(metrics::rule_errors(&suffix));
            }
        }
    }
}
