//! Every go-ftw test of the CRS suites in `../shared/crs`: load, build, parse back, and
//! compile the expectations. Each test asserts how many cases it ran.
//!
//! The data is read at test time from `shared/` beside the repository and never copied
//! in; without it the tests print why and pass without checking anything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use integration::ftw::overrides::{self, Action};
use integration::ftw::{self, FileSelection, HttpError, Suite, Syntax};

fn shared() -> Option<PathBuf> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")).to_path_buf();
    if dir.join("crs").is_dir() {
        Some(dir)
    } else {
        println!(
            "skipped: {} not found (CRS test data lives in shared/)",
            dir.display()
        );
        None
    }
}

fn suite(version: &str, selection: FileSelection) -> Option<Suite> {
    let dir = shared()?.join("crs").join(version).join("tests");
    Some(ftw::load_dir(&dir, selection).unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn v3_3_10_loads_all_tests() {
    let Some(s) = suite("v3.3.10", FileSelection::GoFtw) else {
        return;
    };
    assert_eq!(s.files.len(), 183);
    assert_eq!(s.test_count(), 2553);
    assert_eq!(s.stage_count(), 2553);
    assert!(s.files.iter().all(|f| f.syntax == Syntax::V1));
    // v1 ids are the titles; all are unique.
    let mut ids: Vec<&str> = s.tests().map(|(_, t)| t.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    // v3.3.10 has one duplicate title: 941160-10 (two different tests).
    assert_eq!(ids.len(), 2552);
    assert_eq!(s.find("944200-0FP").map(|t| t.test_id), Some(None));
    assert_eq!(
        s.find("920100-2").map(|t| (t.rule_id, t.test_id)),
        Some((920100, Some(2)))
    );
    // Same again with .yml included: v3.3.10 has none.
    let all = suite("v3.3.10", FileSelection::AllYaml).unwrap();
    assert_eq!(all.test_count(), 2553);
}

#[test]
fn v4_28_0_loads_all_tests() {
    let Some(s) = suite("v4.28.0", FileSelection::GoFtw) else {
        return;
    };
    // go-ftw globs **/*.yaml: 314 files, 3,996 tests, 4,002 stages.
    assert_eq!(s.files.len(), 314);
    assert_eq!(s.test_count(), 3996);
    assert_eq!(s.stage_count(), 4002);
    assert!(s.files.iter().all(|f| f.syntax == Syntax::V2));
    // With REQUEST-999-COMMON-EXCEPTIONS-AFTER/999999.yml: the 4,027 of shared/README.md.
    let all = suite("v4.28.0", FileSelection::AllYaml).unwrap();
    assert_eq!(all.files.len(), 315);
    assert_eq!(all.test_count(), 4027);
    assert_eq!(all.stage_count(), 4033);
    let mut ids: Vec<&str> = all.tests().map(|(_, t)| t.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4027);
}

/// Per suite: (stages, built, build failures by reason, parse failures by test id).
struct Run {
    stages: usize,
    built: usize,
    build_failures: Vec<(String, String)>,
    parse_failures: BTreeMap<String, HttpError>,
    expect_error_or_400: Vec<String>,
}

fn build_and_parse(s: &Suite) -> Run {
    let mut run = Run {
        stages: 0,
        built: 0,
        build_failures: Vec::new(),
        parse_failures: BTreeMap::new(),
        expect_error_or_400: Vec::new(),
    };
    for (_, test) in s.tests() {
        for (n, stage) in test.stages.iter().enumerate() {
            run.stages += 1;
            let key = if test.stages.len() > 1 {
                format!("{}#{}", test.id, n + 1)
            } else {
                test.id.clone()
            };
            let expectation = stage.expectation().unwrap_or_else(|e| panic!("{key}: {e}"));
            if expectation.expect_error
                || expectation
                    .status
                    .as_ref()
                    .is_some_and(|s| s.contains(&400))
            {
                run.expect_error_or_400.push(key.clone());
            }
            let built = match stage.request() {
                Ok(b) => b,
                Err(e) => {
                    run.build_failures.push((key, e.to_string()));
                    continue;
                }
            };
            run.built += 1;
            match ftw::parse_request(&built.bytes) {
                Ok(req) => {
                    // A successful parse must account for every byte it was given.
                    assert!(
                        req.request_line.len() + req.body.len() <= built.bytes.len(),
                        "{key}"
                    );
                }
                Err(e) => {
                    run.parse_failures.insert(key, e);
                }
            }
        }
    }
    println!(
        "{} stages, {} built, {} build failures, {} parse failures",
        run.stages,
        run.built,
        run.build_failures.len(),
        run.parse_failures.len()
    );
    for (k, e) in &run.build_failures {
        println!("  build {k}: {e}");
    }
    for (k, e) in &run.parse_failures {
        let expected = run.expect_error_or_400.contains(k);
        println!("  parse {k}: {e} (test expects 400/error: {expected})");
    }
    println!(
        "  tests expecting 400 or an error: {}",
        run.expect_error_or_400.join(" ")
    );
    run
}

#[test]
fn v3_3_10_builds_and_parses_every_request() {
    let Some(s) = suite("v3.3.10", FileSelection::AllYaml) else {
        return;
    };
    let run = build_and_parse(&s);
    assert_eq!(run.stages, 2553);
    assert_eq!(run.built, 2553);
    let failures: Vec<(&str, &HttpError)> = run
        .parse_failures
        .iter()
        .map(|(k, e)| (k.as_str(), e))
        .collect();
    assert_eq!(
        failures,
        vec![
            ("920100-12", &HttpError::LeadingWhitespace),
            ("920100-2", &HttpError::LeadingWhitespace),
            ("920160-1", &HttpError::InvalidContentLength),
            ("920160-2", &HttpError::InvalidContentLength),
            ("920160-3", &HttpError::InvalidContentLength),
            ("920160-5", &HttpError::InvalidContentLength),
            (
                "920340-2",
                &HttpError::Incomplete("body shorter than Content-Length")
            ),
            (
                "920400-1",
                &HttpError::Incomplete("body shorter than Content-Length")
            ),
        ]
    );
    for k in run.parse_failures.keys() {
        assert!(
            run.expect_error_or_400.contains(k),
            "{k} fails to parse but expects neither 400 nor an error"
        );
    }
}

#[test]
fn v4_28_0_builds_and_parses_every_request() {
    let Some(s) = suite("v4.28.0", FileSelection::AllYaml) else {
        return;
    };
    let run = build_and_parse(&s);
    assert_eq!(run.stages, 4033);
    assert_eq!(run.built, 4033);
    let failures: Vec<(&str, &HttpError)> = run
        .parse_failures
        .iter()
        .map(|(k, e)| (k.as_str(), e))
        .collect();
    assert_eq!(
        failures,
        vec![
            ("920100-12", &HttpError::LeadingWhitespace),
            ("920100-2", &HttpError::LeadingWhitespace),
            ("920160-1", &HttpError::InvalidContentLength),
            ("920160-2", &HttpError::InvalidContentLength),
            ("920160-3", &HttpError::InvalidContentLength),
            ("920160-5", &HttpError::InvalidContentLength),
        ]
    );
    for k in run.parse_failures.keys() {
        assert!(
            run.expect_error_or_400.contains(k),
            "{k} fails to parse but expects neither 400 nor an error"
        );
    }
}

/// The template in CRS v4's 920400 produces the advertised body sizes.
#[test]
fn v4_template_bodies() {
    let Some(s) = suite("v4.28.0", FileSelection::GoFtw) else {
        return;
    };
    let mut seen = 0;
    for (_, t) in s.tests() {
        for stage in &t.stages {
            let Some(data) = &stage.input.data else {
                continue;
            };
            if !data.text().contains("{{") {
                continue;
            }
            seen += 1;
            let bytes = stage.request().unwrap().bytes;
            assert!(!bytes.windows(2).any(|w| w == b"{{"), "{}", t.id);
            let longest = bytes
                .split(|&b| b != b'1')
                .map(<[u8]>::len)
                .max()
                .unwrap_or(0);
            assert!(longest == 64200 || longest == 152, "{}: {longest}", t.id);
        }
    }
    assert_eq!(seen, 2);
}

#[test]
fn override_files_parse_and_name_existing_tests() {
    let Some(dir) = shared() else { return };
    let v4 = suite("v4.28.0", FileSelection::AllYaml).unwrap();
    let crs = dir.join("crs");
    let coraza = crs.join("coraza-reference");
    let mut report = Vec::new();
    let mut entries = 0;
    let platform = [
        crs.join("v4.28.0/harness/httpd-overrides.yaml"),
        crs.join("v4.28.0/harness/nginx-overrides.yaml"),
        crs.join("v4.28.0/harness/coraza-overrides.yaml"),
        coraza.join("crs-v4.28.0-tests-regression-coraza-overrides.yaml"),
        coraza.join("coraza.ftw-overrides.yml"),
    ];
    for path in &platform {
        let (meta, o) = overrides::load_platform(path).unwrap_or_else(|e| panic!("{e}"));
        for e in &o.entries {
            if let Action::Output { output, .. } = &e.action {
                ftw::Expectation::from_output(output)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        }
        let missing: Vec<&str> = o
            .test_ids()
            .into_iter()
            .filter(|id| v4.find(id).is_none())
            .collect();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        println!(
            "{name}: engine {:?}, {} entries, not in v4.28.0: {missing:?}",
            meta.engine.map(|e| e.0),
            o.entries.len()
        );
        entries += o.entries.len();
        report.push((
            name,
            missing.into_iter().map(str::to_owned).collect::<Vec<_>>(),
        ));
    }
    for file in ["coraza.ftw.yml", "coraza.ftw-multiphase.yml"] {
        let o = overrides::load_run_config(&coraza.join(file)).unwrap();
        let ignored = o
            .entries
            .iter()
            .filter(|e| matches!(e.action, Action::Ignore))
            .count();
        let missing: Vec<&str> = o
            .test_ids()
            .into_iter()
            .filter(|id| v4.find(id).is_none())
            .collect();
        println!("{file}: {ignored} ignored, not in v4.28.0: {missing:?}");
        assert!(ignored > 0);
        entries += o.entries.len();
        report.push((
            file.to_owned(),
            missing.into_iter().map(str::to_owned).collect(),
        ));
    }
    assert!(entries > 40, "{entries}");
    // The harness overrides name some tests that v4.28.0 does not have (stale entries
    // upstream, or tests numbered with gaps); pinned so that a change is noticed.
    let missing = |name: &str| {
        report
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| m.clone())
            .unwrap()
    };
    assert_eq!(missing("httpd-overrides.yaml"), vec!["920360-1".to_owned()]);
    assert_eq!(missing("nginx-overrides.yaml").len(), 20);
    assert_eq!(
        missing("coraza-overrides.yaml"),
        vec!["934131-5".to_owned(), "934131-7".to_owned()]
    );
}
