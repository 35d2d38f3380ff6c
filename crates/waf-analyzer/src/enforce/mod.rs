//! Enforcement: one trait, three back-ends.
//!
//! The daemon owns the truth (a [`BlockSet`](crate::BlockSet)); an enforcer is
//! told the complete desired state and makes its back-end match it. A full
//! state instead of add/remove events makes every call a reconciliation: a
//! failed call is simply repeated later with the then-current state, and no
//! decision can be lost between a failure and a retry.
//!
//! * [`NftablesEnforcer`]: host firewall; elements carry their own kernel timeout.
//! * [`CiliumEnforcer`]: a `CiliumCIDRGroup` and a deny policy, by server-side apply.
//! * [`DryRunEnforcer`]: prints what it would do.

pub mod cilium;
pub mod dry_run;
pub mod nftables;

pub use cilium::CiliumEnforcer;
pub use dry_run::DryRunEnforcer;
pub use nftables::NftablesEnforcer;

use crate::clock::UnixMillis;
use crate::decision::Block;
use crate::error::EnforceError;

/// What one sync changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncStats {
    /// Entries added or extended.
    pub added: usize,
    /// Entries removed.
    pub removed: usize,
}

/// A back-end that holds timed blocks.
pub trait Enforcer: Send {
    /// Short name for logs.
    fn name(&self) -> &'static str;

    /// Prepares the back-end (tables, policies) and returns the blocks it already
    /// holds, so the daemon can adopt them after a restart.
    fn start(&mut self, now: UnixMillis) -> Result<Vec<Block>, EnforceError>;

    /// Makes the back-end hold exactly `desired` (sorted, non-overlapping,
    /// unexpired). Implementations may skip work when nothing changed since
    /// the last successful call, unless `full` asks to re-read the back-end.
    fn sync(
        &mut self,
        desired: &[Block],
        now: UnixMillis,
        full: bool,
    ) -> Result<SyncStats, EnforceError>;
}

/// Builds the enforcer named in the configuration.
pub fn from_config(cfg: &crate::config::EnforcerConfig) -> Result<Box<dyn Enforcer>, EnforceError> {
    use crate::config::EnforcerConfig;
    Ok(match cfg {
        EnforcerConfig::DryRun => Box::new(DryRunEnforcer::new()),
        EnforcerConfig::Nftables(n) => Box::new(NftablesEnforcer::new(n.clone())),
        EnforcerConfig::Cilium(c) => Box::new(CiliumEnforcer::new(c.clone())?),
    })
}
