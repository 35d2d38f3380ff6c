//! Differential test against the C library (libinjection 3.9.2 in PyPI `libinjection-python`
//! 1.1.6), run when `.venv/bin/python` at the repository root can import it; otherwise it
//! prints why it skips. The CI script creates that venv from `scripts/requirements-test.txt`.
//!
//! Inputs: the CRS regression-test payloads and libinjection vector inputs when `../shared`
//! is present, then generated ones from a fixed seed: SQL and HTML token soup, mutations of
//! attack and benign strings, splices, and random bytes. For each input we compare the SQLi verdict and
//! fingerprint (`libinjection_sqli`) and the XSS verdict (`libinjection_xss`), calling the C
//! functions through `ctypes` on the raw bytes (the module's own Python API only takes
//! `str`). `LIBINJECTION_ORACLE_PYTHON` overrides the interpreter; `LIBINJECTION_DIFF_CASES`,
//! `LIBINJECTION_DIFF_SEED` and `LIBINJECTION_DIFF_CORPUS` (a directory, one input per file)
//! are for longer local runs.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use waf_libinjection::{XSS_NEEDS_ONE_OF, detect_sqli, detect_xss};

const ORACLE: &str = r#"
import ctypes, sys, libinjection
lib = ctypes.CDLL(libinjection.__file__)
lib.libinjection_sqli.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p]
lib.libinjection_xss.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
if len(sys.argv) > 1 and sys.argv[1] == "--probe":
    sys.exit(0)
fp = ctypes.create_string_buffer(16)
out = []
with open(sys.argv[1], "rb") as f:
    for line in f:
        b = bytes.fromhex(line.strip().decode())
        r = lib.libinjection_sqli(b, len(b), fp)
        x = lib.libinjection_xss(b, len(b))
        out.append("%s %d" % (fp.value.decode("latin-1") if r else "-", 1 if x else 0))
sys.stdout.write("\n".join(out) + "\n")
"#;

/// Inputs generated (`LIBINJECTION_DIFF_CASES` overrides, for longer local runs).
fn cases() -> usize {
    std::env::var("LIBINJECTION_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150_000)
}

/// Generator seed (`LIBINJECTION_DIFF_SEED` overrides).
fn seed() -> u64 {
    std::env::var("LIBINJECTION_DIFF_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x005E_ED0F_11B1)
}

fn oracle_python() -> Option<PathBuf> {
    let python = std::env::var_os("LIBINJECTION_ORACLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../.venv/bin/python"
            ))
        });
    if !python.exists() {
        eprintln!(
            "skipping differential test: {} not found (pip install libinjection-python==1.1.6 there)",
            python.display()
        );
        return None;
    }
    match Command::new(&python)
        .args(["-c", ORACLE, "--probe"])
        .output()
    {
        Ok(o) if o.status.success() => Some(python),
        Ok(o) => {
            eprintln!(
                "skipping differential test: {} cannot load libinjection: {}",
                python.display(),
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            );
            None
        }
        Err(e) => {
            eprintln!(
                "skipping differential test: cannot run {}: {e}",
                python.display()
            );
            None
        }
    }
}

/// SplitMix64: small, deterministic, good enough for test generation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const ATTACKS: &[&str] = &[
    "1' OR '1'='1",
    "1 UNION SELECT 1,2,3--",
    "' union all select null,@@version#",
    "admin'--",
    "1; DROP TABLE users",
    "1 AND 1=1",
    "' or 1=1 limit 1 -- -+",
    "1' AND SLEEP(5)#",
    "-1 UNION SELECT user(),2",
    "1)) OR ((1=1",
    "'; EXEC xp_cmdshell('dir')--",
    "1 or benchmark(10000000,md5(1))",
    "\" or \"\"=\"",
    "1' waitfor delay '0:0:5'--",
    "SELECT * FROM users WHERE id = 1 OR 1=1",
    "1'/**/union/**/select/**/1",
    "1 /*!50000union*/ select 1",
    "@@version",
    "x' AND extractvalue(1,concat(0x7e,version()))-- ",
    "1 having 1=1",
    "$$ or 1=1 $$",
    "q'[x]' or 1=1",
    "N'foo' or 1=1",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<svg onload=alert(1)>",
    "<iframe src=\"data:text/html,<script>alert(1)</script>\">",
    "\"><script>alert(document.cookie)</script>",
    "<body onload=alert(1)>",
    "<div style=\"background:url(javascript:alert(1))\">",
    "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
    "<a href=\"&#106;avascript:alert(1)\">",
    "<a href=\"&#x6A;avascript:alert(1)\">",
    "' onmouseover='alert(1)",
    "<?xml version=\"1.0\"?>",
    "<!DOCTYPE html>",
    "<% foo %>",
    "<math><mi xlink:href=\"javascript:alert(1)\">",
    "<set attributeName=\"onmouseover\" to=\"alert(1)\">",
];

const BENIGN: &[&str] = &[
    "hello world",
    "O'Reilly",
    "john.doe@example.com",
    "https://example.com/path?a=1&b=2",
    "1234",
    "3.14159",
    "-1",
    "2024-01-01T12:00:00Z",
    "The quick brown fox jumps over the lazy dog",
    "select a size",
    "union station",
    "a < b and c > d",
    "<b>bold</b>",
    "I'm here -- and there",
    "sexy and 17",
    "{\"key\": [1, 2, 3]}",
    "SGVsbG8gV29ybGQ=",
    "1234-ABCDEFEhfhihwuefi--",
    "C:\\Program Files\\x",
    "#hashtag",
    "$1,000.00",
    "50% off",
    "name=value; other=thing",
    "<p class=\"x\">para</p>",
    "rock 'n' roll",
];

const SQL_TOKENS: &[&str] = &[
    "1",
    "0x1F",
    "0b101",
    "1.5e3",
    "1e",
    ".5",
    "'",
    "\"",
    "`",
    "'a'",
    "\"b\"",
    "`c`",
    "x'4F'",
    "b'01'",
    "N'n'",
    "E'e'",
    "U&'u'",
    "q'(q)'",
    "nq'<z>'",
    "$$d$$",
    "$t$x$t$",
    "$5.00",
    "@v",
    "@@version",
    "@'s'",
    "\\N",
    "\\",
    "SELECT",
    "select",
    "UNION",
    "union all",
    "FROM",
    "WHERE",
    "OR",
    "AND",
    "NOT",
    "IN",
    "NOT IN",
    "LIKE",
    "IS",
    "NULL",
    "INTO",
    "OUTFILE",
    "INTO OUTFILE",
    "DUMPFILE",
    "LIMIT",
    "GROUP BY",
    "ORDER BY",
    "HAVING",
    "DROP",
    "TABLE",
    "EXEC",
    "xp_cmdshell",
    "sp_password",
    "WAITFOR",
    "DELAY",
    "IF",
    "IFNULL",
    "CASE",
    "WHEN",
    "THEN",
    "END",
    "COLLATE",
    "utf8_bin",
    "CHAR",
    "VARCHAR",
    "INT",
    "CAST",
    "AS",
    "user",
    "USER_ID",
    "database",
    "version",
    "sleep",
    "benchmark",
    "concat",
    "mysql.user",
    "users",
    "id",
    "a.b",
    "a`b",
    "select`",
    "[br]",
    "{",
    "}",
    "{ ``",
    "(",
    ")",
    ",",
    ";",
    ".",
    ":",
    "::",
    ":=",
    "=",
    "<>",
    "!=",
    "<=>",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "%",
    "&",
    "&&",
    "|",
    "||",
    "^",
    "~",
    "!",
    "!!",
    "#",
    "--",
    "-- ",
    "--x",
    "/*",
    "*/",
    "/**/",
    "/*!",
    "/* c */",
    "/*x/*y*/",
    "\n",
    " ",
    "\t",
    "\u{a0}",
    "\0",
    "?",
    "]",
    "1f",
    "1.0d",
    "2UNION",
    "0x",
    "0b",
    "1,(2)",
    "a=(b)",
    "1),(2",
    "a)=(b",
    ", -1",
    ",-sin(1)",
    "SELECT + (",
    "IN (",
    "LIKE(",
    "NOT LIKE",
    "COLLATE x_y",
    "\\%1",
    "{ foo",
    "::INT",
    "1::int",
    "CURRENT_USER(",
    "LOCALTIME",
    "@@`v`",
    "@\"x\"",
    "`f`",
    "`concat`(",
    "$$",
    "$a$",
    "$abc$ x $abc$",
    "$.",
    "$1",
    "q'",
    "q'(",
    "b'2'",
    "x'G'",
    "N'",
    "E'",
    "U&",
    "0x1g",
    "1.e",
    "1.5E+3",
    "1.5e-",
    ".",
    "..",
    "1.",
    "1.0f1",
    "1.0UNION",
    "\\N",
    "-- -",
    "#x",
    "--\n",
    "/*!50000",
    "*/*",
    "WAITFOR DELAY",
    "UNION ALL SELECT",
    "ORDER BY 1",
    "GROUP_CONCAT(",
    "CHAR(",
    "INTO DUMPFILE",
    "HAVING 1",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "select.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "'\\''",
    "''''",
    "\"\"\"\"",
    "'a\\'b'",
    "\u{e9}",
    "\u{ff}",
    "\u{80}",
    "\x7f",
];

const HTML_TOKENS: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "<!--",
    "-->",
    "--!>",
    "<!",
    "<?",
    "?>",
    "<%",
    "%>",
    "<![CDATA[",
    "]]>",
    "<!DOCTYPE",
    "=",
    "\"",
    "'",
    "`",
    " ",
    "\t",
    "\n",
    "\0",
    "\x0b",
    "a",
    "b",
    "div",
    "script",
    "SCRIPT",
    "scr\0ipt",
    "img",
    "svg",
    "svgx",
    "xsl",
    "xml",
    "style",
    "iframe",
    "base",
    "link",
    "meta",
    "object",
    "embed",
    "x",
    "src",
    "href",
    "HREF",
    "action",
    "formaction",
    "style",
    "onload",
    "onerror",
    "ONCLICK",
    "onx",
    "on",
    "xmlns",
    "xlink:href",
    "attributeName",
    "values",
    "to",
    "from",
    "by",
    "filter",
    "datasrc",
    "javascript:",
    "JaVaScRiPt:",
    "java\0script:",
    " javascript:",
    "vbscript:",
    "data:",
    "view-source:",
    "&#106;",
    "&#x6a;",
    "&#X6A",
    "&#0000106",
    "&#x",
    "&#",
    "&",
    "&amp;",
    "&#10;",
    "&#x0;",
    "[if",
    "import",
    "ENTITY",
    "alert(1)",
    "text",
    "%",
    "]",
    "!",
    "&#x6a",
    "&#106",
    "&#x00006A;",
    "&#x10FFFF;",
    "&#1114111;",
    "&#x16A;",
    "&#362;",
    "&#9;",
    "&#x20;",
    "&#0;",
    "&#x;",
    "&#;",
    "\u{ff}",
    "\u{80}",
    "\x7f",
    "\x01",
    "java",
    "JAVA",
    "vbs",
    "data",
    "DATA:",
    "view",
    "onloadx",
    "ON",
    "o\0nload",
    "on\0load",
    "scr",
    "SvG",
    "xSL",
    "XMLNS:x",
    "xlinkx",
    "\"a\"",
    "'b'",
    "`c`",
    "<a ",
    "<a href=",
    "<a style=",
    "<x onerror=",
    "--",
    "-!",
    "-\0-",
    "]]",
    "<![CDATA",
    "<!doctype",
    "<!-",
    "<!x",
    "</x",
    "</ ",
    "</>",
    "<a/",
    "<a/>",
    "<a b/c>",
];

fn soup(rng: &mut Rng, tokens: &[&str], seps: &[&str]) -> Vec<u8> {
    let n = 1 + rng.below(9);
    let mut out = Vec::new();
    for _ in 0..n {
        out.extend_from_slice(rng.pick(tokens).as_bytes());
        out.extend_from_slice(rng.pick(seps).as_bytes());
    }
    out
}

const INTERESTING: &[u8] = b"'\"`;-#/*()=<>!&|@$\\ \t\n\0\xa0\xff.,:01xX{}[]%+~^?aeEnNqQuUbB";

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(7) {
            0 => v.insert(at, *rng.pick(INTERESTING)),
            1 if !v.is_empty() => {
                v.remove(at.min(v.len() - 1));
            }
            2 if at < v.len() => v[at] = *rng.pick(INTERESTING),
            3 if at < v.len() => v[at] = v[at].to_ascii_uppercase() ^ (rng.below(2) as u8 * 0x20),
            4 => {
                let piece = rng.pick(SQL_TOKENS).as_bytes();
                v.splice(at..at, piece.iter().copied());
            }
            5 => {
                let piece = rng.pick(HTML_TOKENS).as_bytes();
                v.splice(at..at, piece.iter().copied());
            }
            _ => v.truncate(at),
        }
    }
    v
}

fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let pair = (
            s.get(i + 1).copied().and_then(hex),
            s.get(i + 2).copied().and_then(hex),
        );
        match (s[i], pair) {
            (b'%', (Some(h), Some(l))) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Real payloads when `../shared` is present: the `uri:`/`data:` values of the CRS
/// regression tests (raw and percent-decoded) and the libinjection vector inputs.
fn shared_corpus() -> Vec<Vec<u8>> {
    let shared = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    let mut files = Vec::new();
    let mut dirs = vec![
        shared.join("crs/v3.3.10/tests"),
        shared.join("crs/v4.28.0/tests"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read(&f) else {
            continue;
        };
        for line in text.split(|&b| b == b'\n') {
            let line = line.trim_ascii();
            let Some(value) = [&b"uri:"[..], b"data:"]
                .iter()
                .find_map(|k| line.strip_prefix(*k))
            else {
                continue;
            };
            let value = value.trim_ascii();
            let value = value
                .strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(value);
            if !value.is_empty() {
                out.push(value.to_vec());
                out.push(percent_decode(value));
            }
        }
    }
    let vectors = shared.join("libinjection/tests");
    for entry in std::fs::read_dir(vectors).into_iter().flatten().flatten() {
        if let Ok(text) = std::fs::read(entry.path()) {
            let mut lines = text
                .split(|&b| b == b'\n')
                .skip_while(|l| *l != b"--INPUT--");
            out.extend(lines.nth(1).map(<[u8]>::to_vec));
        }
    }
    // Extra inputs, one per file (e.g. a cargo-fuzz corpus), for local runs.
    if let Some(dir) = std::env::var_os("LIBINJECTION_DIFF_CORPUS") {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            out.extend(std::fs::read(entry.path()));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn generate() -> Vec<Vec<u8>> {
    let mut rng = Rng(seed());
    let total = cases();
    let mut inputs: Vec<Vec<u8>> = ATTACKS
        .iter()
        .chain(BENIGN)
        .map(|s| s.as_bytes().to_vec())
        .collect();
    let real = shared_corpus();
    eprintln!(
        "differential: {} inputs from ../shared (CRS tests, libinjection vectors)",
        real.len()
    );
    inputs.extend(real);
    let seeds: Vec<&[u8]> = ATTACKS.iter().chain(BENIGN).map(|s| s.as_bytes()).collect();
    while inputs.len() < total {
        let v = match rng.below(10) {
            0..=3 => soup(&mut rng, SQL_TOKENS, &[" ", "", "", " ", "/**/", "\n"]),
            4..=5 => soup(&mut rng, HTML_TOKENS, &["", "", " "]),
            6..=7 => {
                let base = *rng.pick(&seeds);
                mutate(&mut rng, base)
            }
            8 => {
                // Splice: the head of one generated input and the tail of another.
                let a = rng.pick(&inputs).clone();
                let b = rng.pick(&inputs).clone();
                let (i, j) = (rng.below(a.len() + 1), rng.below(b.len() + 1));
                let mut v = a[..i].to_vec();
                v.extend_from_slice(&b[j..]);
                mutate(&mut rng, &v)
            }
            _ => {
                let n = rng.below(24);
                (0..n)
                    .map(|_| {
                        if rng.below(3) == 0 {
                            *rng.pick(INTERESTING)
                        } else {
                            rng.next() as u8
                        }
                    })
                    .collect()
            }
        };
        inputs.push(v);
    }
    inputs
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn agrees_with_c_libinjection() {
    let Some(python) = oracle_python() else {
        return;
    };
    let inputs = generate();
    let path =
        std::env::temp_dir().join(format!("waf-libinjection-diff-{}.hex", std::process::id()));
    {
        let mut f =
            std::io::BufWriter::new(std::fs::File::create(&path).expect("create input file"));
        for i in &inputs {
            writeln!(f, "{}", hex(i)).expect("write input");
        }
    }
    let out = Command::new(&python)
        .args(["-c", ORACLE])
        .arg(&path)
        .output()
        .expect("run oracle");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<&str> = std::str::from_utf8(&out.stdout)
        .expect("ascii output")
        .lines()
        .collect();
    assert_eq!(answers.len(), inputs.len(), "one oracle answer per input");

    let (mut sqli_verdict_ok, mut sqli_fp_ok, mut xss_ok, mut c_sqli, mut c_xss) =
        (0usize, 0usize, 0usize, 0, 0);
    let mut diffs = Vec::new();
    for (input, answer) in inputs.iter().zip(&answers) {
        let (c_fp, c_x) = answer.split_once(' ').expect("two fields");
        let c_fp = (c_fp != "-").then_some(c_fp);
        let c_x = c_x == "1";
        c_sqli += usize::from(c_fp.is_some());
        c_xss += usize::from(c_x);
        let ours = detect_sqli(input);
        let ours_fp = ours.as_ref().map(|f| f.as_str());
        sqli_verdict_ok += usize::from(ours.is_some() == c_fp.is_some());
        sqli_fp_ok += usize::from(ours_fp == c_fp);
        if ours_fp != c_fp {
            diffs.push(format!(
                "sqli {:?}: C {:?}, ours {:?}",
                String::from_utf8_lossy(input),
                c_fp,
                ours_fp
            ));
        }
        let x = detect_xss(input);
        xss_ok += usize::from(x == c_x);
        if c_x && !input.iter().any(|b| XSS_NEEDS_ONE_OF.contains(b)) {
            diffs.push(format!(
                "xss {:?}: C reports XSS without any of XSS_NEEDS_ONE_OF",
                String::from_utf8_lossy(input)
            ));
        }
        if x != c_x {
            diffs.push(format!(
                "xss {:?}: C {c_x}, ours {x}",
                String::from_utf8_lossy(input)
            ));
        }
    }
    let n = inputs.len();
    let pct = |k: usize| 100.0 * k as f64 / n as f64;
    eprintln!(
        "differential: {n} inputs ({c_sqli} SQLi and {c_xss} XSS per C); agreement: SQLi verdict {:.3} %, \
         SQLi verdict+fingerprint {:.3} %, XSS verdict {:.3} %",
        pct(sqli_verdict_ok),
        pct(sqli_fp_ok),
        pct(xss_ok)
    );
    assert!(n >= 100_000 || std::env::var_os("LIBINJECTION_DIFF_CASES").is_some());
    assert!(
        diffs.is_empty(),
        "{} disagreements, first ones:\n{}",
        diffs.len(),
        diffs
            .iter()
            .take(200)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
