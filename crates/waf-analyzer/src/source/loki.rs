//! Grafana Loki: `query_range` polling and the `tail` websocket.
//!
//! ## Pagination
//!
//! Loki's `limit` counts entries across **all** streams of a query, and with
//! `direction=forward` it returns the earliest `limit` of them. So every entry
//! older than the newest timestamp of a full page has been returned, but entries
//! *at* that timestamp may be split across pages. The next page therefore starts
//! at that timestamp (Loki's `start` is inclusive) and the entries already seen
//! at it are skipped by key (stream labels, timestamp, line). Taking the next
//! start per stream, or `max + 1ns`, loses entries. A page whose entries all
//! share one timestamp cannot advance this way; it is re-asked with a doubled
//! limit (up to [`MAX_LIMIT`]).
//!
//! ## Tail
//!
//! `GET /loki/api/v1/tail` upgraded to a websocket; each text message is
//! `{"streams":[...],"dropped_entries":[...]}`. On a disconnect the client
//! reconnects with `start` = the newest timestamp seen; the entries at it are
//! skipped by key, as above.

use std::collections::{BTreeMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::ErrorKind;
use std::net::TcpStream;
use std::time::Duration;

use serde::Deserialize;

use crate::config::LokiConfig;
use crate::error::{HttpError, SourceError};
use crate::http::{BaseUrl, encode_query, request, snippet};

/// Largest page size asked for when a page cannot advance.
pub const MAX_LIMIT: u32 = 50_000;

/// One log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Timestamp, nanoseconds since the epoch.
    pub ts: u128,
    /// The log line.
    pub line: String,
    /// Key for de-duplication: stream labels, timestamp and line.
    pub key: u64,
}

#[derive(Deserialize)]
struct QueryResponse {
    status: String,
    #[serde(default)]
    data: Option<QueryData>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct QueryData {
    #[serde(rename = "resultType")]
    result_type: String,
    #[serde(default)]
    result: Vec<Stream>,
}

#[derive(Deserialize)]
struct Stream {
    #[serde(default)]
    stream: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct TailMessage {
    #[serde(default)]
    streams: Vec<Stream>,
    #[serde(default)]
    dropped_entries: Option<Vec<serde_json::Value>>,
}

fn entry_key(labels: &BTreeMap<String, String>, ts: u128, line: &str) -> u64 {
    let mut h = DefaultHasher::new();
    labels.hash(&mut h);
    ts.hash(&mut h);
    line.hash(&mut h);
    h.finish()
}

fn flatten(streams: Vec<Stream>, url: &str) -> Result<Vec<Entry>, HttpError> {
    let mut out = Vec::new();
    for s in streams {
        for (ts, line) in s.values {
            let ts: u128 = ts.trim().parse().map_err(|_| HttpError::Body {
                url: url.to_string(),
                message: format!("timestamp {ts:?} is not nanoseconds"),
            })?;
            let key = entry_key(&s.stream, ts, &line);
            out.push(Entry { ts, line, key });
        }
    }
    out.sort_by_key(|e| e.ts);
    Ok(out)
}

/// `query_range` poller. Keeps its cursor; an error leaves the cursor where it
/// was, so the next call retries the same window and nothing is lost.
pub struct LokiPoller {
    base: BaseUrl,
    cfg: LokiConfig,
    /// Next `start`, in ns.
    cursor: Option<u128>,
    /// Keys of entries already handed out at exactly `cursor`.
    boundary: HashSet<u64>,
}

impl LokiPoller {
    /// Validates the URL.
    pub fn new(cfg: LokiConfig) -> Result<LokiPoller, SourceError> {
        Ok(LokiPoller {
            base: BaseUrl::parse(&cfg.url)?,
            cfg,
            cursor: None,
            boundary: HashSet::new(),
        })
    }

    /// Current cursor (ns).
    pub fn cursor(&self) -> Option<u128> {
        self.cursor
    }

    /// Resumes from a saved cursor (entries at exactly `ns` may be read again;
    /// the daemon's de-duplication drops them).
    pub fn set_cursor(&mut self, ns: u128) {
        self.cursor = Some(ns);
        self.boundary.clear();
    }

    fn fetch(&self, start: u128, end: u128, limit: u32) -> Result<Vec<Entry>, HttpError> {
        let path = format!(
            "/loki/api/v1/query_range?query={}&start={start}&end={end}&limit={limit}&direction=forward",
            encode_query(&self.cfg.query)
        );
        let mut headers: Vec<(&str, &str)> = vec![("Accept", "application/json")];
        if let Some(t) = &self.cfg.tenant {
            headers.push(("X-Scope-OrgID", t));
        }
        let timeout = Duration::from_secs(self.cfg.timeout_secs);
        let resp = request(&self.base, "GET", &path, &headers, None, timeout)?;
        let url = format!("{}{}", self.cfg.url.trim_end_matches('/'), path);
        if resp.status != 200 {
            return Err(HttpError::Status {
                method: "GET".into(),
                url,
                status: resp.status,
                body: snippet(&resp.body),
            });
        }
        let parsed: QueryResponse =
            serde_json::from_slice(&resp.body).map_err(|e| HttpError::Body {
                url: url.clone(),
                message: e.to_string(),
            })?;
        if parsed.status != "success" {
            return Err(HttpError::Body {
                url,
                message: format!(
                    "status {:?}: {}",
                    parsed.status,
                    parsed.error.unwrap_or_default()
                ),
            });
        }
        let data = parsed.data.ok_or_else(|| HttpError::Body {
            url: url.clone(),
            message: "no data".into(),
        })?;
        if data.result_type != "streams" {
            return Err(HttpError::Body {
                url,
                message: format!(
                    "resultType {:?}, the query must be a log query",
                    data.result_type
                ),
            });
        }
        flatten(data.result, &url)
    }

    /// Reads everything in `[cursor, now - delay)` page by page and hands each
    /// new entry to `sink`. Returns how many entries were handed out.
    pub fn poll(
        &mut self,
        now_ns: u128,
        sink: &mut dyn FnMut(Entry),
    ) -> Result<usize, SourceError> {
        let end = now_ns.saturating_sub(u128::from(self.cfg.delay_secs) * 1_000_000_000);
        let mut start = self.cursor.unwrap_or_else(|| {
            end.saturating_sub(u128::from(self.cfg.lookback_secs) * 1_000_000_000)
        });
        if end <= start {
            return Ok(0);
        }
        let mut handed = 0;
        let mut limit = self.cfg.limit;
        loop {
            let page = self.fetch(start, end, limit)?;
            let full = page.len() >= limit as usize;
            let max_ts = page.last().map(|e| e.ts);
            if full && max_ts == Some(start) && limit < MAX_LIMIT {
                // Every entry shares the start timestamp: cannot advance, ask for more.
                limit = limit.saturating_mul(2).min(MAX_LIMIT);
                continue;
            }
            let at_max: HashSet<u64> = page
                .iter()
                .filter(|e| Some(e.ts) == max_ts)
                .map(|e| e.key)
                .collect();
            for e in page {
                if e.ts == start && self.boundary.contains(&e.key) {
                    continue;
                }
                handed += 1;
                sink(e);
            }
            match (full, max_ts) {
                (true, Some(ts)) if ts > start => {
                    start = ts;
                    self.cursor = Some(ts);
                    self.boundary = at_max;
                    limit = self.cfg.limit;
                }
                (true, Some(_)) => {
                    // MAX_LIMIT entries in one nanosecond: step over it (logged by the caller
                    // through the returned count never reaching the end of the window).
                    start += 1;
                    self.cursor = Some(start);
                    self.boundary.clear();
                }
                _ => {
                    self.cursor = Some(end);
                    self.boundary = if max_ts == Some(end) {
                        at_max
                    } else {
                        HashSet::new()
                    };
                    return Ok(handed);
                }
            }
        }
    }
}

/// `tail` websocket client. Blocking reads with a timeout so the caller can
/// check its stop flag between messages.
pub struct LokiTail {
    cfg: LokiConfig,
    base: BaseUrl,
    ws: Option<tungstenite::WebSocket<TcpStream>>,
    last_ts: Option<u128>,
    boundary: HashSet<u64>,
}

/// What one [`LokiTail::read`] call produced.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TailBatch {
    /// Entries handed to the sink.
    pub entries: usize,
    /// Entries Loki says it dropped.
    pub dropped: usize,
}

impl LokiTail {
    /// Validates the URL; connects lazily.
    pub fn new(cfg: LokiConfig) -> Result<LokiTail, SourceError> {
        Ok(LokiTail {
            base: BaseUrl::parse(&cfg.url)?,
            cfg,
            ws: None,
            last_ts: None,
            boundary: HashSet::new(),
        })
    }

    fn ws_error(&self, message: String) -> SourceError {
        SourceError::WebSocket {
            url: self.cfg.url.clone(),
            message,
        }
    }

    fn connect(&mut self, now_ns: u128) -> Result<(), SourceError> {
        let start = self.last_ts.unwrap_or_else(|| {
            now_ns.saturating_sub(u128::from(self.cfg.lookback_secs) * 1_000_000_000)
        });
        let url = format!(
            "ws://{}{}/loki/api/v1/tail?query={}&start={start}&limit={}",
            self.base.authority(),
            self.base.prefix,
            encode_query(&self.cfg.query),
            self.cfg.limit
        );
        let timeout = Duration::from_secs(self.cfg.timeout_secs);
        let stream = self
            .base
            .connect(timeout)
            .map_err(|e| self.ws_error(format!("connect: {e}")))?;
        use tungstenite::client::IntoClientRequest;
        let mut req = url
            .as_str()
            .into_client_request()
            .map_err(|e| self.ws_error(format!("request: {e}")))?;
        if let Some(t) = &self.cfg.tenant {
            let v = tungstenite::http::HeaderValue::from_str(t)
                .map_err(|e| self.ws_error(format!("tenant: {e}")))?;
            req.headers_mut().insert("X-Scope-OrgID", v);
        }
        let (ws, _resp) = tungstenite::client::client(req, stream)
            .map_err(|e| self.ws_error(format!("handshake: {e}")))?;
        // Short reads so the owner can notice shutdown.
        let _ = ws
            .get_ref()
            .set_read_timeout(Some(Duration::from_millis(500)));
        self.ws = Some(ws);
        Ok(())
    }

    /// Connects if needed and waits up to ~0.5 s for one message. An error
    /// drops the connection; the next call reconnects from the newest timestamp seen.
    pub fn read(
        &mut self,
        now_ns: u128,
        sink: &mut dyn FnMut(Entry),
    ) -> Result<TailBatch, SourceError> {
        if self.ws.is_none() {
            self.connect(now_ns)?;
        }
        let Some(ws) = self.ws.as_mut() else {
            return Ok(TailBatch::default());
        };
        let msg = match ws.read() {
            Ok(m) => m,
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                return Ok(TailBatch::default());
            }
            Err(e) => {
                self.ws = None;
                return Err(self.ws_error(format!("read: {e}")));
            }
        };
        let text = match msg {
            tungstenite::Message::Text(t) => t,
            tungstenite::Message::Close(frame) => {
                self.ws = None;
                return Err(self.ws_error(format!("closed by server: {frame:?}")));
            }
            _ => return Ok(TailBatch::default()),
        };
        let parsed: TailMessage = serde_json::from_str(text.as_str()).map_err(|e| {
            self.ws_error(format!(
                "bad tail message: {e}: {}",
                snippet(text.as_bytes())
            ))
        })?;
        let dropped = parsed.dropped_entries.map_or(0, |d| d.len());
        let entries = flatten(parsed.streams, &self.cfg.url)?;
        let mut batch = TailBatch {
            entries: 0,
            dropped,
        };
        for e in entries {
            match self.last_ts {
                Some(last) if e.ts < last => continue,
                Some(last) if e.ts == last && self.boundary.contains(&e.key) => continue,
                Some(last) if e.ts > last => {
                    self.boundary.clear();
                    self.last_ts = Some(e.ts);
                }
                None => self.last_ts = Some(e.ts),
                _ => {}
            }
            self.boundary.insert(e.key);
            batch.entries += 1;
            sink(e);
        }
        Ok(batch)
    }

    /// Closes the websocket politely.
    pub fn close(&mut self) {
        if let Some(mut ws) = self.ws.take() {
            let _ = ws.close(None);
            let _ = ws.flush();
        }
    }
}
