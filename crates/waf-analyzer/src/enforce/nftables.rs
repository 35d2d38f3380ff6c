//! nftables enforcer: an `inet` table of our own.
//!
//! ```text
//! table inet waf_analyzer {
//!     set blocked4 { type ipv4_addr; flags interval, timeout; }
//!     set blocked6 { type ipv6_addr; flags interval, timeout; }
//!     chain input   { type filter hook input priority -10; policy accept;
//!                     ip saddr @blocked4 counter drop; ip6 saddr @blocked6 counter drop; }
//!     chain forward { ...same... }
//! }
//! ```
//!
//! Each element is added with `timeout <remaining>s`, so the kernel removes it
//! on time even when the analyzer is down. All changes of one sync go to a
//! single `nft -f -` invocation, which the kernel applies as one transaction:
//! either the whole batch is in, or none of it.
//!
//! Reconciliation: [`Enforcer::start`] creates the table idempotently (`add`
//! is a no-op for what exists; our chains are flushed and their two rules
//! re-added, so a hand-edited chain is repaired) and reads the elements the
//! kernel holds with their remaining time; the daemon adopts them. Each
//! `full` sync re-reads the kernel and computes the difference from scratch,
//! so elements added or removed behind our back are corrected. A failed batch
//! (say, an element expired by the kernel between our read and our delete)
//! triggers one re-read and retry.
//!
//! Elements are never made to overlap (interval sets refuse it); the daemon
//! folds covered entries into wider ones ([`BlockSet::desired`](crate::BlockSet::desired)).

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::{Enforcer, SyncStats};
use crate::cidr::Cidr;
use crate::clock::UnixMillis;
use crate::config::NftablesConfig;
use crate::decision::Block;
use crate::error::EnforceError;

/// The kernel reports remaining time in whole seconds (rounded down) and we set
/// it rounded up, so expiries within this slack are the same element.
const SLACK_MS: u64 = 2_000;

/// An element as the kernel holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelElement {
    /// Set name (`blocked4`/`blocked6`).
    pub set: String,
    /// The element in nft syntax, usable in `delete element`.
    pub spec: String,
    /// The prefix, when the element is one.
    pub cidr: Option<Cidr>,
    /// Absolute expiry estimated from the remaining seconds; `None` without timeout.
    pub expires_at: Option<UnixMillis>,
}

/// Host firewall through the `nft` command.
pub struct NftablesEnforcer {
    cfg: NftablesConfig,
    /// What we believe the kernel holds: prefix → expiry we set.
    cache: BTreeMap<Cidr, UnixMillis>,
    /// Elements of ours without a prefix form (ranges, permanent entries) to remove.
    strays: Vec<KernelElement>,
}

fn set_of(c: &Cidr) -> &'static str {
    if c.addr().is_ipv4() {
        "blocked4"
    } else {
        "blocked6"
    }
}

fn elem_text(c: &Cidr) -> String {
    if c.is_host() {
        c.addr().to_string()
    } else {
        c.to_string()
    }
}

/// Remaining seconds, rounded up, at least 1.
fn remaining_secs(expires_at: UnixMillis, now: UnixMillis) -> u64 {
    expires_at.saturating_sub(now).div_ceil(1000).max(1)
}

impl NftablesEnforcer {
    /// Uses `cfg.command` to run nft (e.g. inside a network namespace).
    pub fn new(cfg: NftablesConfig) -> NftablesEnforcer {
        NftablesEnforcer {
            cfg,
            cache: BTreeMap::new(),
            strays: Vec::new(),
        }
    }

    fn command_line(&self, args: &[&str]) -> String {
        let mut v: Vec<&str> = self.cfg.command.iter().map(String::as_str).collect();
        v.extend_from_slice(args);
        v.join(" ")
    }

    /// Runs nft with `args`, feeding `stdin`; returns stdout.
    fn nft(&self, args: &[&str], stdin: Option<&str>) -> Result<String, EnforceError> {
        let command = self.command_line(args);
        let (prog, pre) = match self.cfg.command.split_first() {
            Some(x) => x,
            None => {
                return Err(EnforceError::Nft {
                    command,
                    status: "not run".into(),
                    stderr: "empty nft command".into(),
                });
            }
        };
        let mut child = Command::new(prog)
            .args(pre)
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| EnforceError::Spawn {
                command: command.clone(),
                source,
            })?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes())
                .map_err(|source| EnforceError::Spawn {
                    command: command.clone(),
                    source,
                })?;
        }
        let out = child
            .wait_with_output()
            .map_err(|source| EnforceError::Spawn {
                command: command.clone(),
                source,
            })?;
        if !out.status.success() {
            return Err(EnforceError::Nft {
                command,
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The script that creates (or repairs) our table.
    pub fn setup_script(&self) -> String {
        let t = &self.cfg.table;
        let mut s = format!(
            "add table inet {t}\n\
             add set inet {t} blocked4 {{ type ipv4_addr; flags interval, timeout; }}\n\
             add set inet {t} blocked6 {{ type ipv6_addr; flags interval, timeout; }}\n"
        );
        for hook in &self.cfg.hooks {
            s.push_str(&format!(
                "add chain inet {t} {hook} {{ type filter hook {hook} priority {}; policy accept; }}\n\
                 flush chain inet {t} {hook}\n\
                 add rule inet {t} {hook} ip saddr @blocked4 counter drop\n\
                 add rule inet {t} {hook} ip6 saddr @blocked6 counter drop\n",
                self.cfg.priority
            ));
        }
        s
    }

    /// Reads the elements of both sets.
    pub fn list(&self, now: UnixMillis) -> Result<Vec<KernelElement>, EnforceError> {
        let mut out = Vec::new();
        for set in ["blocked4", "blocked6"] {
            let json = self.nft(&["-j", "list", "set", "inet", &self.cfg.table, set], None)?;
            out.extend(parse_set_json(&json, set, now)?);
        }
        Ok(out)
    }

    fn reread(&mut self, now: UnixMillis) -> Result<Vec<Block>, EnforceError> {
        let elems = self.list(now)?;
        self.cache.clear();
        self.strays.clear();
        let mut held = Vec::new();
        for e in elems {
            match (e.cidr, e.expires_at) {
                (Some(c), Some(exp)) => {
                    self.cache.insert(c, exp);
                    held.push(Block {
                        cidr: c,
                        expires_at: exp,
                    });
                }
                _ => self.strays.push(e),
            }
        }
        Ok(held)
    }

    /// The batch that turns the cached kernel state into `desired`.
    fn diff_script(&self, desired: &[Block], now: UnixMillis) -> (String, SyncStats) {
        let t = &self.cfg.table;
        let mut stats = SyncStats::default();
        let mut dels: Vec<(String, String)> = Vec::new();
        let mut adds: Vec<(&'static str, String)> = Vec::new();
        let want: BTreeMap<Cidr, UnixMillis> =
            desired.iter().map(|b| (b.cidr, b.expires_at)).collect();
        for s in &self.strays {
            dels.push((s.set.clone(), s.spec.clone()));
        }
        for (c, exp) in &self.cache {
            // Kernel already dropped what has expired; deleting it again would fail the batch.
            if *exp <= now {
                continue;
            }
            match want.get(c) {
                None => dels.push((set_of(c).into(), elem_text(c))),
                // Extended by more than the rounding slack: replace it.
                Some(w) if *w > exp.saturating_add(SLACK_MS) => {
                    dels.push((set_of(c).into(), elem_text(c)))
                }
                _ => {}
            }
        }
        for b in desired {
            if b.expires_at <= now {
                continue;
            }
            let have = self.cache.get(&b.cidr).filter(|e| **e > now);
            let needs = match have {
                None => true,
                Some(e) => b.expires_at > e.saturating_add(SLACK_MS),
            };
            if needs {
                adds.push((
                    set_of(&b.cidr),
                    format!(
                        "{} timeout {}s",
                        elem_text(&b.cidr),
                        remaining_secs(b.expires_at, now)
                    ),
                ));
            }
        }
        let mut script = String::new();
        for (set, spec) in &dels {
            script.push_str(&format!("delete element inet {t} {set} {{ {spec} }}\n"));
        }
        for set in ["blocked4", "blocked6"] {
            let items: Vec<&str> = adds
                .iter()
                .filter(|(s, _)| *s == set)
                .map(|(_, e)| e.as_str())
                .collect();
            // Chunks keep single commands a reasonable size; still one transaction.
            for chunk in items.chunks(1000) {
                script.push_str(&format!(
                    "add element inet {t} {set} {{ {} }}\n",
                    chunk.join(", ")
                ));
            }
        }
        stats.added = adds.len();
        stats.removed = dels.len();
        (script, stats)
    }

    fn apply(&mut self, desired: &[Block], now: UnixMillis) -> Result<SyncStats, EnforceError> {
        let (script, stats) = self.diff_script(desired, now);
        if !script.is_empty() {
            self.nft(&["-f", "-"], Some(&script))?;
        }
        self.cache = desired
            .iter()
            .filter(|b| b.expires_at > now)
            .map(|b| (b.cidr, b.expires_at))
            .collect();
        self.strays.clear();
        Ok(stats)
    }
}

impl Enforcer for NftablesEnforcer {
    fn name(&self) -> &'static str {
        "nftables"
    }

    fn start(&mut self, now: UnixMillis) -> Result<Vec<Block>, EnforceError> {
        let script = self.setup_script();
        self.nft(&["-f", "-"], Some(&script))?;
        self.reread(now)
    }

    fn sync(
        &mut self,
        desired: &[Block],
        now: UnixMillis,
        full: bool,
    ) -> Result<SyncStats, EnforceError> {
        if full {
            self.reread(now)?;
        }
        match self.apply(desired, now) {
            Ok(s) => Ok(s),
            Err(first) => {
                // Our picture of the kernel may be stale (expiry race, foreign edits):
                // re-read, make sure the table exists, and try once more.
                let setup = self.setup_script();
                if self.nft(&["-f", "-"], Some(&setup)).is_err() {
                    return Err(first);
                }
                self.reread(now)?;
                self.apply(desired, now)
            }
        }
    }
}

fn parse_addr_val(v: &Value) -> Option<(Option<Cidr>, String)> {
    match v {
        Value::String(s) => {
            let ip: IpAddr = s.parse().ok()?;
            Some((Some(Cidr::host(ip)), s.clone()))
        }
        Value::Object(o) => {
            if let Some(p) = o.get("prefix") {
                let addr: IpAddr = p.get("addr")?.as_str()?.parse().ok()?;
                let len = u8::try_from(p.get("len")?.as_u64()?).ok()?;
                let c = Cidr::new(addr, len)?;
                Some((Some(c), c.to_string()))
            } else if let Some(Value::Array(r)) = o.get("range") {
                let a = r.first()?.as_str()?;
                let b = r.get(1)?.as_str()?;
                Some((None, format!("{a}-{b}")))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Reads `nft -j list set` output into elements.
pub fn parse_set_json(
    json: &str,
    set: &str,
    now: UnixMillis,
) -> Result<Vec<KernelElement>, EnforceError> {
    let v: Value = serde_json::from_str(json).map_err(|e| EnforceError::NftJson(e.to_string()))?;
    let items = v
        .get("nftables")
        .and_then(Value::as_array)
        .ok_or_else(|| EnforceError::NftJson("no \"nftables\" array".into()))?;
    let mut out = Vec::new();
    for item in items {
        let Some(s) = item.get("set") else { continue };
        let Some(elems) = s.get("elem").and_then(Value::as_array) else {
            continue;
        };
        for e in elems {
            let (val, expires) = match e.get("elem") {
                Some(inner) => (
                    inner.get("val"),
                    inner.get("expires").and_then(Value::as_u64),
                ),
                None => (Some(e), None),
            };
            let Some((cidr, spec)) = val.and_then(parse_addr_val) else {
                return Err(EnforceError::NftJson(format!("unreadable element {e}")));
            };
            out.push(KernelElement {
                set: set.to_string(),
                spec,
                cidr,
                expires_at: expires.map(|s| now.saturating_add(s.saturating_mul(1000))),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nft_json() {
        let json = r#"{"nftables": [{"metainfo": {"version": "1.0.6"}}, {"set": {"family": "inet", "name": "blocked4", "table": "waf_analyzer", "type": "ipv4_addr", "handle": 1, "flags": ["interval", "timeout"], "elem": [{"elem": {"val": "1.2.3.4", "timeout": 600, "expires": 599}}, {"elem": {"val": {"prefix": {"addr": "5.6.7.0", "len": 24}}, "timeout": 30, "expires": 29}}, "9.9.9.9", {"range": ["1.1.1.1", "1.1.1.5"]}]}}]}"#;
        let e = parse_set_json(json, "blocked4", 1000).unwrap();
        assert_eq!(e.len(), 4);
        assert_eq!(e[0].cidr, Some("1.2.3.4".parse().unwrap()));
        assert_eq!(e[0].expires_at, Some(1000 + 599_000));
        assert_eq!(e[1].spec, "5.6.7.0/24");
        assert_eq!(e[2].expires_at, None);
        assert_eq!(e[3].cidr, None);
        assert_eq!(e[3].spec, "1.1.1.1-1.1.1.5");
        assert!(parse_set_json("not json", "blocked4", 0).is_err());
        assert!(parse_set_json("{}", "blocked4", 0).is_err());
        assert!(
            parse_set_json(
                r#"{"nftables":[{"set":{"elem":[{"elem":{"val":true}}]}}]}"#,
                "blocked4",
                0
            )
            .is_err()
        );
    }

    #[test]
    fn diff_is_minimal_and_ordered() {
        let mut n = NftablesEnforcer::new(NftablesConfig::default());
        let c = |s: &str| s.parse::<Cidr>().unwrap();
        n.cache.insert(c("1.2.3.4"), 100_000);
        n.cache.insert(c("5.5.5.5"), 100_000);
        n.cache.insert(c("7.7.7.7"), 500); // expired in the kernel already
        let desired = vec![
            Block {
                cidr: c("1.2.3.4"),
                expires_at: 100_500,
            }, // within rounding: untouched
            Block {
                cidr: c("2001:db8::/64"),
                expires_at: 61_000,
            },
            Block {
                cidr: c("8.8.8.0/24"),
                expires_at: 200_000,
            },
        ];
        let (script, stats) = n.diff_script(&desired, 1_000);
        assert_eq!(
            script,
            "delete element inet waf_analyzer blocked4 { 5.5.5.5 }\n\
             add element inet waf_analyzer blocked4 { 8.8.8.0/24 timeout 199s }\n\
             add element inet waf_analyzer blocked6 { 2001:db8::/64 timeout 60s }\n"
        );
        assert_eq!(
            stats,
            SyncStats {
                added: 2,
                removed: 1
            }
        );
    }
}
