//! The dry-run enforcer: prints each change to standard output.

use std::collections::BTreeMap;
use std::io::Write;

use super::{Enforcer, SyncStats};
use crate::cidr::Cidr;
use crate::clock::{UnixMillis, format_rfc3339};
use crate::decision::Block;
use crate::error::EnforceError;

/// Prints `would block`/`would unblock` lines; holds nothing.
#[derive(Default)]
pub struct DryRunEnforcer {
    held: BTreeMap<Cidr, UnixMillis>,
    out: Option<Box<dyn Write + Send>>,
}

impl DryRunEnforcer {
    /// Prints to standard output.
    pub fn new() -> DryRunEnforcer {
        DryRunEnforcer::default()
    }

    /// Prints to `out` (tests).
    pub fn with_writer(out: Box<dyn Write + Send>) -> DryRunEnforcer {
        DryRunEnforcer {
            held: BTreeMap::new(),
            out: Some(out),
        }
    }

    fn say(&mut self, line: &str) {
        match &mut self.out {
            Some(w) => {
                let _ = writeln!(w, "{line}");
            }
            None => {
                let _ = writeln!(std::io::stdout().lock(), "{line}");
            }
        }
    }
}

impl Enforcer for DryRunEnforcer {
    fn name(&self) -> &'static str {
        "dry-run"
    }

    fn start(&mut self, _now: UnixMillis) -> Result<Vec<Block>, EnforceError> {
        Ok(Vec::new())
    }

    fn sync(
        &mut self,
        desired: &[Block],
        now: UnixMillis,
        _full: bool,
    ) -> Result<SyncStats, EnforceError> {
        let mut stats = SyncStats::default();
        let want: BTreeMap<Cidr, UnixMillis> =
            desired.iter().map(|b| (b.cidr, b.expires_at)).collect();
        let gone: Vec<Cidr> = self
            .held
            .keys()
            .filter(|c| !want.contains_key(c))
            .copied()
            .collect();
        for c in gone {
            let exp = self.held.remove(&c);
            let why = if exp.is_some_and(|e| e <= now) {
                "expired"
            } else {
                "removed"
            };
            self.say(&format!("dry-run: would unblock {c} ({why})"));
            stats.removed += 1;
        }
        for (c, e) in want {
            if self.held.get(&c) != Some(&e) {
                let secs = e.saturating_sub(now).div_ceil(1000);
                self.say(&format!(
                    "dry-run: would block {c} for {secs}s (until {})",
                    format_rfc3339(e)
                ));
                self.held.insert(c, e);
                stats.added += 1;
            }
        }
        Ok(stats)
    }
}
