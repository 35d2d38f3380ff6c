//! The nftables enforcer against a real kernel: two network namespaces made by
//! the test (a "server" and a "client" with two addresses), joined by a veth
//! pair. UDP echo from the blocked address must be dropped, from the other
//! address it must pass, and the block must disappear after its TTL without
//! the analyzer doing anything (the kernel's element timeout).
//!
//! Needs root (CAP_NET_ADMIN), `ip` and `nft`; prints why and returns otherwise.
//! All traffic stays inside the namespaces the test created.

use std::fs::File;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use waf_analyzer::clock::now_ms;
use waf_analyzer::config::{Config, EnforcerConfig, NftablesConfig, SourceConfig};
use waf_analyzer::enforce::{Enforcer, NftablesEnforcer};
use waf_analyzer::metrics::Metrics;
use waf_analyzer::{Block, Cidr};

unsafe extern "C" {
    fn setns(fd: i32, nstype: i32) -> i32;
    fn geteuid() -> u32;
}
const CLONE_NEWNET: i32 = 0x4000_0000;

fn sh(args: &[&str]) -> Result<String, String> {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .map_err(|e| format!("{}: {e}", args.join(" ")))?;
    if !out.status.success() {
        return Err(format!(
            "{}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Two namespaces and a veth pair; removed on drop.
struct Lab {
    srv: String,
    cli: String,
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = sh(&["ip", "netns", "del", &self.srv]);
        let _ = sh(&["ip", "netns", "del", &self.cli]);
    }
}

impl Lab {
    fn new(tag: &str) -> Option<Lab> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { geteuid() } != 0 {
            eprintln!("SKIP: needs root for network namespaces and nftables");
            return None;
        }
        for tool in [["ip", "-V"], ["nft", "--version"]] {
            if sh(&tool).is_err() {
                eprintln!(
                    "SKIP: {} is not installed (apt-get install -y iproute2 nftables)",
                    tool[0]
                );
                return None;
            }
        }
        let id = std::process::id() % 100_000;
        let lab = Lab {
            srv: format!("wafs{tag}{id}"),
            cli: format!("wafc{tag}{id}"),
        };
        let (vs, vc) = (format!("vs{tag}{id}"), format!("vc{tag}{id}"));
        let steps: Vec<Vec<&str>> = vec![
            vec!["ip", "netns", "add", &lab.srv],
            vec!["ip", "netns", "add", &lab.cli],
            vec![
                "ip", "link", "add", &vs, "netns", &lab.srv, "type", "veth", "peer", "name", &vc,
                "netns", &lab.cli,
            ],
            vec![
                "ip",
                "-n",
                &lab.srv,
                "addr",
                "add",
                "10.203.0.1/24",
                "dev",
                &vs,
            ],
            vec![
                "ip",
                "-n",
                &lab.srv,
                "addr",
                "add",
                "fd42:203::1/64",
                "dev",
                &vs,
                "nodad",
            ],
            vec![
                "ip",
                "-n",
                &lab.cli,
                "addr",
                "add",
                "10.203.0.2/24",
                "dev",
                &vc,
            ],
            vec![
                "ip",
                "-n",
                &lab.cli,
                "addr",
                "add",
                "10.203.0.3/24",
                "dev",
                &vc,
            ],
            vec![
                "ip",
                "-n",
                &lab.cli,
                "addr",
                "add",
                "fd42:203::2/64",
                "dev",
                &vc,
                "nodad",
            ],
            vec![
                "ip",
                "-n",
                &lab.cli,
                "addr",
                "add",
                "fd42:203::3/64",
                "dev",
                &vc,
                "nodad",
            ],
            vec!["ip", "-n", &lab.srv, "link", "set", &vs, "up"],
            vec!["ip", "-n", &lab.cli, "link", "set", &vc, "up"],
            vec!["ip", "-n", &lab.srv, "link", "set", "lo", "up"],
            vec!["ip", "-n", &lab.cli, "link", "set", "lo", "up"],
        ];
        for s in steps {
            if let Err(e) = sh(&s) {
                eprintln!("SKIP: cannot build the network namespaces: {e}");
                return None;
            }
        }
        Some(lab)
    }

    fn enter(ns: &str) {
        let f = File::open(format!("/var/run/netns/{ns}")).expect("netns file");
        // SAFETY: a valid namespace fd; only this thread changes namespace.
        let rc = unsafe { setns(f.as_raw_fd(), CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns {ns}: {}", std::io::Error::last_os_error());
    }

    /// UDP echo servers on 10.203.0.1:9999 and [fd42:203::1]:9999 until `stop`.
    fn echo(&self, stop: Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<()>> {
        ["10.203.0.1:9999", "[fd42:203::1]:9999"]
            .into_iter()
            .map(|addr| {
                let ns = self.srv.clone();
                let stop = stop.clone();
                std::thread::spawn(move || {
                    Lab::enter(&ns);
                    let s = UdpSocket::bind(addr).expect("bind echo");
                    s.set_read_timeout(Some(Duration::from_millis(100)))
                        .unwrap();
                    let mut buf = [0u8; 64];
                    while !stop.load(Ordering::Relaxed) {
                        if let Ok((n, from)) = s.recv_from(&mut buf) {
                            let _ = s.send_to(&buf[..n], from);
                        }
                    }
                })
            })
            .collect()
    }

    /// True when an echo from `src` comes back.
    fn reachable(&self, src: &str) -> bool {
        let ns = self.cli.clone();
        let src: IpAddr = src.parse().unwrap();
        std::thread::spawn(move || {
            Lab::enter(&ns);
            let dst: SocketAddr = if src.is_ipv4() {
                "10.203.0.1:9999"
            } else {
                "[fd42:203::1]:9999"
            }
            .parse()
            .unwrap();
            let s = UdpSocket::bind(SocketAddr::new(src, 0)).expect("bind client");
            s.set_read_timeout(Some(Duration::from_millis(250)))
                .unwrap();
            let mut buf = [0u8; 64];
            for _ in 0..3 {
                let _ = s.send_to(b"ping", dst);
                if let Ok((n, _)) = s.recv_from(&mut buf)
                    && &buf[..n] == b"ping"
                {
                    return true;
                }
            }
            false
        })
        .join()
        .unwrap()
    }

    fn nft_cfg(&self) -> NftablesConfig {
        NftablesConfig {
            table: "waf_test".into(),
            command: vec![
                "ip".into(),
                "netns".into(),
                "exec".into(),
                self.srv.clone(),
                "nft".into(),
            ],
            ..NftablesConfig::default()
        }
    }
}

fn c(s: &str) -> Cidr {
    s.parse().unwrap()
}

#[test]
fn blocked_address_is_dropped_others_pass_and_the_kernel_expires_it() {
    let Some(lab) = Lab::new("e") else { return };
    let stop = Arc::new(AtomicBool::new(false));
    let servers = lab.echo(stop.clone());
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        lab.reachable("10.203.0.2") && lab.reachable("10.203.0.3"),
        "lab traffic works before any block"
    );
    assert!(
        lab.reachable("fd42:203::3"),
        "IPv6 lab traffic works before any block"
    );

    let mut nft = NftablesEnforcer::new(lab.nft_cfg());
    assert_eq!(nft.start(now_ms()).unwrap(), vec![], "fresh table is empty");
    let now = now_ms();
    let desired = vec![
        Block {
            cidr: c("10.203.0.3"),
            expires_at: now + 3_000,
        },
        Block {
            cidr: c("fd42:203::3"),
            expires_at: now + 3_000,
        },
        Block {
            cidr: c("192.0.2.0/24"),
            expires_at: now + 600_000,
        },
    ];
    let st = nft.sync(&desired, now, false).unwrap();
    assert_eq!(st.added, 3);

    assert!(
        !lab.reachable("10.203.0.3"),
        "blocked IPv4 address is dropped"
    );
    assert!(lab.reachable("10.203.0.2"), "neighbour still passes");
    assert!(
        !lab.reachable("fd42:203::3"),
        "blocked IPv6 address is dropped"
    );
    assert!(lab.reachable("fd42:203::2"), "IPv6 neighbour still passes");

    // Reconciliation on start: a new enforcer (an analyzer restart) finds what the
    // kernel holds with its remaining time, and repairs a stray entry.
    sh(&[
        "ip",
        "netns",
        "exec",
        &lab.srv,
        "nft",
        "add",
        "element",
        "inet",
        "waf_test",
        "blocked4",
        "{ 198.51.100.0/24 }",
    ])
    .unwrap();
    let mut again = NftablesEnforcer::new(lab.nft_cfg());
    let held = again.start(now_ms()).unwrap();
    let got: Vec<Cidr> = held.iter().map(|b| b.cidr).collect();
    assert!(
        got.contains(&c("10.203.0.3"))
            && got.contains(&c("192.0.2.0/24"))
            && got.contains(&c("fd42:203::3")),
        "{held:?}"
    );
    assert!(
        !got.contains(&c("198.51.100.0/24")),
        "an element without timeout is not adopted"
    );
    let kept = held.iter().find(|b| b.cidr == c("192.0.2.0/24")).unwrap();
    assert!(
        kept.expires_at > now + 590_000 && kept.expires_at <= now + 602_000,
        "remaining time read back"
    );
    // Desired state without 192.0.2.0/24: the full sync removes it and the stray.
    let desired: Vec<Block> = held
        .iter()
        .filter(|b| b.cidr != c("192.0.2.0/24"))
        .copied()
        .collect();
    let st = again.sync(&desired, now_ms(), true).unwrap();
    assert_eq!(st.removed, 2, "{st:?}");
    let listing = sh(&[
        "ip", "netns", "exec", &lab.srv, "nft", "list", "set", "inet", "waf_test", "blocked4",
    ])
    .unwrap();
    assert!(
        !listing.contains("192.0.2.0") && !listing.contains("198.51.100.0"),
        "{listing}"
    );
    assert!(
        listing.contains("10.203.0.3") && listing.contains("expires"),
        "{listing}"
    );

    // Nobody calls sync again: the kernel's timeout lifts the block.
    let deadline = Instant::now() + Duration::from_secs(8);
    while Instant::now() < deadline && !lab.reachable("10.203.0.3") {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(lab.reachable("10.203.0.3"), "block gone after its TTL");
    assert!(
        lab.reachable("fd42:203::3"),
        "IPv6 block gone after its TTL"
    );

    stop.store(true, Ordering::Relaxed);
    for s in servers {
        s.join().unwrap();
    }
}

#[test]
fn daemon_blocks_an_attacker_from_the_audit_log() {
    let Some(lab) = Lab::new("d") else { return };
    let stop_echo = Arc::new(AtomicBool::new(false));
    let servers = lab.echo(stop_echo.clone());
    let dir = std::env::temp_dir().join(format!("waf-analyzer-netns-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("audit.log");
    std::fs::write(&log, "").unwrap();

    let mut cfg = Config {
        sources: vec![SourceConfig::File {
            path: log.clone(),
            state_file: Some(dir.join("off")),
            from_start: true,
            poll_ms: 20,
        }],
        ..Config::default()
    };
    cfg.detection.base_ttl_secs = 4;
    cfg.allowlist.cidrs = vec![c("10.203.0.2")];
    cfg.enforcer = EnforcerConfig::Nftables(lab.nft_cfg());
    cfg.daemon.metrics_listen = None;
    cfg.daemon.flush_interval_ms = 50;
    let enforcer = waf_analyzer::enforce::from_config(&cfg.enforcer).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let metrics = Arc::new(Metrics::default());
    let daemon = {
        let (cfg, stop, metrics) = (cfg.clone(), stop.clone(), metrics.clone());
        std::thread::spawn(move || waf_analyzer::daemon::run(&cfg, enforcer, stop, metrics))
    };
    std::thread::sleep(Duration::from_millis(300));
    assert!(lab.reachable("10.203.0.3"));

    // Attacks from .3 and from the allowlisted .2, plus a line of garbage.
    let mut text = String::from("{not json\n");
    for i in 0..6 {
        for ip in ["10.203.0.3", "10.203.0.2"] {
            text.push_str(&format!(
                r#"{{"transaction":{{"id":"t{ip}-{i}","client_ip":"{ip}"}},"messages":[{{"data":{{"id":942100,"severity":2}}}}]}}"#
            ));
            text.push('\n');
        }
    }
    std::fs::write(&log, text).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && lab.reachable("10.203.0.3") {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !lab.reachable("10.203.0.3"),
        "attacker dropped by the kernel"
    );
    assert!(
        lab.reachable("10.203.0.2"),
        "allowlisted address never blocked"
    );
    assert_eq!(metrics.records_malformed.load(Ordering::Relaxed), 1);
    assert_eq!(metrics.decisions_address.load(Ordering::Relaxed), 1);

    // And released after its TTL.
    let deadline = Instant::now() + Duration::from_secs(8);
    while Instant::now() < deadline && !lab.reachable("10.203.0.3") {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(lab.reachable("10.203.0.3"), "released after the TTL");

    stop.store(true, Ordering::Relaxed);
    let summary = daemon.join().unwrap().unwrap();
    assert_eq!(summary.decisions, 1);
    stop_echo.store(true, Ordering::Relaxed);
    for s in servers {
        s.join().unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn extension_subnet_fold_and_removal_are_single_batches() {
    let Some(lab) = Lab::new("x") else { return };
    let stop = Arc::new(AtomicBool::new(false));
    let servers = lab.echo(stop.clone());
    let mut nft = NftablesEnforcer::new(lab.nft_cfg());
    nft.start(now_ms()).unwrap();
    let list = || {
        sh(&[
            "ip", "netns", "exec", &lab.srv, "nft", "-j", "list", "set", "inet", "waf_test",
            "blocked4",
        ])
        .unwrap()
    };

    let now = now_ms();
    nft.sync(
        &[Block {
            cidr: c("10.203.0.3"),
            expires_at: now + 5_000,
        }],
        now,
        false,
    )
    .unwrap();
    assert!(!lab.reachable("10.203.0.3"));
    // Escalation: the same address for 10 minutes replaces the element (delete + add, one batch).
    let st = nft
        .sync(
            &[Block {
                cidr: c("10.203.0.3"),
                expires_at: now + 600_000,
            }],
            now,
            false,
        )
        .unwrap();
    assert_eq!((st.added, st.removed), (1, 1));
    let elems = waf_analyzer::enforce::nftables::parse_set_json(&list(), "blocked4", now).unwrap();
    assert_eq!(elems.len(), 1);
    assert!(elems[0].expires_at.unwrap() > now + 590_000, "{elems:?}");
    // The /24 replaces the host inside it (interval sets refuse overlaps).
    nft.sync(
        &[Block {
            cidr: c("10.203.0.0/24"),
            expires_at: now + 600_000,
        }],
        now,
        false,
    )
    .unwrap();
    let elems = waf_analyzer::enforce::nftables::parse_set_json(&list(), "blocked4", now).unwrap();
    assert_eq!(
        elems.iter().map(|e| e.spec.as_str()).collect::<Vec<_>>(),
        vec!["10.203.0.0/24"]
    );
    assert!(!lab.reachable("10.203.0.2") && !lab.reachable("10.203.0.3"));
    // Removing everything (a manual unblock) releases both at once.
    nft.sync(&[], now, false).unwrap();
    assert!(lab.reachable("10.203.0.2") && lab.reachable("10.203.0.3"));

    stop.store(true, Ordering::Relaxed);
    for s in servers {
        s.join().unwrap();
    }
}
