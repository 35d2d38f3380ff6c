//! `replay`: what would have been blocked for a recorded log.
//!
//! Time comes from the records (`unix_timestamp`, `timestamp`, `time_stamp`),
//! never from the clock, so a replay of an hour of log behaves like that hour.
//! Records without a readable time take the previous record's time; time
//! never goes backwards.

use std::io::{BufRead, Write};

use crate::clock::format_rfc3339;
use crate::config::Config;
use crate::decision::{BlockSet, Decision};
use crate::dedup::Dedup;
use crate::detect::{Detector, Outcome};
use crate::record::AuditRecord;

/// Totals of a replay.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ReplaySummary {
    /// Non-empty lines read.
    pub records: u64,
    /// Lines that were not audit records (`(line number, error)`; first 100 kept).
    pub malformed: Vec<(u64, String)>,
    /// Number of malformed lines.
    pub malformed_count: u64,
    /// Records dropped as replays of an earlier id.
    pub duplicates: u64,
    /// Records from allowlisted clients.
    pub allowlisted: u64,
    /// Decisions taken, in order.
    pub decisions: Vec<Decision>,
}

/// Replays `input`, writing one line per decision to `out`.
pub fn replay(
    cfg: &Config,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> std::io::Result<ReplaySummary> {
    let mut det = Detector::new(cfg.detection.clone(), cfg.allowlist(), &cfg.client_ip);
    let mut blocks = BlockSet::new();
    let mut dedup = Dedup::new(cfg.daemon.dedup_capacity);
    let mut sum = ReplaySummary::default();
    let mut now: u64 = 1;
    let mut buf = Vec::new();
    let mut lineno = 0u64;
    let mut decided = Vec::new();
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        lineno += 1;
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        sum.records += 1;
        let text = String::from_utf8_lossy(&buf);
        let rec = match AuditRecord::parse(&text) {
            Ok(r) => r,
            Err(e) => {
                sum.malformed_count += 1;
                if sum.malformed.len() < 100 {
                    sum.malformed.push((lineno, e.to_string()));
                }
                continue;
            }
        };
        if let Some(id) = &rec.id
            && !dedup.first_time(dedup.key(id.as_str()))
        {
            sum.duplicates += 1;
            continue;
        }
        if let Some(t) = rec.timestamp_ms {
            now = now.max(t);
        }
        decided.clear();
        match det.observe(&rec, now, &mut decided) {
            Outcome::Allowlisted => sum.allowlisted += 1,
            Outcome::Decided => {
                for d in decided.drain(..) {
                    if blocks
                        .insert(d.target, d.expires_at, now, det.allowlist())
                        .is_ok()
                    {
                        writeln!(out, "{} {d}", format_rfc3339(now))?;
                        sum.decisions.push(d);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(sum)
}
