//! `waf-libinjection`: time per input of `detect_sqli` and `detect_xss`, on benign and on
//! attack strings. Each iteration runs the whole set; throughput is in inputs, so criterion
//! reports inputs/s (ns per input = 1e9 / that).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use waf_libinjection::{detect_sqli, detect_xss};

const BENIGN: &[&str] = &[
    "hello world",
    "john.doe@example.com",
    "O'Reilly",
    "1234",
    "https://example.com/search?q=rust+waf&page=2",
    "The quick brown fox jumps over the lazy dog",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0",
    "{\"user\":\"alice\",\"roles\":[\"admin\",\"dev\"],\"active\":true}",
    "2024-01-01T12:00:00Z",
    "a < b and c > d",
];

const SQLI: &[&str] = &[
    "1' OR '1'='1",
    "1 UNION SELECT username, password FROM users--",
    "' union all select null,@@version#",
    "admin'--",
    "1; DROP TABLE users",
    "1' AND SLEEP(5)#",
    "1)) OR ((1=1",
    "'; EXEC xp_cmdshell('dir')--",
    "1'/**/union/**/select/**/1",
    "x' AND extractvalue(1,concat(0x7e,version()))-- ",
];

const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<svg onload=alert(1)>",
    "\"><script>alert(document.cookie)</script>",
    "<body onload=alert(1)>",
    "<div style=\"background:url(javascript:alert(1))\">",
    "<a href=\"&#106;avascript:alert(1)\">",
    "' onmouseover='alert(1)",
    "<iframe src=\"data:text/html,<script>alert(1)</script>\">",
];

fn bench_set(
    c: &mut Criterion,
    group: &str,
    detector: fn(&[u8]) -> bool,
    sets: &[(&str, &[&str])],
) {
    let mut g = c.benchmark_group(group);
    for (name, inputs) in sets {
        g.throughput(Throughput::Elements(inputs.len() as u64));
        g.bench_function(*name, |b| {
            b.iter(|| {
                for input in *inputs {
                    black_box(detector(black_box(input.as_bytes())));
                }
            })
        });
    }
    g.finish();
}

fn libinjection(c: &mut Criterion) {
    bench_set(
        c,
        "detect_sqli",
        |i| detect_sqli(i).is_some(),
        &[("benign", BENIGN), ("attack", SQLI)],
    );
    bench_set(
        c,
        "detect_xss",
        detect_xss,
        &[("benign", BENIGN), ("attack", XSS)],
    );
}

criterion_group!(benches, libinjection);
criterion_main!(benches);
