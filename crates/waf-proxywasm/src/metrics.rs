//! Metric names. proxy-wasm metrics are flat names; Envoy shows them under `wasmcustom.`.
//! Tags follow the `_key=value` convention coraza-proxy-wasm uses, so an Envoy
//! `stats_tags` regex (or a Prometheus relabelling) can split them out; the configured
//! `metric_labels` are appended to every name.
//!
//! | name | kind | counts |
//! |---|---|---|
//! | `waf_filter.tx.total` | counter | transactions inspected |
//! | `waf_filter.tx.interruptions_phase=P_rule_id=N` | counter | local replies by phase and rule (rule 0: the engine decided, e.g. a body over its limit) |
//! | `waf_filter.tx.engine_failures_phase=P` | counter | requests the engine failed on (see `failure_mode`) |
//! | `waf_filter.tx.rule_errors` | counter | evaluation errors (regex step limits) |
//! | `waf_filter.response_hold_unsupported` | counter | workers that found Envoy does not deliver the body of a held response, and stopped holding (see `hold`) |

/// Transactions inspected.
pub fn transactions(suffix: &str) -> String {
    format!("waf_filter.tx.total{suffix}")
}

/// Interruptions by phase and rule id.
pub fn interruption(phase: u8, rule_id: u64, suffix: &str) -> String {
    format!("waf_filter.tx.interruptions_phase={phase}_rule_id={rule_id}{suffix}")
}

/// Engine failures by phase.
pub fn engine_failure(phase: u8, suffix: &str) -> String {
    format!("waf_filter.tx.engine_failures_phase={phase}{suffix}")
}

/// Rule evaluation errors.
pub fn rule_errors(suffix: &str) -> String {
    format!("waf_filter.tx.rule_errors{suffix}")
}

/// Workers (VMs) that stopped holding response headers (see [`crate::hold`]).
pub fn hold_unsupported(suffix: &str) -> String {
    format!("waf_filter.response_hold_unsupported{suffix}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_carry_tags_and_labels() {
        assert_eq!(
            super::interruption(2, 949110, "_owner=a"),
            "waf_filter.tx.interruptions_phase=2_rule_id=949110_owner=a"
        );
        assert_eq!(super::transactions(""), "waf_filter.tx.total");
    }
}
