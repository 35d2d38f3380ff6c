//! libinjection's own unit-test vectors (`../shared/libinjection/tests`), run when present.
//!
//! Each file has `--TEST--`, `--INPUT--` and `--EXPECTED--` sections. The family decides
//! what is printed: tokens (`test-tokens-*`), folded tokens (`test-folding-*`), the SQLi
//! fingerprint or nothing (`test-sqli-*`), HTML5 tokens (`test-html5-*`).

use std::path::{Path, PathBuf};

use waf_libinjection::sqli::{self, Flags, Tokenizer};
use waf_libinjection::xss::html5::{Html5Tokenizer, Start};

fn shared_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")).to_path_buf()
}

struct Case {
    name: String,
    input: Vec<u8>,
    expected: String,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The bytes after the line `tag` up to `next` (or the end).
fn section<'a>(text: &'a [u8], tag: &[u8], next: &[u8]) -> Option<&'a [u8]> {
    let start = find(text, tag)? + tag.len();
    let rest = &text[start..];
    let body = rest.strip_prefix(b"\n").unwrap_or(rest);
    Some(match find(body, next) {
        Some(end) => &body[..end],
        None => body,
    })
}

/// Loads the cases of one family, or `None` (with a reason printed) without `../shared`.
fn load(prefix: &str) -> Option<Vec<Case>> {
    let dir = shared_dir().join("libinjection/tests");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!(
            "skipping: {} not found (libinjection test vectors live in ../shared)",
            dir.display()
        );
        return None;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    files.sort();
    let cases = files
        .into_iter()
        .map(|p| {
            let raw = std::fs::read(&p).expect("read vector file");
            let input = section(&raw, b"--INPUT--", b"--EXPECTED--").expect("INPUT section");
            let input = input.strip_suffix(b"\n").unwrap_or(input);
            let expected = section(&raw, b"--EXPECTED--", b"\0--END").expect("EXPECTED section");
            let expected = String::from_utf8_lossy(expected);
            Case {
                name: p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                input: input.to_vec(),
                expected: expected.trim().to_string(),
            }
        })
        .collect();
    Some(cases)
}

fn run(prefix: &str, expected_count: usize, actual: impl Fn(&[u8]) -> String) {
    let Some(cases) = load(prefix) else { return };
    let mut failures = Vec::new();
    for case in &cases {
        let got = actual(&case.input);
        if got.trim() != case.expected {
            failures.push(format!(
                "{}: input {:?}\n--- expected\n{}\n--- got\n{}",
                case.name,
                String::from_utf8_lossy(&case.input),
                case.expected,
                got.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    assert_eq!(cases.len(), expected_count, "number of {prefix}* cases run");
    eprintln!("{prefix}*: {} cases passed", cases.len());
}

fn lines<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items.into_iter().map(|t| format!("{t}\n")).collect()
}

#[test]
fn tokens() {
    run("test-tokens-", 249, |input| {
        lines(Tokenizer::new(input, Flags::default()))
    });
}

#[test]
fn folding() {
    run("test-folding-", 118, |input| {
        let mut lexer = Tokenizer::new(input, Flags::default());
        lines(sqli::fold::fold(&mut lexer).tokens())
    });
}

#[test]
fn sqli() {
    run("test-sqli-", 50, |input| {
        waf_libinjection::detect_sqli(input)
            .map(|f| f.to_string())
            .unwrap_or_default()
    });
}

#[test]
fn html5() {
    run("test-html5-", 63, |input| {
        lines(Html5Tokenizer::new(input, Start::Data).map(|t| {
            let text = String::from_utf8_lossy(&input[t.start..t.start + t.len]).into_owned();
            format!("{},{},{}", t.kind.name(), t.len, text)
        }))
    });
}

/// The tables generated from the registry package equal the copy in `../shared`.
#[test]
fn data_matches_shared_copy() {
    let dir = shared_dir().join("libinjection/src");
    let Ok(json) = std::fs::read_to_string(dir.join("sqlparse_data.json")) else {
        eprintln!("skipping: {} not found", dir.display());
        return;
    };
    let fingerprints =
        std::fs::read_to_string(dir.join("fingerprints.txt")).expect("fingerprints.txt");
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");

    let charmap: Vec<&str> = v["charmap"]
        .as_array()
        .expect("charmap")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    let ours: Vec<&str> = sqli::data::char_map_names().collect();
    assert_eq!(ours, charmap, "character map");

    let mut want: Vec<(Vec<u8>, char)> = v["keywords"]
        .as_object()
        .expect("keywords")
        .iter()
        .map(|(k, t)| {
            (
                k.as_bytes().to_vec(),
                t.as_str().and_then(|s| s.chars().next()).unwrap_or('?'),
            )
        })
        .collect();
    let fp_count = fingerprints
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    want.extend(
        fingerprints
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| (format!("0{}", l.to_ascii_uppercase()).into_bytes(), 'F')),
    );
    want.sort();
    want.dedup();
    let mut got: Vec<(Vec<u8>, char)> = sqli::data::keyword_table()
        .map(|(w, k)| (w.to_vec(), k))
        .collect();
    got.sort();
    assert_eq!(got.len(), want.len(), "keyword table size");
    assert_eq!(got, want, "keyword table");
    eprintln!(
        "data: 256 char classes, {} keywords, {} fingerprints agree",
        got.len() - fp_count,
        fp_count
    );
}
