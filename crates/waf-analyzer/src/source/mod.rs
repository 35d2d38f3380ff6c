//! Sources of audit records. Each runs on its own thread and sends lines into
//! one bounded channel; a full channel blocks the source (back-pressure), so
//! nothing is dropped when detection is briefly slower than the input.
//!
//! Errors are logged with context, counted, and retried with exponential
//! back-off (capped at 30 s); a source never ends the daemon. Only stdin ends,
//! at end of input.

pub mod file;
pub mod loki;

use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::clock::now_ms;
use crate::config::{LokiMode, SourceConfig};
use crate::log::{Level, log};
use crate::metrics::Metrics;

/// One line from a source.
#[derive(Debug)]
pub struct Line {
    /// Source index in the configuration.
    pub source: usize,
    /// The text.
    pub text: String,
    /// De-duplication key chosen by the source (Loki: labels + time + line).
    pub key: Option<u64>,
}

/// Exponential back-off between retries: 0.5 s, 1 s, 2 s, ... capped at 30 s.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            next: Duration::from_millis(500),
        }
    }
}

impl Backoff {
    /// The delay to wait now; doubles the next one.
    pub fn step(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(Duration::from_secs(30));
        d
    }

    /// After a success.
    pub fn reset(&mut self) {
        *self = Backoff::default();
    }
}

/// Sleeps up to `d`, waking early when `stop` is set. Returns false when stopping.
pub fn sleep_unless_stopped(d: Duration, stop: &AtomicBool) -> bool {
    let until = Instant::now() + d;
    while Instant::now() < until {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        std::thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
    }
    !stop.load(Ordering::Relaxed)
}

fn send(tx: &SyncSender<Line>, line: Line, stop: &AtomicBool) -> bool {
    // A blocking send keeps back-pressure; it fails only when the daemon is gone.
    !stop.load(Ordering::Relaxed) && tx.send(line).is_ok()
}

/// Starts a thread for source `index`.
pub fn spawn(
    index: usize,
    cfg: SourceConfig,
    tx: SyncSender<Line>,
    stop: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(format!("source-{index}"))
        .spawn(move || match cfg {
            SourceConfig::File {
                path,
                state_file,
                from_start,
                poll_ms,
            } => run_file(
                index,
                &path,
                state_file.as_deref(),
                from_start,
                poll_ms,
                &tx,
                &stop,
                &metrics,
            ),
            SourceConfig::Stdin => run_stdin(index, &tx, &stop, &metrics),
            SourceConfig::Loki(l) => match l.mode {
                LokiMode::Poll => run_loki_poll(index, l, &tx, &stop, &metrics),
                LokiMode::Tail => run_loki_tail(index, l, &tx, &stop, &metrics),
            },
        })
}

#[allow(clippy::too_many_arguments)]
fn run_file(
    index: usize,
    path: &std::path::Path,
    state: Option<&std::path::Path>,
    from_start: bool,
    poll_ms: u64,
    tx: &SyncSender<Line>,
    stop: &AtomicBool,
    metrics: &Metrics,
) {
    let comp = format!("source[{index}] file {}", path.display());
    let mut backoff = Backoff::default();
    let mut follower = loop {
        match file::FileFollower::new(path, state, from_start) {
            Ok(f) => break f,
            Err(e) => {
                Metrics::inc(&metrics.errors_source);
                log(Level::Warn, &comp, &format!("cannot start: {e}; retrying"));
                if !sleep_unless_stopped(backoff.step(), stop) {
                    return;
                }
            }
        }
    };
    let mut last_save = Instant::now();
    let mut dirty = false;
    while !stop.load(Ordering::Relaxed) {
        let mut alive = true;
        let result = follower.poll(&mut |bytes| {
            if alive {
                let text = String::from_utf8_lossy(bytes).into_owned();
                alive = send(
                    tx,
                    Line {
                        source: index,
                        text,
                        key: None,
                    },
                    stop,
                );
            }
        });
        match result {
            Ok(st) => {
                backoff.reset();
                if st.rotated || st.truncated {
                    Metrics::inc(&metrics.file_rotations);
                    let what = if st.rotated { "rotated" } else { "truncated" };
                    log(
                        Level::Info,
                        &comp,
                        &format!("file {what}; reading the new content from its start"),
                    );
                }
                if st.oversized > 0 {
                    metrics
                        .records_malformed
                        .fetch_add(st.oversized as u64, Ordering::Relaxed);
                    log(
                        Level::Warn,
                        &comp,
                        &format!(
                            "{} line(s) longer than {} bytes dropped",
                            st.oversized,
                            file::MAX_LINE
                        ),
                    );
                }
                dirty |= st.lines > 0 || st.rotated || st.truncated;
                if dirty && last_save.elapsed() >= Duration::from_secs(1) {
                    if let Err(e) = follower.save_state() {
                        Metrics::inc(&metrics.errors_source);
                        log(Level::Warn, &comp, &format!("cannot save offset: {e}"));
                    }
                    dirty = false;
                    last_save = Instant::now();
                }
                if st.lines == 0 && !sleep_unless_stopped(Duration::from_millis(poll_ms), stop) {
                    break;
                }
            }
            Err(e) => {
                Metrics::inc(&metrics.errors_source);
                log(Level::Warn, &comp, &format!("{e}; retrying"));
                if !sleep_unless_stopped(backoff.step(), stop) {
                    break;
                }
            }
        }
        if !alive {
            break;
        }
    }
    if let Err(e) = follower.save_state() {
        log(
            Level::Warn,
            &comp,
            &format!("cannot save offset at shutdown: {e}"),
        );
    }
}

fn run_stdin(index: usize, tx: &SyncSender<Line>, stop: &AtomicBool, metrics: &Metrics) {
    let stdin = std::io::stdin();
    let mut lock = stdin.lock();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match lock.read_until(b'\n', &mut buf) {
            Ok(0) => return,
            Ok(_) => {
                let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let text = String::from_utf8_lossy(line).into_owned();
                if !send(
                    tx,
                    Line {
                        source: index,
                        text,
                        key: None,
                    },
                    stop,
                ) {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                Metrics::inc(&metrics.errors_source);
                log(
                    Level::Error,
                    &format!("source[{index}] stdin"),
                    &format!("read failed: {e}"),
                );
                return;
            }
        }
    }
}

fn now_ns() -> u128 {
    u128::from(now_ms()) * 1_000_000
}

fn run_loki_poll(
    index: usize,
    cfg: crate::config::LokiConfig,
    tx: &SyncSender<Line>,
    stop: &AtomicBool,
    metrics: &Metrics,
) {
    let comp = format!("source[{index}] loki {}", cfg.url);
    let interval = Duration::from_secs(cfg.poll_interval_secs.max(1));
    let state = cfg.state_file.clone();
    let mut poller = match loki::LokiPoller::new(cfg) {
        Ok(p) => p,
        Err(e) => {
            Metrics::inc(&metrics.errors_source);
            log(
                Level::Error,
                &comp,
                &format!("{e}; this source is disabled"),
            );
            return;
        }
    };
    if let Some(path) = &state {
        match std::fs::read_to_string(path) {
            Ok(text) => match text.trim().parse::<u128>() {
                Ok(ns) => poller.set_cursor(ns),
                Err(_) => log(
                    Level::Warn,
                    &comp,
                    &format!(
                        "{}: not a cursor; starting from the lookback",
                        path.display()
                    ),
                ),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                Metrics::inc(&metrics.errors_source);
                log(
                    Level::Warn,
                    &comp,
                    &format!("{}: {e}; starting from the lookback", path.display()),
                );
            }
        }
    }
    let mut saved = poller.cursor();
    let mut backoff = Backoff::default();
    while !stop.load(Ordering::Relaxed) {
        let mut alive = true;
        let r = poller.poll(now_ns(), &mut |e| {
            if alive {
                alive = send(
                    tx,
                    Line {
                        source: index,
                        text: e.line,
                        key: Some(e.key),
                    },
                    stop,
                );
            }
        });
        if let (Some(path), Some(c)) = (&state, poller.cursor())
            && saved != Some(c)
        {
            let tmp = path.with_extension("tmp");
            let res = std::fs::write(&tmp, c.to_string()).and_then(|_| std::fs::rename(&tmp, path));
            match res {
                Ok(()) => saved = Some(c),
                Err(e) => {
                    Metrics::inc(&metrics.errors_source);
                    log(
                        Level::Warn,
                        &comp,
                        &format!("cannot save cursor to {}: {e}", path.display()),
                    );
                }
            }
        }
        if !alive {
            return;
        }
        let wait = match r {
            Ok(_) => {
                backoff.reset();
                interval
            }
            Err(e) => {
                Metrics::inc(&metrics.errors_source);
                let d = backoff.step();
                log(
                    Level::Warn,
                    &comp,
                    &format!("{e}; retrying the same window in {d:?}"),
                );
                d
            }
        };
        if !sleep_unless_stopped(wait, stop) {
            return;
        }
    }
}

fn run_loki_tail(
    index: usize,
    cfg: crate::config::LokiConfig,
    tx: &SyncSender<Line>,
    stop: &AtomicBool,
    metrics: &Metrics,
) {
    let comp = format!("source[{index}] loki tail {}", cfg.url);
    let mut tail = match loki::LokiTail::new(cfg) {
        Ok(t) => t,
        Err(e) => {
            Metrics::inc(&metrics.errors_source);
            log(
                Level::Error,
                &comp,
                &format!("{e}; this source is disabled"),
            );
            return;
        }
    };
    let mut backoff = Backoff::default();
    while !stop.load(Ordering::Relaxed) {
        let mut alive = true;
        let r = tail.read(now_ns(), &mut |e| {
            if alive {
                alive = send(
                    tx,
                    Line {
                        source: index,
                        text: e.line,
                        key: Some(e.key),
                    },
                    stop,
                );
            }
        });
        if !alive {
            break;
        }
        match r {
            Ok(b) => {
                backoff.reset();
                if b.dropped > 0 {
                    metrics
                        .loki_dropped_entries
                        .fetch_add(b.dropped as u64, Ordering::Relaxed);
                    log(
                        Level::Warn,
                        &comp,
                        &format!("Loki dropped {} entries from the tail", b.dropped),
                    );
                }
            }
            Err(e) => {
                Metrics::inc(&metrics.errors_source);
                let d = backoff.step();
                log(Level::Warn, &comp, &format!("{e}; reconnecting in {d:?}"));
                if !sleep_unless_stopped(d, stop) {
                    break;
                }
            }
        }
    }
    tail.close();
}
