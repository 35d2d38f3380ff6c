//! Per phase, a dense copy of what it takes to rule a rule out by its screen.
//!
//! Most rules cannot match ordinary traffic, and the per-variable summaries show it (see
//! `transaction/eval.rs`). Reading that answer off the rules themselves chases pointers
//! through each rule, its targets and its screen: measured with a cache simulator, the
//! walk over the rules was the largest source of cache misses of a CRS transaction that
//! runs after other work, as it does in a proxy. Here the same facts lie in two arrays
//! read front to back: one gate per entry of the phase, and the screens' byte sets.

use crate::byteset::ByteSet;
use crate::rule::Entry;

/// The screen of a rule whose first link reads only stored data (see
/// [`crate::variables::Var::is_stored_data`]).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Gate {
    /// A bit per [`crate::variables::Var::index`]: the variables the link reads. Zero
    /// when the rule has no such screen and must be looked at.
    pub vars: [u64; 2],
    pub min_len: usize,
    needs_start: u32,
    needs_len: u32,
}

/// The gates of one phase, by entry index.
#[derive(Debug, Default)]
pub(crate) struct PhaseGates {
    gates: Vec<Gate>,
    needs: Vec<ByteSet>,
}

impl PhaseGates {
    pub(crate) fn build(entries: &[Entry]) -> PhaseGates {
        let mut built = PhaseGates::default();
        for entry in entries {
            let mut gate = Gate::default();
            if let Entry::Rule(rule) = entry
                && let Some(screen) = &rule.raw_screen
                && !rule.targets.is_empty()
                && rule.targets.iter().all(|t| t.var.is_stored_data())
            {
                for t in &rule.targets {
                    let i = t.var.index();
                    gate.vars[i / 64] |= 1 << (i % 64);
                }
                gate.min_len = screen.min_len();
                gate.needs_start = u32::try_from(built.needs.len()).unwrap_or(u32::MAX);
                gate.needs_len = u32::try_from(screen.needed_sets().len()).unwrap_or(0);
                built.needs.extend_from_slice(screen.needed_sets());
            }
            built.gates.push(gate);
        }
        built
    }

    /// The gate of entry `i` and its needed byte sets, when it has one.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<(&Gate, &[ByteSet])> {
        let gate = self.gates.get(i)?;
        if gate.vars == [0, 0] {
            return None;
        }
        let start = gate.needs_start as usize;
        let needs = self.needs.get(start..start + gate.needs_len as usize)?;
        Some((gate, needs))
    }
}

#[cfg(test)]
mod tests {
    use crate::RuleSet;
    use crate::variables::Var;

    #[test]
    fn only_screened_rules_over_stored_data_get_a_gate() {
        let rules = RuleSet::from_text(
            "t.conf",
            "SecRule ARGS|REQUEST_HEADERS \"@rx <script\" \"id:1,phase:2,pass\"\n\
             SecRule ARGS|TX:x \"@rx <script\" \"id:2,phase:2,pass\"\n\
             SecMarker END\n\
             SecRule ARGS \"!@rx <script\" \"id:3,phase:2,pass\"\n\
             SecRule ARGS \"@rx <script\" \"id:4,phase:2,pass,t:base64Decode\"",
        )
        .unwrap();
        let gates = &rules.gates[1];
        let (gate, needs) = gates.get(0).expect("rule 1 has a gate");
        let mut expected = [0u64; 2];
        for var in [Var::Args, Var::RequestHeaders] {
            expected[var.index() / 64] |= 1 << (var.index() % 64);
        }
        assert_eq!(gate.vars, expected);
        assert_eq!(gate.min_len, "<script".len());
        assert!(!needs.is_empty());
        // TX is not stored data; a marker, a negated operator and a chain that says
        // nothing about raw bytes have no screen to gate on.
        for i in 1..5 {
            assert!(gates.get(i).is_none(), "entry {i}");
        }
    }
}
