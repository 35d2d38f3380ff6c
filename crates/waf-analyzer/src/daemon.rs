//! The daemon: sources → detection → enforcement, until told to stop.
//!
//! One thread per source feeds a bounded channel; this thread parses, detects,
//! keeps the [`BlockSet`], and every `flush_interval_ms` hands the enforcer the
//! full desired state (batched: one `nft` transaction or one apply per flush,
//! however many decisions arrived). Every `reconcile_interval_secs` the sync is
//! `full`, re-reading the back-end. A failed sync is retried with back-off; the
//! decisions stay in the `BlockSet`, so none is lost, and the kernel or
//! Cilium keeps what was already applied.
//!
//! Shutdown: the stop flag (set by SIGINT/SIGTERM in the CLI) ends the loop; a
//! last sync pushes pending decisions, sources save their offsets, and the
//! metrics listener closes. When every source has ended (stdin at EOF) the
//! daemon stops the same way.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::time::{Duration, Instant};

use crate::clock::{UnixMillis, now_ms};
use crate::config::{Config, SourceConfig};
use crate::decision::{BlockSet, Reason, Refused};
use crate::dedup::Dedup;
use crate::detect::{Detector, Outcome};
use crate::enforce::Enforcer;
use crate::error::Error;
use crate::log::{Level, log};
use crate::metrics::{Metrics, MetricsServer};
use crate::record::AuditRecord;
use crate::source::{self, Backoff};

/// Totals of one run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    /// Lines received.
    pub lines: u64,
    /// Decisions taken.
    pub decisions: u64,
    /// Entries active at the end.
    pub active: usize,
}

/// Limits log lines about malformed input to a few per second; all are counted.
struct RateLimit {
    window: Instant,
    count: u32,
    suppressed: u64,
}

impl RateLimit {
    fn allow(&mut self) -> bool {
        if self.window.elapsed() >= Duration::from_secs(1) {
            if self.suppressed > 0 {
                log(
                    Level::Warn,
                    "daemon",
                    &format!("{} more malformed lines not shown", self.suppressed),
                );
            }
            self.window = Instant::now();
            self.count = 0;
            self.suppressed = 0;
        }
        self.count += 1;
        if self.count > 10 {
            self.suppressed += 1;
            false
        } else {
            true
        }
    }
}

/// State of the processing loop, separate from the threads so it can be tested.
pub struct Engine {
    detector: Detector,
    blocks: BlockSet,
    dedup: Dedup,
    metrics: Arc<Metrics>,
    out: Vec<crate::decision::Decision>,
    limiter: RateLimit,
    decisions: u64,
}

impl Engine {
    /// Builds detector, block set and de-duplication from the configuration.
    pub fn new(cfg: &Config, metrics: Arc<Metrics>) -> Engine {
        Engine {
            detector: Detector::new(cfg.detection.clone(), cfg.allowlist(), &cfg.client_ip),
            blocks: BlockSet::new(),
            dedup: Dedup::new(cfg.daemon.dedup_capacity),
            metrics,
            out: Vec::new(),
            limiter: RateLimit {
                window: Instant::now(),
                count: 0,
                suppressed: 0,
            },
            decisions: 0,
        }
    }

    /// The active blocks.
    pub fn blocks(&self) -> &BlockSet {
        &self.blocks
    }

    /// Adopts blocks an enforcer already held (allowlist still applies).
    pub fn adopt(&mut self, held: &[crate::decision::Block], now: UnixMillis) -> usize {
        let mut n = 0;
        for b in held {
            match self
                .blocks
                .insert(b.cidr, b.expires_at, now, self.detector.allowlist())
            {
                Ok(_) => n += 1,
                Err(Refused::Allowlisted) => {
                    Metrics::inc(&self.metrics.decisions_refused_allowlist);
                    log(
                        Level::Warn,
                        "daemon",
                        &format!("enforcer held allowlisted {}; it will be removed", b.cidr),
                    );
                }
                Err(Refused::Expired) => {}
            }
        }
        self.metrics
            .active_blocks
            .store(self.blocks.len() as u64, Ordering::Relaxed);
        n
    }

    /// Processes one line from `origin` at `now`.
    pub fn line(&mut self, text: &str, key: Option<u64>, origin: &str, now: UnixMillis) {
        Metrics::inc(&self.metrics.records_read);
        let rec = match AuditRecord::parse(text) {
            Ok(r) => r,
            Err(e) => {
                Metrics::inc(&self.metrics.records_malformed);
                if self.limiter.allow() {
                    let shown: String = text.chars().take(160).collect();
                    log(Level::Warn, origin, &format!("{e}; line: {shown:?}"));
                }
                return;
            }
        };
        // The transaction id identifies a record across sources (the same record
        // from a file and from Loki); the source's own key is the fallback.
        let dedup_key = match &rec.id {
            Some(id) => Some(self.dedup.key(id.as_str())),
            None => key,
        };
        if let Some(k) = dedup_key
            && !self.dedup.first_time(k)
        {
            Metrics::inc(&self.metrics.records_duplicate);
            return;
        }
        self.out.clear();
        match self.detector.observe(&rec, now, &mut self.out) {
            Outcome::Allowlisted => Metrics::inc(&self.metrics.records_allowlisted),
            Outcome::Decided => {
                for d in std::mem::take(&mut self.out) {
                    match self
                        .blocks
                        .insert(d.target, d.expires_at, now, self.detector.allowlist())
                    {
                        Ok(_) => {
                            self.decisions += 1;
                            match d.reason {
                                Reason::Neighbours { .. } => {
                                    Metrics::inc(&self.metrics.decisions_prefix)
                                }
                                _ => Metrics::inc(&self.metrics.decisions_address),
                            }
                            log(Level::Info, "decision", &format!("{d} [{origin}]"));
                        }
                        Err(why) => {
                            Metrics::inc(&self.metrics.decisions_refused_allowlist);
                            log(Level::Warn, "decision", &format!("refused ({why:?}): {d}"));
                        }
                    }
                }
            }
            Outcome::Clean | Outcome::Scored => {}
        }
    }

    /// Drops expired blocks and forgets idle detector state.
    pub fn tick(&mut self, now: UnixMillis) {
        for b in self.blocks.expire(now) {
            log(Level::Info, "decision", &format!("expired {}", b.cidr));
        }
        self.metrics
            .active_blocks
            .store(self.blocks.len() as u64, Ordering::Relaxed);
    }

    /// Detector housekeeping.
    pub fn gc(&mut self, now: UnixMillis) {
        self.detector.gc(now);
    }
}

/// Runs until `stop` is set or every source has ended.
pub fn run(
    cfg: &Config,
    mut enforcer: Box<dyn Enforcer>,
    stop: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
) -> Result<RunSummary, Error> {
    let metrics_server = match cfg.daemon.metrics_listen {
        Some(addr) => {
            let s = MetricsServer::start(addr, metrics.clone()).map_err(|source| Error::Io {
                context: format!("metrics listener on {addr}"),
                source,
            })?;
            log(
                Level::Info,
                "daemon",
                &format!("metrics on http://{}/metrics", s.addr()),
            );
            Some(s)
        }
        None => None,
    };
    let mut engine = Engine::new(cfg, metrics.clone());

    // Start the enforcer; keep trying, the back-end may come up after us.
    let mut backoff = Backoff::default();
    loop {
        match enforcer.start(now_ms()) {
            Ok(held) => {
                let n = engine.adopt(&held, now_ms());
                log(
                    Level::Info,
                    "daemon",
                    &format!("{} ready; adopted {n} active block(s)", enforcer.name()),
                );
                break;
            }
            Err(e) => {
                Metrics::inc(&metrics.errors_enforcer);
                let d = backoff.step();
                log(
                    Level::Error,
                    enforcer.name(),
                    &format!("start failed: {e}; retrying in {d:?}"),
                );
                if !source::sleep_unless_stopped(d, &stop) {
                    return Ok(RunSummary::default());
                }
            }
        }
    }

    let (tx, rx) = sync_channel::<source::Line>(8192);
    let mut handles = Vec::new();
    let mut names = Vec::new();
    for (i, s) in cfg.sources.iter().enumerate() {
        names.push(match s {
            SourceConfig::File { path, .. } => format!("source[{i}] {}", path.display()),
            SourceConfig::Stdin => format!("source[{i}] stdin"),
            SourceConfig::Loki(l) => format!("source[{i}] loki {}", l.url),
        });
        let h = source::spawn(i, s.clone(), tx.clone(), stop.clone(), metrics.clone()).map_err(
            |source| Error::Io {
                context: format!("starting source {i}"),
                source,
            },
        )?;
        // stdin blocks in read(2) and cannot be interrupted; it is not joined.
        if !matches!(s, SourceConfig::Stdin) {
            handles.push(h);
        }
    }
    drop(tx);

    let flush = Duration::from_millis(cfg.daemon.flush_interval_ms);
    let reconcile = Duration::from_secs(cfg.daemon.reconcile_interval_secs);
    let mut last_flush = Instant::now();
    let mut last_full = Instant::now();
    let mut last_gc = Instant::now();
    let mut synced_gen: Option<u64> = None;
    let mut retry_at: Option<Instant> = None;
    let mut sync_backoff = Backoff::default();
    let mut lines = 0u64;
    let mut ended = false;

    let do_sync = |engine: &mut Engine,
                   enforcer: &mut Box<dyn Enforcer>,
                   full: bool,
                   synced_gen: &mut Option<u64>|
     -> bool {
        let now = now_ms();
        engine.tick(now);
        let desired = engine.blocks.desired(now);
        match enforcer.sync(&desired, now, full) {
            Ok(st) => {
                Metrics::inc(&metrics.enforcer_syncs);
                if st.added + st.removed > 0 {
                    log(
                        Level::Info,
                        enforcer.name(),
                        &format!(
                            "synced: {} added, {} removed, {} active",
                            st.added,
                            st.removed,
                            desired.len()
                        ),
                    );
                }
                *synced_gen = Some(engine.blocks.generation());
                true
            }
            Err(e) => {
                Metrics::inc(&metrics.errors_enforcer);
                log(
                    Level::Error,
                    enforcer.name(),
                    &format!("sync failed: {e}; decisions kept, will retry"),
                );
                false
            }
        }
    };

    while !stop.load(Ordering::Relaxed) && !ended {
        let wait = flush
            .saturating_sub(last_flush.elapsed())
            .max(Duration::from_millis(1));
        match rx.recv_timeout(wait) {
            Ok(first) => {
                let now = now_ms();
                let mut batch = Some(first);
                let mut n = 0;
                while let Some(l) = batch.take() {
                    lines += 1;
                    let origin = names.get(l.source).map_or("source", String::as_str);
                    engine.line(&l.text, l.key, origin, now);
                    n += 1;
                    if n < 4096 {
                        batch = rx.try_recv().ok();
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => ended = true,
        }
        if last_flush.elapsed() >= flush || ended {
            last_flush = Instant::now();
            let full = last_full.elapsed() >= reconcile;
            let due = retry_at.is_none_or(|t| Instant::now() >= t);
            engine.tick(now_ms());
            let changed = synced_gen != Some(engine.blocks.generation());
            if due && (changed || full) {
                if do_sync(&mut engine, &mut enforcer, full, &mut synced_gen) {
                    retry_at = None;
                    sync_backoff.reset();
                    if full {
                        last_full = Instant::now();
                    }
                } else {
                    retry_at = Some(Instant::now() + sync_backoff.step());
                }
            }
            if last_gc.elapsed() >= Duration::from_secs(60) {
                engine.gc(now_ms());
                last_gc = Instant::now();
            }
        }
    }

    stop.store(true, Ordering::Relaxed);
    // Let sources blocked on a full channel finish: drain what is left.
    while let Ok(l) = rx.try_recv() {
        lines += 1;
        let origin = names.get(l.source).map_or("source", String::as_str);
        engine.line(&l.text, l.key, origin, now_ms());
    }
    for h in handles {
        while !h.is_finished() {
            while let Ok(l) = rx.try_recv() {
                lines += 1;
                let origin = names.get(l.source).map_or("source", String::as_str);
                engine.line(&l.text, l.key, origin, now_ms());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = h.join();
    }
    // Push what is pending; a few quick tries, then leave it to the next start
    // (which adopts what the back-end holds and re-derives nothing lost on disk).
    let mut ok = synced_gen == Some(engine.blocks.generation());
    for _ in 0..3 {
        if ok {
            break;
        }
        ok = do_sync(&mut engine, &mut enforcer, false, &mut synced_gen);
        if !ok {
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    if let Some(m) = metrics_server {
        m.stop();
    }
    log(
        Level::Info,
        "daemon",
        &format!(
            "stopped after {lines} lines, {} decisions",
            engine.decisions
        ),
    );
    Ok(RunSummary {
        lines,
        decisions: engine.decisions,
        active: engine.blocks.len(),
    })
}

/// Sets `stop` on SIGINT and SIGTERM (a second signal of the same kind exits at once).
pub fn install_signal_handlers(stop: &Arc<AtomicBool>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for sig in [SIGINT, SIGTERM] {
        // Second signal while already stopping: exit with 130 (the conventional code).
        signal_hook::flag::register_conditional_shutdown(sig, 130, stop.clone())?;
        signal_hook::flag::register(sig, stop.clone())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_record_from_two_sources_counts_once() {
        let metrics = Arc::new(Metrics::default());
        let mut e = Engine::new(&Config::default(), metrics.clone());
        let line = r#"{"transaction":{"id":"tx1","client_ip":"192.0.2.1"},"messages":[{"data":{"id":942100,"severity":2}}]}"#;
        e.line(line, None, "file", 1000);
        e.line(line, Some(42), "loki", 1000);
        // Without an id, the source's key decides.
        let anon = r#"{"transaction":{"client_ip":"192.0.2.1"},"messages":[{"data":{"id":942100,"severity":2}}]}"#;
        e.line(anon, Some(7), "loki", 1000);
        e.line(anon, Some(7), "loki", 1000);
        e.line(anon, None, "file", 1000);
        assert_eq!(metrics.records_read.load(Ordering::Relaxed), 5);
        assert_eq!(metrics.records_duplicate.load(Ordering::Relaxed), 2);
    }
}
