//! Detection: audit records in, timed decisions out. Sans-I/O: the caller
//! passes `now`, the detector never reads a clock, file or socket.
//!
//! ## Scoring
//!
//! Each record is worth `max(Σ weight(severity) over its attack matches,
//! anomaly_weight × CRS total anomaly score)`. The maximum, not the sum, because
//! CRS's total is itself the sum of the same matches' severities: adding both
//! would count every match twice.
//!
//! ## Leaky bucket per address
//!
//! A bucket drains `leak_per_second` points per second and takes each record's
//! score. When it reaches `capacity` (within 0.1 %, so a burst that fills it
//! exactly is not undone by milliseconds of leak) *and* holds at least `min_requests` scored
//! requests or `min_distinct_rules` distinct rule ids, the address is blocked and
//! its bucket emptied. A bucket that drained to zero forgets its requests and rules.
//!
//! ## Escalation
//!
//! The n-th block of a prefix lasts `base_ttl × factor^(n-1)`, capped at
//! `max_ttl`. An offender is forgotten `offender_memory_secs` after its last
//! block expired.
//!
//! ## Neighbourhoods
//!
//! When `min_offenders` distinct addresses of one /24 (IPv4) or /64 (IPv6) were
//! blocked within `window_secs`, the prefix is blocked too, unless any
//! allowlisted address lies inside it.
//!
//! The allowlist is checked first: an allowlisted client gets no bucket at all.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::cidr::{Cidr, CidrSet};
use crate::clock::UnixMillis;
use crate::config::{ClientIpConfig, DetectionConfig};
use crate::decision::{Decision, Reason};
use crate::record::{AuditRecord, Severity, parse_ip_lenient};

const MAX_RULES_KEPT: usize = 32;

#[derive(Debug, Default)]
struct Bucket {
    level: f64,
    last: UnixMillis,
    requests: u32,
    rules: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
struct Offender {
    count: u32,
    /// Expiry of the latest block.
    until: UnixMillis,
}

/// What [`Detector::observe`] did with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// No attack match and no anomaly score.
    Clean,
    /// The client is allowlisted; nothing was counted.
    Allowlisted,
    /// Scored; the bucket did not overflow.
    Scored,
    /// One or more decisions were pushed.
    Decided,
}

/// Per-source leaky buckets with escalation and neighbourhood aggregation.
pub struct Detector {
    cfg: DetectionConfig,
    weights: [f64; 8],
    allow: CidrSet,
    trusted: CidrSet,
    buckets: HashMap<IpAddr, Bucket>,
    offenders: HashMap<Cidr, Offender>,
    neighbours: HashMap<Cidr, Vec<(IpAddr, UnixMillis)>>,
    observed: u64,
}

/// CRS's default points: critical 5, error 4, warning 3, notice 2.
fn default_weight(sev: u8) -> f64 {
    match sev {
        0..=2 => 5.0,
        3 => 4.0,
        4 => 3.0,
        5 => 2.0,
        _ => 1.0,
    }
}

impl Detector {
    /// Builds a detector. `cfg` is assumed validated ([`crate::Config::validate`]).
    pub fn new(cfg: DetectionConfig, allow: CidrSet, client_ip: &ClientIpConfig) -> Detector {
        let mut weights = [0.0; 8];
        for (i, w) in weights.iter_mut().enumerate() {
            *w = default_weight(i as u8);
        }
        for (name, w) in &cfg.severity_weights {
            if let Some(Severity(s)) = Severity::from_name(name) {
                weights[usize::from(s)] = *w;
            }
        }
        Detector {
            cfg,
            weights,
            allow,
            trusted: CidrSet::new(client_ip.trusted_proxies.clone()),
            buckets: HashMap::new(),
            offenders: HashMap::new(),
            neighbours: HashMap::new(),
            observed: 0,
        }
    }

    /// The allowlist in force.
    pub fn allowlist(&self) -> &CidrSet {
        &self.allow
    }

    /// The client address of a record, honouring trusted proxies (see
    /// [`ClientIpConfig`]).
    pub fn client_of(&self, rec: &AuditRecord) -> IpAddr {
        let peer = rec.client_ip;
        if self.trusted.is_empty() || !self.trusted.contains(peer) || rec.forwarded_for.is_empty() {
            return peer;
        }
        let mut current = peer;
        for header in rec.forwarded_for.iter().rev() {
            for hop in header.rsplit(',') {
                let hop = hop.trim();
                if hop.is_empty() {
                    continue;
                }
                match parse_ip_lenient(hop) {
                    Some(ip) => {
                        current = ip;
                        if !self.trusted.contains(ip) {
                            return ip;
                        }
                    }
                    None => return current,
                }
            }
        }
        current
    }

    /// The score of one record (0 when it matched nothing).
    pub fn score(&self, rec: &AuditRecord) -> f64 {
        let sum: f64 = rec
            .matches
            .iter()
            .map(|m| match m.severity {
                Some(Severity(s)) => self.weights[usize::from(s.min(7))],
                None => self.cfg.unknown_severity_weight,
            })
            .sum();
        let anomaly = rec
            .anomaly_score
            .map_or(0.0, |a| f64::from(a) * self.cfg.anomaly_weight);
        sum.max(anomaly)
    }

    fn ttl_ms(&self, offense: u32) -> u64 {
        let base = self.cfg.base_ttl_secs as f64;
        let exp = offense.saturating_sub(1).min(64) as i32;
        let secs = (base * self.cfg.escalation_factor.powi(exp)).min(self.cfg.max_ttl_secs as f64);
        (secs as u64).saturating_mul(1000)
    }

    fn next_offense(&mut self, target: Cidr, now: UnixMillis) -> (u32, UnixMillis) {
        let memory = self.cfg.offender_memory_secs.saturating_mul(1000);
        let prev = self.offenders.get(&target).copied();
        let count = match prev {
            Some(o) if now <= o.until.saturating_add(memory) => o.count.saturating_add(1),
            _ => 1,
        };
        let expires = now.saturating_add(self.ttl_ms(count));
        self.offenders.insert(
            target,
            Offender {
                count,
                until: expires,
            },
        );
        (count, expires)
    }

    /// Feeds one record observed at `now`; decisions are appended to `out`.
    pub fn observe(
        &mut self,
        rec: &AuditRecord,
        now: UnixMillis,
        out: &mut Vec<Decision>,
    ) -> Outcome {
        let ip = self.client_of(rec);
        if self.allow.contains(ip) {
            return Outcome::Allowlisted;
        }
        let score = self.score(rec);
        if score <= 0.0 {
            return Outcome::Clean;
        }
        self.observed += 1;
        let leak = self.cfg.leak_per_second;
        let bucket = self.buckets.entry(ip).or_default();
        let elapsed = now.saturating_sub(bucket.last) as f64 / 1000.0;
        if bucket.last != 0 || bucket.level > 0.0 {
            bucket.level = (bucket.level - elapsed * leak).max(0.0);
            if bucket.level == 0.0 {
                bucket.requests = 0;
                bucket.rules.clear();
            }
        }
        bucket.last = bucket.last.max(now);
        bucket.level += score;
        bucket.requests = bucket.requests.saturating_add(1);
        for m in &rec.matches {
            if let Some(id) = m.rule_id
                && bucket.rules.len() < MAX_RULES_KEPT
                && !bucket.rules.contains(&id)
            {
                bucket.rules.push(id);
            }
        }
        // Within 0.1 % counts as full: a burst that fills the bucket exactly
        // (4 × 5 points = 20) must not miss because a few ms of leak passed.
        let full = bucket.level >= self.cfg.capacity * 0.999;
        let enough = bucket.requests >= self.cfg.min_requests
            || bucket.rules.len() as u32 >= self.cfg.min_distinct_rules;
        if !(full && enough) {
            return Outcome::Scored;
        }
        let reason = Reason::Address {
            score: bucket.level,
            requests: bucket.requests,
            rules: std::mem::take(&mut bucket.rules),
        };
        self.buckets.remove(&ip);
        let target = Cidr::host(ip);
        let (offense, expires_at) = self.next_offense(target, now);
        out.push(Decision {
            target,
            decided_at: now,
            expires_at,
            offense,
            reason,
        });
        if self.cfg.subnet.enabled {
            self.neighbourhood(ip, now, out);
        }
        if self.observed.is_multiple_of(65_536) {
            self.gc(now);
        }
        Outcome::Decided
    }

    fn neighbourhood(&mut self, ip: IpAddr, now: UnixMillis, out: &mut Vec<Decision>) {
        let sub = &self.cfg.subnet;
        let len = if ip.is_ipv4() {
            sub.ipv4_prefix
        } else {
            sub.ipv6_prefix
        };
        let net = Cidr::host(ip).supernet(len);
        if net.is_host() || self.allow.overlaps(&net) {
            return;
        }
        let window = sub.window_secs.saturating_mul(1000);
        let min = sub.min_offenders as usize;
        let members = self.neighbours.entry(net).or_default();
        members.retain(|(a, t)| now.saturating_sub(*t) <= window && *a != ip);
        members.push((ip, now));
        if members.len() < min {
            return;
        }
        let offenders = members.len() as u32;
        self.neighbours.remove(&net);
        let (offense, expires_at) = self.next_offense(net, now);
        out.push(Decision {
            target: net,
            decided_at: now,
            expires_at,
            offense,
            reason: Reason::Neighbours { offenders },
        });
    }

    /// Records a block that exists already (adopted from the enforcer after a
    /// restart), so the next block of the same prefix escalates.
    pub fn remember_block(&mut self, target: Cidr, until: UnixMillis) {
        let o = self
            .offenders
            .entry(target)
            .or_insert(Offender { count: 0, until: 0 });
        o.count = o.count.max(1);
        o.until = o.until.max(until);
    }

    /// Forgets drained buckets, old neighbours and offenders past their memory.
    /// Called automatically now and then; call it from a timer for idle periods.
    pub fn gc(&mut self, now: UnixMillis) {
        let leak = self.cfg.leak_per_second;
        self.buckets.retain(|_, b| {
            let elapsed = now.saturating_sub(b.last) as f64 / 1000.0;
            b.level - elapsed * leak > 0.0
        });
        let memory = self.cfg.offender_memory_secs.saturating_mul(1000);
        self.offenders
            .retain(|_, o| now <= o.until.saturating_add(memory));
        let window = self.cfg.subnet.window_secs.saturating_mul(1000);
        self.neighbours.retain(|_, m| {
            m.retain(|(_, t)| now.saturating_sub(*t) <= window);
            !m.is_empty()
        });
    }

    /// Addresses with a non-empty bucket (for metrics).
    pub fn tracked(&self) -> usize {
        self.buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::RuleMatch;

    fn rec(ip: &str, rules: &[(u32, u8)]) -> AuditRecord {
        AuditRecord {
            id: None,
            client_ip: ip.parse().unwrap(),
            forwarded_for: vec![],
            timestamp_ms: None,
            status: Some(403),
            matches: rules
                .iter()
                .map(|(id, s)| RuleMatch {
                    rule_id: Some(*id),
                    severity: Some(Severity(*s)),
                })
                .collect(),
            anomaly_score: None,
        }
    }

    fn det(cfg: DetectionConfig, allow: &[&str], trusted: &[&str]) -> Detector {
        let allow = CidrSet::new(allow.iter().map(|s| s.parse().unwrap()).collect());
        let ci = ClientIpConfig {
            trusted_proxies: trusted.iter().map(|s| s.parse().unwrap()).collect(),
        };
        Detector::new(cfg, allow, &ci)
    }

    #[test]
    fn bucket_fills_then_blocks_with_absolute_expiry() {
        let mut d = det(DetectionConfig::default(), &[], &[]);
        let mut out = Vec::new();
        let r = rec("203.0.113.9", &[(942100, 2)]);
        // 5 points each, capacity 20, min 3 requests: the 4th request blocks.
        for _ in 0..3 {
            assert_eq!(d.observe(&r, 1_000_000, &mut out), Outcome::Scored);
        }
        assert_eq!(d.observe(&r, 1_000_000, &mut out), Outcome::Decided);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].target.to_string(), "203.0.113.9/32");
        assert_eq!(out[0].expires_at, 1_000_000 + 600_000);
        assert_eq!(out[0].offense, 1);
    }

    #[test]
    fn leak_drains_slow_attackers() {
        let mut d = det(DetectionConfig::default(), &[], &[]);
        let mut out = Vec::new();
        let r = rec("203.0.113.9", &[(942100, 2)]);
        // One critical match per minute drains (0.1/s × 60 s = 6 > 5) and never blocks.
        for i in 0..100u64 {
            d.observe(&r, 1_000 + i * 60_000, &mut out);
        }
        assert!(out.is_empty());
    }

    #[test]
    fn anomaly_score_and_single_request_needs_minimum() {
        let mut d = det(DetectionConfig::default(), &[], &[]);
        let mut out = Vec::new();
        let mut r = rec("198.51.100.3", &[(942100, 2)]);
        r.anomaly_score = Some(50);
        assert_eq!(d.score(&r), 50.0);
        // Full after one request, but only 1 request and 1 rule: not enough.
        assert_eq!(d.observe(&r, 1000, &mut out), Outcome::Scored);
        let r3 = rec("198.51.100.3", &[(941100, 2), (932100, 2)]);
        assert_eq!(d.observe(&r3, 1001, &mut out), Outcome::Decided);
    }

    #[test]
    fn repeat_offenders_escalate_with_a_cap() {
        let cfg = DetectionConfig {
            min_requests: 1,
            base_ttl_secs: 100,
            max_ttl_secs: 350,
            ..Default::default()
        };
        let mut d = det(cfg, &[], &[]);
        let mut out = Vec::new();
        let mut r = rec("192.0.2.1", &[]);
        r.anomaly_score = Some(25);
        let mut now = 10_000;
        for _ in 0..4 {
            d.observe(&r, now, &mut out);
            now += 1_000_000;
        }
        let ttls: Vec<u64> = out
            .iter()
            .map(|d| (d.expires_at - d.decided_at) / 1000)
            .collect();
        assert_eq!(ttls, vec![100, 200, 350, 350]);
        assert_eq!(
            out.iter().map(|d| d.offense).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
    }

    #[test]
    fn adopted_blocks_escalate_after_a_restart() {
        let cfg = DetectionConfig {
            min_requests: 1,
            base_ttl_secs: 100,
            ..Default::default()
        };
        let mut d = det(cfg, &[], &[]);
        d.remember_block("192.0.2.1".parse().unwrap(), 50_000);
        let mut out = Vec::new();
        let mut r = rec("192.0.2.1", &[]);
        r.anomaly_score = Some(25);
        d.observe(&r, 60_000, &mut out);
        assert_eq!(out[0].offense, 2);
        assert_eq!(out[0].expires_at - out[0].decided_at, 200_000);
    }

    #[test]
    fn allowlisted_never_scored() {
        let mut d = det(
            DetectionConfig {
                min_requests: 1,
                ..Default::default()
            },
            &["10.0.0.0/8"],
            &[],
        );
        let mut out = Vec::new();
        let mut r = rec("10.2.3.4", &[]);
        r.anomaly_score = Some(1000);
        assert_eq!(d.observe(&r, 1, &mut out), Outcome::Allowlisted);
        assert!(out.is_empty());
        assert_eq!(d.tracked(), 0);
    }

    #[test]
    fn neighbours_block_the_prefix_unless_allowlisted_inside() {
        let cfg = DetectionConfig {
            min_requests: 1,
            ..Default::default()
        };
        let mut d = det(cfg.clone(), &[], &[]);
        let mut out = Vec::new();
        for host in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
            let mut r = rec(host, &[]);
            r.anomaly_score = Some(25);
            d.observe(&r, 5000, &mut out);
        }
        assert_eq!(out.len(), 4);
        assert_eq!(out[3].target.to_string(), "198.51.100.0/24");
        assert!(matches!(out[3].reason, Reason::Neighbours { offenders: 3 }));

        // The load balancer lives in that /24: the prefix is never blocked.
        let mut d = det(cfg, &["198.51.100.250"], &[]);
        let mut out = Vec::new();
        for host in [
            "198.51.100.1",
            "198.51.100.2",
            "198.51.100.3",
            "198.51.100.4",
        ] {
            let mut r = rec(host, &[]);
            r.anomaly_score = Some(25);
            d.observe(&r, 5000, &mut out);
        }
        assert!(out.iter().all(|d| d.target.is_host()));
    }

    #[test]
    fn ipv6_neighbours_use_slash_64() {
        let cfg = DetectionConfig {
            min_requests: 1,
            ..Default::default()
        };
        let mut d = det(cfg, &[], &[]);
        let mut out = Vec::new();
        for host in ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"] {
            let mut r = rec(host, &[]);
            r.anomaly_score = Some(25);
            d.observe(&r, 5000, &mut out);
        }
        assert_eq!(out.last().unwrap().target.to_string(), "2001:db8:1:2::/64");
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let d = det(DetectionConfig::default(), &[], &["10.0.0.0/8"]);
        let mut r = rec("10.0.0.5", &[]);
        r.forwarded_for = vec!["6.6.6.6, 203.0.113.50, 10.0.0.7".into()];
        assert_eq!(d.client_of(&r).to_string(), "203.0.113.50");
        // Untrusted peer: header ignored.
        let mut r2 = r.clone();
        r2.client_ip = "192.0.2.8".parse().unwrap();
        assert_eq!(d.client_of(&r2).to_string(), "192.0.2.8");
        // Garbage stops the walk at the last trusted hop.
        r.forwarded_for = vec!["junk, 10.0.0.7".into()];
        assert_eq!(d.client_of(&r).to_string(), "10.0.0.7");
        // No trusted proxies configured: header ignored.
        let d = det(DetectionConfig::default(), &[], &[]);
        r.forwarded_for = vec!["6.6.6.6".into()];
        assert_eq!(d.client_of(&r).to_string(), "10.0.0.5");
    }
}
