//! Every CRS file we can find parses without error, and every directive prints back to
//! SecLang that parses to the same tree.
//!
//! CRS is not part of this repository: the sets come from `../shared/crs` (beside the
//! repository) and from Debian's `modsecurity-crs` package. A missing set is skipped with
//! a printed reason.

use std::path::{Path, PathBuf};

use waf_seclang::{Directive, parse_str};

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/crs")
}

/// The configuration files of a CRS directory, in load order.
fn crs_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for setup in ["crs-setup.conf", "crs-setup.conf.example"] {
        if dir.join(setup).exists() {
            files.push(dir.join(setup));
            break;
        }
    }
    let mut rules: Vec<PathBuf> = std::fs::read_dir(dir.join("rules"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "conf" || e == "example"))
                .collect()
        })
        .unwrap_or_default();
    rules.sort();
    files.extend(rules);
    files
}

/// Parses each file, checks it has no errors, round-trips every directive, returns the
/// number of rule directives.
fn check_set(name: &str, files: &[PathBuf]) -> usize {
    let mut rules = 0;
    let mut directives = 0;
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        let label = file.display().to_string();
        let out = parse_str(&label, &text);
        assert!(out.errors.is_empty(), "{name}: {:#?}", out.errors);
        rules += out.rule_directive_count();
        for d in &out.ast.directives {
            directives += 1;
            let printed = d.node.to_string();
            let again = parse_str("printed.conf", &printed);
            assert!(
                again.errors.is_empty(),
                "{label}:{}: reprint failed: {:?}\n{printed}",
                d.span.line,
                again.errors
            );
            assert_eq!(again.ast.directives.len(), 1, "{printed}");
            assert_eq!(
                again.ast.directives[0].node, d.node,
                "{label}:{}: round trip changed\n{printed}",
                d.span.line
            );
        }
    }
    println!(
        "{name}: {} files, {directives} directives, {rules} rules, all round-tripped",
        files.len()
    );
    rules
}

#[test]
fn crs_v4_28_0_parses_and_round_trips() {
    let dir = shared().join("v4.28.0");
    if !dir.exists() {
        println!("skipped: {} is absent", dir.display());
        return;
    }
    let rules = check_set("CRS v4.28.0", &crs_files(&dir));
    // About 660 SecRule/SecAction directives including chain links and the example files.
    assert!((600..800).contains(&rules), "{rules}");
}

#[test]
fn crs_v3_3_10_parses_and_round_trips() {
    let dir = shared().join("v3.3.10");
    if !dir.exists() {
        println!("skipped: {} is absent", dir.display());
        return;
    }
    let rules = check_set("CRS v3.3.10", &crs_files(&dir));
    assert!(rules > 500, "{rules}");
}

#[test]
fn debian_crs_parses_and_round_trips() {
    let dir = Path::new("/usr/share/modsecurity-crs");
    if !dir.exists() {
        println!("skipped: Debian's modsecurity-crs is not installed");
        return;
    }
    let mut files = vec![PathBuf::from("/etc/modsecurity/crs/crs-setup.conf")];
    files.extend(crs_files(dir));
    files.retain(|f| f.exists());
    let rules = check_set("Debian CRS", &files);
    assert!(rules > 500, "{rules}");
}

#[test]
fn modsecurity_recommended_configuration_parses() {
    let path = Path::new("/etc/nginx/modsecurity.conf");
    if !path.exists() {
        println!(
            "skipped: {} is absent (Debian libnginx-mod-http-modsecurity)",
            path.display()
        );
        return;
    }
    let n = check_set("modsecurity.conf", &[path.to_path_buf()]);
    assert!(n >= 5);
    let out = parse_str("m.conf", &std::fs::read_to_string(path).unwrap());
    assert!(
        out.ast
            .directives
            .iter()
            .any(|d| matches!(d.node, Directive::Setting(_)))
    );
}
