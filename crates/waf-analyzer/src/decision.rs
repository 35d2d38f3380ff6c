//! Decisions (what to block, until when) and the set of active blocks.

use std::collections::HashMap;
use std::fmt;

use crate::cidr::{Cidr, CidrSet};
use crate::clock::{UnixMillis, format_rfc3339};

/// Why a decision was taken.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// One address filled its bucket.
    Address {
        /// Bucket level when it overflowed.
        score: f64,
        /// Scored requests in the bucket.
        requests: u32,
        /// Distinct rule ids seen (capped list).
        rules: Vec<u32>,
    },
    /// Enough addresses of one prefix were blocked within the window.
    Neighbours {
        /// How many.
        offenders: u32,
    },
    /// Found in the enforcer backend at start-up and adopted.
    Adopted,
}

/// A timed block of one prefix.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// What is blocked.
    pub target: Cidr,
    /// When it was taken.
    pub decided_at: UnixMillis,
    /// Absolute expiry.
    pub expires_at: UnixMillis,
    /// 1 for a first block, 2 for the first repeat, ...
    pub offense: u32,
    /// Why.
    pub reason: Reason,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.expires_at.saturating_sub(self.decided_at) / 1000;
        write!(
            f,
            "block {} for {}s until {} (offense {}",
            self.target,
            secs,
            format_rfc3339(self.expires_at),
            self.offense
        )?;
        match &self.reason {
            Reason::Address {
                score,
                requests,
                rules,
            } => {
                write!(f, ", score {score:.1}, {requests} requests, rules ")?;
                for (i, r) in rules.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{r}")?;
                }
                f.write_str(")")
            }
            Reason::Neighbours { offenders } => write!(f, ", {offenders} blocked neighbours)"),
            Reason::Adopted => f.write_str(", adopted from enforcer)"),
        }
    }
}

/// What an enforcer is asked to hold: a prefix and its absolute expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Block {
    /// Prefix.
    pub cidr: Cidr,
    /// Absolute expiry.
    pub expires_at: UnixMillis,
}

/// Why [`BlockSet::insert`] refused a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// It covers an allowlisted address.
    Allowlisted,
    /// It has already expired.
    Expired,
}

/// The active blocks. Never holds an allowlisted address or an expired entry
/// (after [`BlockSet::expire`]); overlapping entries are merged in [`BlockSet::desired`].
#[derive(Clone, Debug, Default)]
pub struct BlockSet {
    active: HashMap<Cidr, UnixMillis>,
    /// Bumped on every change, so enforcers can skip unchanged syncs.
    generation: u64,
}

impl BlockSet {
    /// Empty set.
    pub fn new() -> BlockSet {
        BlockSet::default()
    }

    /// Adds or extends a block. The allowlist is checked again here, as the last gate.
    pub fn insert(
        &mut self,
        cidr: Cidr,
        expires_at: UnixMillis,
        now: UnixMillis,
        allow: &CidrSet,
    ) -> Result<bool, Refused> {
        if allow.overlaps(&cidr) {
            return Err(Refused::Allowlisted);
        }
        if expires_at <= now {
            return Err(Refused::Expired);
        }
        let slot = self.active.entry(cidr).or_insert(0);
        if *slot < expires_at {
            *slot = expires_at;
            self.generation += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Drops entries whose time is up; returns them.
    pub fn expire(&mut self, now: UnixMillis) -> Vec<Block> {
        let mut gone = Vec::new();
        self.active.retain(|cidr, exp| {
            let keep = *exp > now;
            if !keep {
                gone.push(Block {
                    cidr: *cidr,
                    expires_at: *exp,
                });
            }
            keep
        });
        if !gone.is_empty() {
            self.generation += 1;
        }
        gone.sort();
        gone
    }

    /// Removes one prefix (manual unblock).
    pub fn remove(&mut self, cidr: &Cidr) -> bool {
        let removed = self.active.remove(cidr).is_some();
        if removed {
            self.generation += 1;
        }
        removed
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.active.len()
    }

    /// True when nothing is blocked.
    pub fn is_empty(&self) -> bool {
        self.active.is_empty()
    }

    /// Change counter.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Expiry of one prefix.
    pub fn get(&self, cidr: &Cidr) -> Option<UnixMillis> {
        self.active.get(cidr).copied()
    }

    /// What the enforcer should hold: unexpired, sorted, and without overlaps
    /// (nftables interval sets refuse overlapping elements). An entry inside a
    /// wider one is folded into it, and the wider one keeps the later expiry, so
    /// no address is released earlier than decided.
    pub fn desired(&self, now: UnixMillis) -> Vec<Block> {
        let mut items: Vec<Block> = self
            .active
            .iter()
            .filter(|(_, e)| **e > now)
            .map(|(c, e)| Block {
                cidr: *c,
                expires_at: *e,
            })
            .collect();
        items.sort_by_key(|b| (b.cidr.prefix_len(), b.cidr));
        let mut wide: Vec<Block> = Vec::new();
        let mut hosts: Vec<Block> = Vec::new();
        for b in items {
            if let Some(w) = wide.iter_mut().find(|w| w.cidr.covers(&b.cidr)) {
                w.expires_at = w.expires_at.max(b.expires_at);
                continue;
            }
            if b.cidr.is_host() {
                hosts.push(b);
            } else {
                wide.push(b);
            }
        }
        wide.extend(hosts);
        wide.sort();
        wide
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn allowlist_is_the_last_gate() {
        let allow = CidrSet::new(vec![c("10.0.0.0/8")]);
        let mut s = BlockSet::new();
        assert_eq!(
            s.insert(c("10.1.2.3"), 100, 0, &allow),
            Err(Refused::Allowlisted)
        );
        assert_eq!(
            s.insert(c("0.0.0.0/0"), 100, 0, &allow),
            Err(Refused::Allowlisted)
        );
        assert_eq!(
            s.insert(c("1.2.3.4"), 100, 100, &allow),
            Err(Refused::Expired)
        );
        assert_eq!(s.insert(c("1.2.3.4"), 100, 0, &allow), Ok(true));
        assert_eq!(s.insert(c("1.2.3.4"), 50, 0, &allow), Ok(false));
        assert_eq!(s.get(&c("1.2.3.4")), Some(100));
    }

    #[test]
    fn desired_folds_overlaps_and_expires() {
        let allow = CidrSet::default();
        let mut s = BlockSet::new();
        s.insert(c("1.2.3.4"), 900, 0, &allow).unwrap();
        s.insert(c("1.2.3.0/24"), 500, 0, &allow).unwrap();
        s.insert(c("5.6.7.8"), 300, 0, &allow).unwrap();
        s.insert(c("2001:db8::1"), 300, 0, &allow).unwrap();
        let d = s.desired(0);
        assert_eq!(
            d,
            vec![
                Block {
                    cidr: c("1.2.3.0/24"),
                    expires_at: 900
                },
                Block {
                    cidr: c("5.6.7.8"),
                    expires_at: 300
                },
                Block {
                    cidr: c("2001:db8::1"),
                    expires_at: 300
                },
            ]
        );
        assert_eq!(s.expire(300).len(), 2);
        assert_eq!(s.desired(300).len(), 1);
    }
}
