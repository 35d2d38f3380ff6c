//! Hostile input never panics: arbitrary bytes and mutated valid records into
//! every parser (audit records, timestamps, CIDRs, configuration, nft JSON),
//! and arbitrary records into the detector.

use std::path::Path;

use proptest::prelude::*;
use waf_analyzer::config::{Config, DetectionConfig};
use waf_analyzer::{AuditRecord, Detector};

const SEED: &str = r#"{"transaction":{"unix_timestamp":1704164645123456789,"id":"abc","client_ip":"203.0.113.7","request":{"headers":{"X-Forwarded-For":["198.51.100.1, 10.0.0.9"]}},"response":{"status":403},"messages":[{"message":"m","details":{"ruleId":"941100","severity":"2"}}]},"messages":[{"data":{"id":942100,"severity":2,"msg":"Inbound Anomaly Score Exceeded (Total Score: 10)"}}]}"#;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn record_parser_total_on_bytes(s in ".{0,400}") {
        let _ = AuditRecord::parse(&s);
        let _ = waf_analyzer::clock::parse_timestamp(&s);
        let _ = s.parse::<waf_analyzer::Cidr>();
        let _ = waf_analyzer::record::parse_ip_lenient(&s);
        let _ = waf_analyzer::record::anomaly_score_in(&s);
        let _ = Config::parse(&s, Path::new("x.toml"));
        let _ = Config::parse(&s, Path::new("x.json"));
        let _ = waf_analyzer::enforce::nftables::parse_set_json(&s, "blocked4", 0);
    }

    #[test]
    fn mutated_records_never_panic_and_detector_accepts_them(
        cut in 0usize..SEED.len(),
        insert in "[\\[\\]{}\":,0-9a-z.\\-]{0,12}",
        now in any::<u64>(),
    ) {
        let mut s = SEED.to_string();
        let cut = (0..=cut).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
        s.insert_str(cut, &insert);
        if let Ok(rec) = AuditRecord::parse(&s) {
            let cfg = DetectionConfig { min_requests: 1, ..DetectionConfig::default() };
            let mut det = Detector::new(cfg, Default::default(), &Default::default());
            let mut out = Vec::new();
            for i in 0..3 {
                det.observe(&rec, now.saturating_add(i), &mut out);
            }
            det.gc(u64::MAX);
        }
    }

    #[test]
    fn extreme_config_numbers_do_not_panic(cap in any::<f64>(), leak in any::<f64>(), base in any::<u64>(), maxt in any::<u64>(), fac in any::<f64>()) {
        let text = format!(
            "[detection]\ncapacity = {cap:?}\nleak_per_second = {leak:?}\nbase_ttl_secs = {}\nmax_ttl_secs = {}\nescalation_factor = {fac:?}\nmin_requests = 1\n",
            base.min(i64::MAX as u64), maxt.min(i64::MAX as u64)
        );
        if let Ok(cfg) = Config::parse(&text, Path::new("x.toml")) {
            let mut det = Detector::new(cfg.detection, Default::default(), &Default::default());
            let rec = AuditRecord::parse(SEED).unwrap();
            let mut out = Vec::new();
            for i in 0..5u64 {
                det.observe(&rec, u64::MAX - 5 + i, &mut out);
            }
        }
    }
}
