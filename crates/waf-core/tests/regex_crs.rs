//! Every `@rx` pattern of the CRS trees we support must compile, and known attack
//! strings from the CRS regression tests must match their rule's pattern.
//!
//! The CRS trees live outside the repository (`/work/shared/crs`, Debian's
//! `/usr/share/modsecurity-crs`); when one is absent the test says so and checks the
//! others. Patterns are pulled out with a small extractor that knows just enough
//! SecLang: line continuations, the quoted operator with `\"`, `!` and implicit `@rx`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use waf_core::regex::{Engine, Pattern};

const CRS_V3: &str = "/work/shared/crs/v3.3.10/rules";
const CRS_V4: &str = "/work/shared/crs/v4.28.0/rules";
const CRS_DEBIAN: &str = "/usr/share/modsecurity-crs/rules";

/// One `@rx` operator found in a rules file.
#[derive(Debug, Clone)]
struct RxRule {
    /// The `id:` of the rule, or of the chain's first rule.
    id: u32,
    pattern: String,
    file: String,
}

/// Joins `\`-continued lines, as the SecLang reader does.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        let trimmed = line.trim_end();
        if let Some(head) = trimmed.strip_suffix('\\') {
            cur.push_str(head);
            continue;
        }
        cur.push_str(line);
        out.push(std::mem::take(&mut cur));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Reads a double-quoted SecLang argument starting at `s[0] == '"'`. Only `\"` is
/// unescaped; every other backslash stays, as ModSecurity hands it to PCRE. (For
/// PCRE `\"` and `"` mean the same, so either reading gives the same regex.)
fn quoted(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.strip_prefix('"')?.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 2..])),
            '\\' => match chars.next() {
                Some((_, '"')) => out.push('"'),
                Some((_, n)) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    None
}

fn next_token(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    if s.starts_with('"') {
        quoted(s)
    } else {
        let end = s.find(char::is_whitespace).unwrap_or(s.len());
        (end > 0).then(|| (s[..end].to_owned(), &s[end..]))
    }
}

fn rule_id(actions: &str) -> Option<u32> {
    let at = actions.find("id:")?;
    let digits: String = actions[at + 3..]
        .trim_start_matches('\'')
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn extract(dir: &Path) -> Vec<RxRule> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "conf"));
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        let mut chain_id: Option<u32> = None;
        for line in logical_lines(&text) {
            let line = line.trim_start();
            let Some(rest) = line.strip_prefix("SecRule ") else {
                continue;
            };
            let Some((_vars, rest)) = next_token(rest) else {
                continue;
            };
            let Some((op, rest)) = next_token(rest) else {
                continue;
            };
            let actions = next_token(rest).map(|(a, _)| a).unwrap_or_default();
            let id = rule_id(&actions).or(chain_id);
            chain_id = if actions.contains("chain") { id } else { None };
            let op = op.strip_prefix('!').unwrap_or(&op);
            let pattern = if let Some(p) = op.strip_prefix("@rx") {
                p.strip_prefix(' ').unwrap_or(p).to_owned()
            } else if op.starts_with('@') {
                continue;
            } else {
                op.to_owned()
            };
            out.push(RxRule {
                id: id.unwrap_or(0),
                pattern,
                file: name.clone().unwrap_or_default(),
            });
        }
    }
    out
}

struct Summary {
    total: usize,
    linear: usize,
    backtracking: usize,
    elapsed: Duration,
    slowest: (Duration, u32),
}

fn compile_all(dir: &str) -> Option<(Vec<RxRule>, Summary)> {
    let dir = Path::new(dir);
    if !dir.is_dir() {
        eprintln!("skipping {}: not present", dir.display());
        return None;
    }
    let rules = extract(dir);
    let mut s = Summary {
        total: 0,
        linear: 0,
        backtracking: 0,
        elapsed: Duration::ZERO,
        slowest: (Duration::ZERO, 0),
    };
    let mut failures = Vec::new();
    for r in &rules {
        let t = Instant::now();
        let res = Pattern::compile(&r.pattern);
        let dt = t.elapsed();
        s.elapsed += dt;
        if dt > s.slowest.0 {
            s.slowest = (dt, r.id);
        }
        match res {
            Ok(p) => {
                s.total += 1;
                match p.engine() {
                    Engine::Linear => s.linear += 1,
                    Engine::Backtracking => s.backtracking += 1,
                }
            }
            Err(e) => failures.push(format!("{} {}: {e}\n  {}", r.file, r.id, r.pattern)),
        }
    }
    assert!(
        failures.is_empty(),
        "patterns failed:\n{}",
        failures.join("\n")
    );
    eprintln!(
        "{}: {} patterns compiled ({} linear, {} backtracking) in {:?}; slowest {:?} (rule {})",
        dir.display(),
        s.total,
        s.linear,
        s.backtracking,
        s.elapsed,
        s.slowest.0,
        s.slowest.1
    );
    Some((rules, s))
}

#[test]
fn every_crs_pattern_compiles() {
    let mut checked = 0;
    if let Some((_, s)) = compile_all(CRS_V3) {
        assert_eq!(s.total, 266, "CRS 3.3.10 @rx count");
        assert_eq!(
            s.backtracking, 3,
            "CRS 3.3.10 patterns needing lookaround/backrefs"
        );
        checked += 1;
    }
    if let Some((_, s)) = compile_all(CRS_V4) {
        assert_eq!(s.total, 318, "CRS 4.28.0 @rx count");
        assert_eq!(s.backtracking, 0);
        checked += 1;
    }
    if let Some((_, s)) = compile_all(CRS_DEBIAN) {
        assert!(s.total >= 250, "Debian CRS 3.3.x @rx count {}", s.total);
        checked += 1;
    }
    eprintln!("{checked} CRS trees checked");
}

/// (rule id, input after the rule's transformations, must match)
type Case = (u32, &'static [u8], bool);

/// Attack strings from the CRS 3.3.10 regression tests (decoded as the rule's
/// transformations would), plus a benign string for some rules.
const V3_CASES: &[Case] = &[
    // Back references (fallback engine): SQL tautologies.
    (942130, b"1=1", true),
    (942130, b"11=1", false),
    (942130, b"1!=11", true),
    (942130, b"b,1=1", true),
    (942130, b"hello world", false),
    // Negative lookahead (fallback engine): PHP open tag in a response, not `<?xml`.
    (953120, b"<?php echo 1; ?>", true),
    (953120, b"<?xml version=\"1.0\"?>", false),
    // Negative lookbehind (fallback engine): `;` in a multipart file name, unless it
    // ends an HTML entity such as `&auml;`.
    (920120, b"a;b.php", true),
    (920120, b"&auml;b.txt", false),
    (920120, b"x=\"a.php", true),
    (930100, b"/%2e%2e/etc/passwd", true),
    (930110, b"../../etc/passwd", true),
    (931100, b"http://127.0.0.1/evil", true),
    (931120, b"http://evil.example/x.txt?", true),
    (932100, b";cat /etc/passwd", true),
    (932130, b"$(cat /etc/passwd)", true),
    (932150, b"=nc -e /bin/sh", true),
    (932170, b"() { :; }; /bin/eject", true),
    (933110, b"shell.php.", true),
    (933140, b"php://input", true),
    (933160, b"set_error_handler('x')", true),
    (933160, b"set_error_handler(", false),
    (933170, b"O:8:\"stdClass\":0:{}", true),
    (934100, b"_$$ND_FUNC$$_function(){}", true),
    (941110, b"<script>alert(1)</script>", true),
    (941120, b" onerror=alert(1)", true),
    (941160, b"<img src=x onerror=alert(1)>", true),
    (941170, b"javascript:alert(1)", true),
    (941230, b"<embed src=x.swf>", true),
    (941310, b"\xbcscript\xbealert(1)\xbc/script\xbe", true),
    (941350, b"+ADw-script+AD4-", true),
    (941380, b"{{constructor.constructor('alert(1)')()}}", true),
    (942140, b"information_schema", true),
    (942160, b"sleep(5)", true),
    (942170, b"select sleep(5)", true),
    (942190, b"' union select 1,2--", true),
    (942270, b"union select 1 from", true),
    (942280, b"; shutdown --", true),
    (944100, b"java.lang.runtime", true),
];

/// Attack strings from the CRS 4.28.0 regression tests.
const V4_CASES: &[Case] = &[
    (920260, b"%uff1c", true),
    (920260, b"%u0041", false),
    (921110, b"get /a http/1.1", true),
    (933120, b"allow_url_include=on", true),
    (934130, b"__proto__", true),
    (941380, b"{{constructor}}", true),
    (942500, b"/*!50000select*/", true),
    (930110, b"../../etc/passwd", true),
    (932130, b"$(cat /etc/passwd)", true),
    (932170, b"() { :; }; /bin/eject", true),
    (933140, b"php://input", true),
    (933170, b"O:8:\"stdClass\":0:{}", true),
    (934100, b"_$$ND_FUNC$$_function(){}", true),
    (941110, b"<script>alert(1)</script>", true),
    (941160, b"<img src=x onerror=alert(1)>", true),
    (941170, b"javascript:alert(1)", true),
    (941310, b"\xbcscript\xbealert(1)\xbc/script\xbe", true),
    (942160, b"sleep(5)", true),
    (942170, b"select sleep(5)", true),
    (942190, b"' union select 1,2--", true),
    (942270, b"union select 1 from", true),
    (942130, b"1=1", true),
    (944100, b"java.lang.runtime", true),
];

fn check_cases(dir: &str, cases: &[Case]) -> usize {
    let Some((rules, _)) = compile_all(dir) else {
        return 0;
    };
    let mut by_id: BTreeMap<u32, Vec<Pattern>> = BTreeMap::new();
    for r in rules {
        if let Ok(p) = Pattern::compile(&r.pattern) {
            by_id.entry(r.id).or_default().push(p);
        }
    }
    let mut wrong = Vec::new();
    for &(id, input, expect) in cases {
        let Some(pats) = by_id.get(&id) else {
            wrong.push(format!("{id}: no @rx pattern for this rule"));
            continue;
        };
        // A chain has several patterns; the case is about any one of them.
        let got = pats.iter().any(|p| p.is_match(input) == Ok(true));
        if got != expect {
            wrong.push(format!(
                "{id}: {:?} expected {expect}",
                String::from_utf8_lossy(input)
            ));
        }
    }
    assert!(wrong.is_empty(), "{dir}:\n{}", wrong.join("\n"));
    cases.len()
}

#[test]
fn crs_attack_strings_match() {
    let n = check_cases(CRS_V3, V3_CASES) + check_cases(CRS_V4, V4_CASES);
    eprintln!("{n} semantic cases checked");
    if Path::new(CRS_V3).is_dir() && Path::new(CRS_V4).is_dir() {
        assert_eq!(n, V3_CASES.len() + V4_CASES.len());
    }
}

// ---------------------------------------------------------------------------------
// Differential check against real PCRE2 (`pcre2test`, Debian `pcre2-utils`; Debian's
// libmodsecurity3 links the same libpcre2-8).

const CRS_TESTS: &[&str] = &[
    "/work/shared/crs/v3.3.10/tests",
    "/work/shared/crs/v4.28.0/tests",
];
/// Hand-written patterns for the corners where PCRE and the `regex` crate differ by
/// default; checked against PCRE2 on the same corpus as the CRS patterns.
const EXTRA_PATTERNS: &[&str] = &[
    r"^$",
    r"^",
    r"$",
    r"(?-m)^.*$",
    r"a\Z",
    r"\n\z",
    r"\s+",
    r"\S\s\S",
    r"[\v]",
    r"\h",
    r"\H+",
    r"\R",
    r"\w+\W",
    r"\bselect\b",
    r"\Bin\B",
    r"(?i)SeLeCt",
    r"(?i)[^a-z ]+",
    r"(?i:u)nion",
    r"[[:punct:]]+",
    r"[[:^alnum:][:space:]]",
    r"a{,3}",
    r"\{\d",
    r"[’´]",
    r"’",
    r"[\x80-\xff]+",
    r".{3}$",
    r"(?s-m).$",
    r"\Q.*\E",
    r"(['\x22])[^'\x22]*\1",
    r"(?i)(\w)\1",
    r"(?<=\/)\w+",
    r"(?<!\w)or\b",
    r"\w+(?=\()",
    r"(?>a+)b",
    r"\d++\.",
    r"(\w+)=(\d+)?",
    r".*?=",
    r"(a|ab)(c|bcd)(d*)",
    r"(?x) s e l e c t # comment",
    r"\x{2f}\x2F\057\o{57}",
    r"\e|\cA|\a",
    r"[\d-]+",
    r"[\Qab\E-z]",
    r"(?<=ab|c)d",
    r"(?U)a+",
];

/// Subjects per run: every pattern meets every subject, so this bounds the cost.
const MAX_SUBJECTS: usize = 700;

fn percent_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        let pair = (
            s.get(i + 1).and_then(|&b| hex(b)),
            s.get(i + 2).and_then(|&b| hex(b)),
        );
        if let (b'%', (Some(h), Some(l))) = (s[i], pair) {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml") {
            out.push(p);
        }
    }
}

/// Single-line `uri`, `data`, `Cookie`, `User-Agent` and `Referer` values of the CRS
/// regression tests, raw, percent-decoded and lowercased; deduplicated and thinned
/// evenly to `MAX_SUBJECTS`.
fn corpus() -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    for d in CRS_TESTS {
        yaml_files(Path::new(d), &mut files);
    }
    files.sort();
    let mut set = std::collections::BTreeSet::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for line in text.lines() {
            let line = line.trim_start();
            let Some((key, value)) = line.split_once(": ") else {
                continue;
            };
            if !matches!(key, "uri" | "data" | "Cookie" | "User-Agent" | "Referer") {
                continue;
            }
            let v = value.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            if v.is_empty() || v == "|" || v.len() > 2000 {
                continue;
            }
            let raw = v.as_bytes().to_vec();
            let dec = percent_decode(&raw);
            set.insert(dec.to_ascii_lowercase());
            set.insert(dec);
            set.insert(raw);
        }
    }
    let all: Vec<Vec<u8>> = set.into_iter().collect();
    let step = all.len().div_ceil(MAX_SUBJECTS).max(1);
    let mut out: Vec<Vec<u8>> = all.into_iter().step_by(step).collect();
    // Variants for the corners: trailing and leading newlines, CRLF, upper case,
    // high bytes and UTF-8.
    let synthetic: Vec<Vec<u8>> = out
        .iter()
        .step_by(10)
        .flat_map(|s| {
            let mut nl = s.clone();
            nl.push(b'\n');
            let mut crlf = b"\r\n".to_vec();
            crlf.extend_from_slice(s);
            crlf.extend_from_slice(b"\r\n\n");
            let mut high = s.clone();
            high.extend_from_slice(b"\xff\x80 \xc2\xa0\x85\x0b");
            let mut utf8 = "’´".as_bytes().to_vec();
            utf8.extend_from_slice(s);
            [nl, crlf, s.to_ascii_uppercase(), high, utf8]
        })
        .collect();
    out.extend(synthetic);
    out.extend([
        b"\n".to_vec(),
        b"x\n".to_vec(),
        b"a\n".to_vec(),
        b"\n\n".to_vec(),
    ]);
    out.sort();
    out.dedup();
    out
}

/// What PCRE said about one subject.
#[derive(Debug, PartialEq)]
enum Oracle {
    NoMatch,
    /// Group 0 as pcre2test prints it.
    Match(String),
    /// Match limit or another run-time failure.
    Failed,
}

/// pcre2test's rendering of matched bytes: printable ASCII as is, others `\xhh`.
fn render(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        if (0x20..0x7f).contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    s
}

fn pcre2test_version() -> Option<String> {
    // `pcre2test -C` prints "PCRE2 version X.Y ..." first.
    let out = Command::new("pcre2test")
        .arg("-C")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next()?;
    first.starts_with("PCRE2 version").then(|| first.to_owned())
}

/// Runs every pattern against every subject in one pcre2test process. Returns, per
/// pattern, `None` when PCRE rejected it, else one verdict per subject.
fn run_pcre2test(patterns: &[String], subjects: &[Vec<u8>]) -> Vec<Option<Vec<Oracle>>> {
    let mut input = String::new();
    for p in patterns {
        input.push('/');
        for b in p.as_bytes() {
            input.push_str(&format!("{b:02x}"));
        }
        input.push_str("/hex,dotall,multiline\n");
        for s in subjects {
            for (i, &b) in s.iter().enumerate() {
                if i > 0 && (0x21..0x7f).contains(&b) && b != b'\\' {
                    input.push(char::from(b));
                } else {
                    input.push_str(&format!("\\x{{{b:02x}}}"));
                }
            }
            input.push('\n');
        }
        input.push('\n');
    }
    let dir = std::env::temp_dir().join(format!("waf-regex-diff-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let (inp, outp) = (dir.join("in.txt"), dir.join("out.txt"));
    std::fs::write(&inp, input).expect("write pcre2test input");
    let status = Command::new("pcre2test")
        .arg("-q")
        .arg(&inp)
        .arg(&outp)
        .stdin(Stdio::null())
        .status()
        .expect("run pcre2test");
    assert!(status.success(), "pcre2test failed: {status}");
    let out = std::fs::read(&outp).expect("read pcre2test output");
    let _ = std::fs::remove_dir_all(&dir);
    let out = String::from_utf8_lossy(&out);

    let mut results: Vec<Option<Vec<Oracle>>> = Vec::new();
    let mut lines = out.lines().peekable();
    while let Some(line) = lines.next() {
        if line.starts_with('/') {
            if lines.peek().is_some_and(|l| l.starts_with("Failed: error")) {
                lines.next();
                results.push(None);
            } else {
                results.push(Some(Vec::new()));
            }
        } else if line.starts_with("\\x{") {
            let verdict = match lines.next() {
                Some("No match") => Oracle::NoMatch,
                Some(l) if l.starts_with(" 0: ") => Oracle::Match(l[4..].to_owned()),
                _ => Oracle::Failed,
            };
            if let Some(Some(v)) = results.last_mut() {
                v.push(verdict);
            }
        }
    }
    results
}

#[test]
fn agrees_with_pcre2() {
    let Some(version) = pcre2test_version() else {
        eprintln!("skipping: pcre2test not found (Debian package pcre2-utils)");
        return;
    };
    let mut patterns: Vec<String> = Vec::new();
    for dir in [CRS_V3, CRS_V4] {
        if Path::new(dir).is_dir() {
            patterns.extend(extract(Path::new(dir)).into_iter().map(|r| r.pattern));
        }
    }
    patterns.extend(EXTRA_PATTERNS.iter().map(|p| (*p).to_owned()));
    patterns.sort();
    patterns.dedup();
    let subjects = corpus();
    if patterns.is_empty() || subjects.is_empty() {
        eprintln!("skipping: CRS rules or tests not present");
        return;
    }
    let oracle = run_pcre2test(&patterns, &subjects);
    assert_eq!(oracle.len(), patterns.len(), "pcre2test output out of step");

    let (mut pairs, mut same_bool, mut same_span, mut pcre_failed) = (0usize, 0, 0, 0);
    let mut differences = Vec::new();
    for (pat, verdicts) in patterns.iter().zip(&oracle) {
        let Some(verdicts) = verdicts else {
            panic!("PCRE2 rejects a CRS pattern we accept: {pat}");
        };
        assert_eq!(
            verdicts.len(),
            subjects.len(),
            "pcre2test output out of step"
        );
        let ours = Pattern::compile(pat).expect("CRS pattern compiles");
        for (subject, verdict) in subjects.iter().zip(verdicts) {
            pairs += 1;
            let got = ours.find(subject);
            match (verdict, got) {
                (Oracle::Failed, _) => pcre_failed += 1,
                (Oracle::NoMatch, Ok(None)) => {
                    same_bool += 1;
                    same_span += 1;
                }
                (Oracle::Match(text), Ok(Some(range))) => {
                    same_bool += 1;
                    if *text == render(&subject[range.clone()]) {
                        same_span += 1;
                    } else {
                        differences.push(format!(
                            "group 0 differs: {pat}\n  subject {:?}\n  pcre {text:?} ours {:?}",
                            String::from_utf8_lossy(subject),
                            render(&subject[range])
                        ));
                    }
                }
                (v, g) => differences.push(format!(
                    "verdict differs: {pat}\n  subject {:?}\n  pcre {v:?} ours {g:?}",
                    String::from_utf8_lossy(subject)
                )),
            }
        }
    }
    eprintln!(
        "{version}: {} patterns x {} subjects = {pairs} pairs; match/no-match agree \
         {same_bool}, group 0 agrees {same_span}, PCRE limit hits {pcre_failed}",
        patterns.len(),
        subjects.len()
    );
    for d in differences.iter().take(20) {
        eprintln!("{d}");
    }
    assert!(pairs > 100_000, "differential corpus too small: {pairs}");
    assert!(
        differences.is_empty(),
        "{} differences from PCRE2",
        differences.len()
    );
}

/// The screen is only an optimisation: it must never reject a subject its pattern
/// matches. Checked for every CRS pattern on the whole corpus, and on the same subjects
/// carried through CRS's most common transformation chain.
#[test]
fn screens_never_reject_a_match() {
    use waf_core::byteset::ByteSet;
    use waf_core::transformations::{Transformation, apply_chain, lookup};
    let chain: Vec<Transformation> = [
        "utf8toUnicode",
        "urlDecodeUni",
        "htmlEntityDecode",
        "jsDecode",
        "cssDecode",
        "removeNulls",
        "lowercase",
    ]
    .iter()
    .map(|n| lookup(n).unwrap())
    .collect();
    let subjects = corpus();
    let (mut matches, mut rejected) = (0usize, 0usize);
    for dir in [CRS_V3, CRS_V4] {
        let Some((rules, _)) = compile_all(dir) else {
            continue;
        };
        for r in &rules {
            let p = Pattern::compile(&r.pattern).unwrap();
            let raw_screen = p.screen().through(&chain);
            for s in &subjects {
                let admitted = p.screen().admits(s.len(), &ByteSet::of(s));
                let transformed = apply_chain(&chain, s);
                let raw_admitted = raw_screen.admits(s.len(), &ByteSet::of(s));
                if p.is_match(s) == Ok(true) {
                    matches += 1;
                    assert!(
                        admitted,
                        "rule {} screen rejects matching {:?}",
                        r.id,
                        render(s)
                    );
                } else if !admitted {
                    rejected += 1;
                }
                if p.is_match(&transformed) == Ok(true) {
                    assert!(
                        raw_admitted,
                        "rule {} raw screen rejects {:?}, which matches once transformed",
                        r.id,
                        render(s)
                    );
                }
            }
        }
    }
    eprintln!("screens: {matches} matches all admitted, {rejected} non-matches rejected early");
}
