//! Parsing all of CRS v4 (setup example and every rules file) from memory: the cost of a
//! configuration reload, without disk reads.
//!
//! Needs `../shared/crs/v4.28.0` beside the repository; without it the bench prints why and
//! measures nothing.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};

fn load_crs_v4() -> Option<Vec<(String, String)>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/crs/v4.28.0");
    let mut files = vec![dir.join("crs-setup.conf.example")];
    let mut rules: Vec<_> = std::fs::read_dir(dir.join("rules"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    rules.sort();
    files.extend(rules);
    files
        .into_iter()
        .map(|p| Some((p.display().to_string(), std::fs::read_to_string(&p).ok()?)))
        .collect()
}

fn parse_crs(c: &mut Criterion) {
    let Some(files) = load_crs_v4() else {
        eprintln!("skipped: ../shared/crs/v4.28.0 is absent");
        return;
    };
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let mut group = c.benchmark_group("seclang");
    group.throughput(criterion::Throughput::Bytes(bytes as u64));
    group.bench_function("parse CRS v4.28.0", |b| {
        b.iter(|| {
            let mut directives = 0;
            for (name, text) in &files {
                let out = waf_seclang::parse_str(name, text);
                assert!(out.errors.is_empty());
                directives += out.ast.directives.len();
            }
            directives
        })
    });
    group.finish();
}

criterion_group!(benches, parse_crs);
criterion_main!(benches);
