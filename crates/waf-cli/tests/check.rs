//! `waf check` as a user runs it: real files on disk, the real binary.

use std::path::{Path, PathBuf};
use std::process::Command;

fn waf() -> Command {
    Command::new(env!("CARGO_BIN_EXE_waf"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("waf-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn errors_are_listed_with_positions_and_a_summary_line() {
    let dir = temp_dir("errors");
    let main = dir.join("main.conf");
    std::fs::write(
        &main,
        "SecRuleEngine On\nInclude inc/*.conf\nSecRule ARGS \"@nope\" \"id:1\"\nSecTmpDir /tmp\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("inc")).unwrap();
    std::fs::write(
        dir.join("inc/a.conf"),
        "SecRule ARGS \"@rx a\" \\\n  \"id:2,chain\"\n  SecRule ARGS \"b\" \"t:bogus\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("inc/b.conf"), "SecAction \"id:3,pass,nolog\"\n").unwrap();
    let (code, out) = run(waf().arg("check").arg(&main));
    let d = dir.display();
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out,
        format!(
            "{d}/inc/a.conf:3:21: unknown transformation `t:bogus`\n\
             {d}/main.conf:3:16: unknown operator `@nope`\n\
             {d}/main.conf:4:1: warning: SecTmpDir is accepted but not acted on: the engine does no I/O; the host decides logging and storage\n\
             rules: 2 loaded, 2 errors, 1 warnings\n"
        )
    );
}

#[test]
fn clean_files_exit_zero_and_chains_count_once() {
    let dir = temp_dir("clean");
    let f = dir.join("r.conf");
    std::fs::write(
        &f,
        "SecRule ARGS \"@rx a\" \"id:1,deny,chain\"\nSecRule ARGS \"b\"\nSecAction \"id:2,pass\"\n",
    )
    .unwrap();
    let (code, out) = run(waf().arg("check").arg(&f));
    assert_eq!(
        (code, out.as_str()),
        (0, "rules: 2 loaded, 0 errors, 0 warnings\n")
    );
}

#[test]
fn missing_files_are_errors_not_crashes() {
    let (code, out) = run(waf().args(["check", "/nonexistent/x.conf"]));
    assert_eq!(code, 1);
    assert!(
        out.starts_with("/nonexistent/x.conf:0:0: cannot read `/nonexistent/x.conf`"),
        "{out}"
    );
    let (code, _) = run(waf().arg("check"));
    assert_eq!(code, 2);
}

fn check_crs(dir: &Path, setup: Option<&str>) -> Option<usize> {
    if !dir.exists() {
        println!("skipped: {} is absent", dir.display());
        return None;
    }
    let mut cmd = waf();
    cmd.arg("check").arg("--crs").arg(dir);
    if let Some(s) = setup {
        cmd.args(["--crs-setup", s]);
    }
    let (code, out) = run(&mut cmd);
    assert_eq!(code, 0, "{out}");
    let last = out.lines().last().unwrap();
    println!("{}: {last}", dir.display());
    let n: usize = last
        .strip_prefix("rules: ")?
        .split(' ')
        .next()?
        .parse()
        .ok()?;
    assert!(last.contains(" loaded, 0 errors, "), "{last}");
    Some(n)
}

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/crs")
}

#[test]
fn crs_v4_loads_without_errors() {
    if let Some(n) = check_crs(&shared().join("v4.28.0"), None) {
        assert!((600..700).contains(&n), "{n}");
    }
}

#[test]
fn crs_v3_loads_without_errors() {
    if let Some(n) = check_crs(&shared().join("v3.3.10"), None) {
        assert!(n > 600, "{n}");
    }
}

#[test]
fn debian_crs_loads_without_errors() {
    if Path::new("/etc/modsecurity/crs/crs-setup.conf").exists() {
        if let Some(n) = check_crs(
            Path::new("/usr/share/modsecurity-crs"),
            Some("/etc/modsecurity/crs/crs-setup.conf"),
        ) {
            assert!(n > 600, "{n}");
        }
    } else {
        println!("skipped: Debian's modsecurity-crs is not installed");
    }
}

#[test]
fn recommended_configuration_then_debian_crs_load_without_errors() {
    let recommended = Path::new("/etc/nginx/modsecurity.conf");
    let setup = Path::new("/etc/modsecurity/crs/crs-setup.conf");
    let rules_dir = Path::new("/usr/share/modsecurity-crs/rules");
    if !(recommended.exists() && setup.exists() && rules_dir.exists()) {
        println!(
            "skipped: Debian's libnginx-mod-http-modsecurity or modsecurity-crs is not installed"
        );
        return;
    }
    let mut rules: Vec<PathBuf> = std::fs::read_dir(rules_dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    rules.sort();
    let (code, out) = run(waf().arg("check").arg(recommended).arg(setup).args(&rules));
    let last = out.lines().last().unwrap_or_default();
    println!("modsecurity.conf + Debian CRS: {last}");
    assert_eq!(code, 0, "{out}");
    assert!(last.contains(" loaded, 0 errors, "), "{last}");
}
