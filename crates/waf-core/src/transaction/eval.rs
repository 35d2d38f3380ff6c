//! Rule evaluation: phases, chains, flow, transformations (cached), operators, actions.
//!
//! # Semantics (ModSecurity v3's, which CRS is written against)
//!
//! * A rule matches when its operator holds for at least one value of its targets (after
//!   exclusions and transformations). A negated operator holds where the plain one does
//!   not. No values, no match — even when negated. `SecAction` has one empty value.
//! * A chain matches when every link matches, in order; each link sees the `MATCHED_VAR*`
//!   and captures of the links before it.
//! * A link's non-disruptive actions (`setvar`, `ctl`, ...) run as soon as that link
//!   matches, once per matching value (with `MATCHED_VAR` and captures of that value), so
//!   later links see their effect. When the whole chain matched, the match is
//!   logged with `msg`/`logdata` expanded, then the disruptive action and the flow action
//!   (`skip`, `skipAfter`) take effect.
//! * Disruptive actions interrupt only under `SecRuleEngine On`; `DetectionOnly` logs.
//!
//! # The transformation cache
//!
//! CRS applies the same transformation chains to the same values in rule after rule.
//! Results are cached per (value, interned transformation prefix), where a value is
//! identified by the address and length of the request buffer it lives in (see
//! [`ValueId`] for why that is sound). Only values of at least [`CACHE_MIN_LEN`] bytes
//! are cached: measured on a browser GET with CRS v4, caching short values cost more
//! (hashing, storing) than transforming them again. The cache holds at most
//! [`CACHE_BYTE_LIMIT`] bytes per transaction; beyond that evaluation simply recomputes.
//!
//! # Screens
//!
//! A link whose operator has a screen (see [`crate::regex::Screen`]) carries it back
//! through its transformations as [`Rule::raw_screen`]. Before collecting anything, the
//! link is tested against per-variable summaries (every byte of every stored value of a
//! variable, and the longest length); if no target variable can pass, the link does not
//! match. Otherwise each raw value is tested before it is transformed. (Testing the
//! transformed value too was measured to cost more than it saved: the regex engine's own
//! literal prefilters reject such values about as fast.) Summaries live in the same cache
//! and are emptied with it, except that those of the request line and headers outlive
//! phase 1.
//!
//! Before a rule is evaluated at all, `run_rules` asks two cheaper questions: the phase's
//! gates (see [`crate::gates`]) answer from the summaries without touching the rule, and a
//! first link that tests one TX variable is answered with one lookup (`Rule::tx_probe`).

use std::borrow::Cow;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use waf_seclang::{AllowScope, EngineMode};

use super::collect::{Value, Values};
use super::{Allowed, CollectionValue, CurrentRule, TargetRemoval, Transaction};
use crate::audit::RuleMatch;
use crate::byteset::ByteSet;
use crate::gates::Gate;
use crate::operators::CompileContext;
use crate::regex::{RegexConfig, Screen};
use crate::rule::*;
use crate::variables::Var;
use crate::{Intervention, InterventionAction};

/// Upper bound on bytes of transformed values one transaction's cache holds.
pub const CACHE_BYTE_LIMIT: usize = 4 << 20;

/// Values shorter than this are transformed afresh each time (measured: for the short
/// values of a typical GET, hashing and storing cost more than the transformations).
pub const CACHE_MIN_LEN: usize = 256;

/// Values shorter than this are summarised afresh rather than looked up.
const RAW_BYTES_MIN_LEN: usize = 8;

/// A cached result; `None` when the transformations left the value as it was.
type Cached = Option<Arc<[u8]>>;

/// A value that cannot change while the cache holds it: the address and length of a
/// buffer owned by the request or response data. Such buffers are neither freed nor
/// moved while rules run; the cache is emptied whenever the caller adds request or
/// response data, so an address is never reused for other bytes under the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ValueId {
    addr: usize,
    len: usize,
}

// `TransformCache::summarised` has a bit per variable.
const _: () = assert!(Var::COUNT <= 128);

#[derive(Debug, Default)]
pub(crate) struct TransformCache {
    entries: FxHashMap<(ValueId, u32), Cached>,
    bytes: usize,
    /// Per stored variable (see [`Var::is_stored_data`]), indexed by [`Var::index`]:
    /// every byte any of its values holds, and the length of its longest value. Only
    /// entries whose bit is set in `summarised` are current.
    summaries: Vec<(ByteSet, usize)>,
    summarised: [u64; 2],
    /// The bytes of each stored value read so far, by [`ValueId`]: many links test the
    /// same header or argument against their screens.
    raw_bytes: FxHashMap<ValueId, ByteSet>,
}

/// A transformed value: the input itself, a cached result, or a fresh one.
pub(crate) enum Transformed<'v> {
    Borrowed(&'v [u8]),
    Owned(Vec<u8>),
    Shared(Arc<[u8]>),
}

impl std::ops::Deref for Transformed<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Transformed::Borrowed(b) => b,
            Transformed::Owned(o) => o,
            Transformed::Shared(s) => s,
        }
    }
}

impl<'v> Transformed<'v> {
    fn from_cache(value: &'v [u8], cached: &Cached) -> Self {
        match cached {
            Some(out) => Transformed::Shared(Arc::clone(out)),
            None => Transformed::Borrowed(value),
        }
    }
}

/// Stored variables that request body processing cannot change: their summaries outlive
/// [`TransformCache::clear_for_body`].
const REQUEST_HEAD_VARS: [Var; 14] = [
    Var::ArgsGet,
    Var::ArgsGetNames,
    Var::RequestHeaders,
    Var::RequestHeadersNames,
    Var::RequestCookies,
    Var::RequestCookiesNames,
    Var::RequestFilename,
    Var::RequestBasename,
    Var::RequestUri,
    Var::RequestUriRaw,
    Var::RequestLine,
    Var::RequestMethod,
    Var::RequestProtocol,
    Var::QueryString,
];

impl TransformCache {
    /// Before the request body is processed: forgets everything but the summaries of
    /// the request line and headers, which phase 2 would otherwise compute again.
    /// (Cached transformations go too: the body processor moves request buffers.)
    pub(crate) fn clear_for_body(&mut self) {
        let mut keep = [0u64; 2];
        for var in REQUEST_HEAD_VARS {
            let i = var.index();
            keep[i / 64] |= 1 << (i % 64);
        }
        let summarised = [self.summarised[0] & keep[0], self.summarised[1] & keep[1]];
        self.clear();
        self.summarised = summarised;
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
        self.summarised = [0; 2];
        self.raw_bytes.clear();
    }

    /// The bytes `value` holds; remembered when `stable` (see [`ValueId`]) and long
    /// enough that a lookup is cheaper than a pass over it.
    fn raw_bytes_of(&mut self, value: &[u8], stable: bool) -> ByteSet {
        if !stable || value.len() < RAW_BYTES_MIN_LEN {
            return ByteSet::of(value);
        }
        let id = ValueId {
            addr: value.as_ptr() as usize,
            len: value.len(),
        };
        *self
            .raw_bytes
            .entry(id)
            .or_insert_with(|| ByteSet::of(value))
    }

    /// Whether some value of `var` (any key) may pass `screen`. `var` must be stored
    /// data, whose summary stays valid until the cache is cleared.
    #[inline]
    fn any_value_admitted(&mut self, tx: &Transaction, var: Var, screen: &Screen) -> bool {
        self.any_value_passes(tx, var, screen.min_len(), screen.needed_sets())
    }

    /// [`TransformCache::any_value_admitted`] for a screen given as its parts.
    #[inline]
    fn any_value_passes(
        &mut self,
        tx: &Transaction,
        var: Var,
        min_len: usize,
        needs: &[ByteSet],
    ) -> bool {
        let i = var.index();
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        if self.summarised[word] & bit == 0 {
            self.summarise(tx, var);
            self.summarised[word] |= bit;
        }
        let (present, longest) = &self.summaries[i];
        Screen::parts_admit(min_len, needs, *longest, present)
    }

    /// Whether no value of any variable of `gate` may pass its screen.
    #[inline]
    fn gate_closed(&mut self, tx: &Transaction, gate: &Gate, needs: &[ByteSet]) -> bool {
        for (w, word) in gate.vars.iter().enumerate() {
            let mut bits = *word;
            while bits != 0 {
                let index = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                match Var::from_index(index) {
                    Some(var) if !self.any_value_passes(tx, var, gate.min_len, needs) => {}
                    _ => return false,
                }
            }
        }
        true
    }

    #[cold]
    fn summarise(&mut self, tx: &Transaction, var: Var) {
        if self.summaries.is_empty() {
            self.summaries = vec![(ByteSet::empty(), 0); Var::COUNT];
        }
        let mut values = Values::new();
        tx.collect(var, &Selector::All, &mut values);
        if var == Var::Xml {
            // XML:/* and XML://@* are different values of one variable.
            tx.collect(var, &Selector::Key("//@*".into()), &mut values);
        }
        let mut present = ByteSet::empty();
        for v in &values {
            present.union(&ByteSet::of(&v.value));
        }
        let longest = values.iter().map(|v| v.value.len()).max().unwrap_or(0);
        self.summaries[var.index()] = (present, longest);
    }

    fn put(&mut self, key: (ValueId, u32), output: Option<Arc<[u8]>>) {
        let size = 64 + output.as_ref().map_or(0, |o| o.len());
        if self.bytes + size <= CACHE_BYTE_LIMIT {
            self.bytes += size;
            self.entries.insert(key, output);
        }
    }

    /// The value after all of `rule`'s transformations. `stable` says whether `value`
    /// borrows from request or response data (see [`ValueId`]); others are not cached.
    fn transform<'v>(&mut self, rule: &Rule, value: &'v [u8], stable: bool) -> Transformed<'v> {
        let n = rule.transformations.len();
        let mut current = Transformed::Borrowed(value);
        if n == 0 {
            return current;
        }
        // Short values are cheaper to transform again than to look up: the cache pays
        // off for long ones (bodies, large parameters) that many rules transform alike.
        if !stable || value.len() < CACHE_MIN_LEN {
            for t in &rule.transformations {
                if let Some(out) = t.apply(&current) {
                    current = Transformed::Owned(out);
                }
            }
            return current;
        }
        let id = ValueId {
            addr: value.as_ptr() as usize,
            len: value.len(),
        };
        // Start from the longest prefix of the chain already known for this value.
        let mut start = 0;
        for k in (1..=n).rev() {
            if let Some(hit) = self.entries.get(&(id, rule.transformation_prefixes[k - 1])) {
                current = Transformed::from_cache(value, hit);
                start = k;
                break;
            }
        }
        for k in start..n {
            if let Some(out) = rule.transformations[k].apply(&current) {
                current = Transformed::Shared(Arc::from(out));
            }
            let output = match &current {
                Transformed::Borrowed(_) => None,
                Transformed::Owned(o) => Some(Arc::from(o.as_slice())),
                Transformed::Shared(s) => Some(Arc::clone(s)),
            };
            self.put((id, rule.transformation_prefixes[k]), output);
        }
        current
    }
}

/// What rule evaluation works in, taken out of the transaction for the length of a
/// phase so that rules can read the transaction while it is updated.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pub(crate) cache: TransformCache,
    outcome: LinkOutcome,
}

/// Above these sizes a finished transaction's scratch is freed, not kept for the next
/// one: an unusual request must not hold its memory for the life of the thread.
const RECYCLED_ENTRIES_MAX: usize = 4096;
const RECYCLED_BYTES_MAX: usize = 64 << 10;

impl Scratch {
    /// Empties everything, keeping allocations.
    pub(crate) fn clear(&mut self) {
        self.cache.clear();
        self.outcome.clear();
    }

    /// Whether the buffers are small enough to keep for another transaction.
    pub(crate) fn recyclable(&self) -> bool {
        self.cache.entries.capacity() <= RECYCLED_ENTRIES_MAX
            && self.cache.raw_bytes.capacity() <= RECYCLED_ENTRIES_MAX
            && self.outcome.bytes.capacity() <= RECYCLED_BYTES_MAX
            && self.outcome.matched.capacity() <= RECYCLED_ENTRIES_MAX
    }
}

/// What [`Transaction::probe`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// The rule has no probe (or its operator failed): evaluate it in full.
    NotOne,
    /// The first link does not match.
    Fails,
    /// The first link matches its one value.
    Holds,
}

/// A link's operator, ready to test values (see [`Transaction::link_operator`]).
enum LinkOperator<'r> {
    Ready(&'r dyn crate::operators::Operator),
    Compiled(Box<dyn crate::operators::Operator>),
    /// The argument is not valid once expanded: no value matches.
    Invalid,
}

/// One matching value: where its name and (transformed) value are in
/// [`LinkOutcome::bytes`], and what `capture` took.
#[derive(Debug)]
struct ValueMatch {
    name: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
    captures: Option<Vec<Vec<u8>>>,
}

/// What one rule link found. One is kept per transaction and reused from link to link,
/// so that recording matches does not allocate once its buffers have grown.
#[derive(Debug, Default)]
struct LinkOutcome {
    /// Each matching value, in order.
    matched: Vec<ValueMatch>,
    /// Names and values of the matches, back to back.
    bytes: Vec<u8>,
    errors: Vec<String>,
}

impl LinkOutcome {
    fn clear(&mut self) {
        self.matched.clear();
        self.bytes.clear();
        self.errors.clear();
    }

    fn push(&mut self, v: &Value<'_>, value: &[u8], captures: Option<Vec<Vec<u8>>>) {
        let start = self.bytes.len();
        v.write_full_name(&mut self.bytes);
        let middle = self.bytes.len();
        self.bytes.extend_from_slice(value);
        self.matched.push(ValueMatch {
            name: start..middle,
            value: middle..self.bytes.len(),
            captures,
        });
    }
}

/// `n` in decimal, written into `buf`, which has room for any `i64` (no allocation).
fn format_int(buf: &mut [u8; 20], n: i64) -> &[u8] {
    let mut i = buf.len();
    let mut rest = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// Counts below ten, the usual `&VAR` values, without formatting them.
const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// A collection key as stored: lower-cased, invalid UTF-8 replaced. Borrowed when the
/// key is already in that form (CRS writes its keys in lower case).
pub(crate) fn collection_key(raw: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(text) if !text.bytes().any(|b| b.is_ascii_uppercase()) => Cow::Borrowed(text),
        Ok(text) => Cow::Owned(text.to_ascii_lowercase()),
        Err(_) => Cow::Owned(String::from_utf8_lossy(raw).to_ascii_lowercase()),
    }
}

fn excluded(exclusions: &[Exclusion], v: &Value<'_>) -> bool {
    exclusions.iter().any(|e| {
        e.var == v.var
            && match &e.selector {
                Selector::All => true,
                Selector::Key(k) => k.as_bytes().eq_ignore_ascii_case(&v.key),
                Selector::Regex(p) => p.is_match(&v.key).unwrap_or(false),
            }
    })
}

impl Transaction {
    fn rule_removed(&self, rule: &Rule) -> bool {
        let o = &self.overrides;
        o.removed_ids.iter().any(|r| r.contains(rule.id))
            || o.removed_tags
                .iter()
                .any(|t| rule.metadata.tag_literals.iter().any(|rt| rt == t))
            || o.removed_msgs
                .iter()
                .any(|m| rule.metadata.msg_literal.as_deref() == Some(m.as_str()))
    }

    /// Exclusions added at run time by `ctl:ruleRemoveTarget*` for this rule.
    fn runtime_exclusions(&self, rule: &Rule) -> Vec<Arc<[Exclusion]>> {
        self.overrides
            .removed_targets
            .iter()
            .filter(|(which, _)| match which {
                TargetRemoval::Ids(ranges) => ranges.iter().any(|r| r.contains(rule.id)),
                TargetRemoval::Tag(t) => rule.metadata.tag_literals.iter().any(|rt| rt == t),
                TargetRemoval::Msg(m) => rule.metadata.msg_literal.as_deref() == Some(m.as_str()),
            })
            .map(|(_, e)| e.clone())
            .collect()
    }

    /// Expands a macro against the current state.
    pub(crate) fn expand<'m>(&self, m: &'m Macro) -> Cow<'m, [u8]> {
        if let Some(literal) = m.literal() {
            return Cow::Borrowed(literal);
        }
        // Room for the literal parts and a short value per variable: one allocation for
        // most expansions instead of a few as the output grows.
        let room = m.parts.iter().fold(0, |n, part| match part {
            MacroPiece::Literal(l) => n + l.len(),
            MacroPiece::Var(..) => n + 32,
        });
        let mut out = Vec::with_capacity(room);
        let mut values = Values::new();
        for part in &m.parts {
            match part {
                MacroPiece::Literal(l) => out.extend_from_slice(l),
                MacroPiece::Var(var, selector) => {
                    if let Some(v) = self.tx_piece(*var, selector) {
                        out.extend_from_slice(v.unwrap_or_default());
                        continue;
                    }
                    values.clear();
                    self.collect(*var, selector, &mut values);
                    if let Some(v) = values.first() {
                        out.extend_from_slice(&v.value);
                    }
                }
            }
        }
        Cow::Owned(out)
    }

    /// A macro's value read as an integer (as `atoi` would), without building it when
    /// it is a single `%{tx.name}`: the operand of most `setvar:x=+...` in CRS.
    fn expand_int(&self, m: &Macro) -> i64 {
        if let [MacroPiece::Var(var, selector)] = m.parts.as_slice()
            && let Some(v) = self.tx_piece(*var, selector)
        {
            return crate::operators::parse_int(v.unwrap_or_default());
        }
        crate::operators::parse_int(&self.expand(m))
    }

    /// `%{tx.name}` read with one lookup: `Some(value)` for a TX piece with a key (the
    /// value `None` when unset), `None` for every other piece.
    #[inline]
    fn tx_piece(&self, var: Var, selector: &Selector) -> Option<Option<&[u8]>> {
        match (var, selector) {
            (Var::Tx, Selector::Key(k)) => Some(self.vars.tx.get(k.as_str()).map(|v| v.as_slice())),
            _ => None,
        }
    }

    /// The operator a link tests its values with. An argument with macros is expanded
    /// and compiled here, once per evaluation of the link: actions, which could change
    /// what the macros expand to, run only after all values are tested.
    fn link_operator<'r>(&self, op: &'r CompiledOperator) -> LinkOperator<'r> {
        match &op.implementation {
            OperatorImpl::Ready(o) => LinkOperator::Ready(o.as_ref()),
            OperatorImpl::Deferred { compile, argument } => {
                let expanded = self.expand(argument);
                let text = String::from_utf8_lossy(&expanded);
                let mut no_files =
                    |name: &str| Err(format!("data file {name} cannot be named by a macro"));
                let regex = RegexConfig {
                    backtrack_limit: self.rules().config.regex_backtrack_limit,
                    ..RegexConfig::default()
                };
                let mut ctx = CompileContext {
                    read_data: &mut no_files,
                    regex: &regex,
                };
                match compile(&text, &mut ctx) {
                    Ok(o) => LinkOperator::Compiled(o),
                    // An argument that only became invalid after expansion does not match.
                    Err(_) => LinkOperator::Invalid,
                }
            }
        }
    }

    /// Evaluates one link of a rule against its values.
    fn match_link<'s>(&'s self, rule: &'s Rule, top: &Rule, scratch: &mut Scratch) {
        let Scratch { cache, outcome } = scratch;
        // Most links over request data cannot match ordinary traffic: a target none of
        // whose stored values holds the bytes the operator needs is not collected, and
        // when that holds for every target the link is done.
        let mut hopeless: u64 = 0;
        if let Some(screen) = &rule.raw_screen {
            for (i, t) in rule.targets.iter().enumerate().take(64) {
                if t.var.is_stored_data() && !cache.any_value_admitted(self, t.var, screen) {
                    hopeless |= 1 << i;
                }
            }
            if !rule.targets.is_empty() && hopeless.count_ones() as usize == rule.targets.len() {
                return;
            }
        }
        let runtime = if self.overrides.removed_targets.is_empty() {
            Vec::new()
        } else {
            self.runtime_exclusions(top)
        };
        let mut values = Values::new();
        if rule.targets.is_empty() {
            values.push(Value {
                var: Var::RequestUri,
                key: Cow::Borrowed(b""),
                value: Cow::Borrowed(b""),
            });
        }
        for (i, target) in rule.targets.iter().enumerate() {
            if i < 64 && hopeless & (1 << i) != 0 {
                continue;
            }
            let start = values.len();
            self.collect(target.var, &target.selector, &mut values);
            if !rule.exclusions.is_empty() || !runtime.is_empty() {
                let mut i = start;
                while i < values.len() {
                    let v = &values[i];
                    if excluded(&rule.exclusions, v) || runtime.iter().any(|e| excluded(e, v)) {
                        values.remove(i);
                    } else {
                        i += 1;
                    }
                }
            }
            if target.count {
                let count = values.len() - start;
                values.truncate(start);
                values.push(Value {
                    var: target.var,
                    key: match &target.selector {
                        Selector::Key(k) => Cow::Borrowed(k.as_bytes()),
                        _ => Cow::Borrowed(b""),
                    },
                    value: match DIGITS.get(count) {
                        Some(digit) => Cow::Borrowed(digit.as_bytes()),
                        None => Cow::Owned(count.to_string().into_bytes()),
                    },
                });
            }
        }
        let mut sink = Vec::new();
        let mut candidates: SmallVec<[Transformed<'_>; 2]> = SmallVec::new();
        let mut operator = None;
        for v in &values {
            candidates.clear();
            let stable = matches!(v.value, Cow::Borrowed(_)) && v.var.is_request_data();
            if let Some(screen) = &rule.raw_screen
                && !screen.admits(v.value.len(), &cache.raw_bytes_of(&v.value, stable))
            {
                continue;
            }
            if rule.multi_match {
                // Every stage of the chain is tested: the raw value and each transformed one.
                candidates.push(Transformed::Borrowed(&v.value));
                for t in &rule.transformations {
                    if let Some(next) = candidates.last().and_then(|c| t.apply(c)) {
                        candidates.push(Transformed::Owned(next));
                    }
                }
            } else {
                candidates.push(cache.transform(rule, &v.value, stable));
            }
            let operator = operator.get_or_insert_with(|| self.link_operator(&rule.operator));
            for candidate in &candidates {
                let capture = rule.capture.then_some(&mut sink);
                let value: &[u8] = candidate;
                let found = match operator {
                    LinkOperator::Ready(o) => o.evaluate(value, capture),
                    LinkOperator::Compiled(o) => o.evaluate(value, capture),
                    LinkOperator::Invalid => Ok(false),
                };
                match found.map(|f| f != rule.operator.negated) {
                    Ok(true) => {
                        let captures =
                            (rule.capture && !sink.is_empty()).then(|| std::mem::take(&mut sink));
                        outcome.push(v, value, captures);
                        break;
                    }
                    Ok(false) => {}
                    Err(e) => outcome.errors.push(format!(
                        "rule {} ({}:{}): {e}",
                        top.id, rule.file, rule.line
                    )),
                }
            }
        }
    }

    /// Evaluates one link. For each matching value, in order, records `MATCHED_VAR*` and
    /// captures and runs the link's non-disruptive actions — once per matching value, as
    /// ModSecurity does (CRS counts repeated parameters this way, rule 921170).
    fn evaluate_link(
        &mut self,
        rule: &Rule,
        top: &Rule,
        scratch: &mut Scratch,
        probe_held: bool,
    ) -> bool {
        // The probe already tested the one value: only a capture, or a target that `ctl`
        // removed, needs the full path.
        if let Some(probe) = &rule.tx_probe
            && probe_held
            && !rule.capture
            && self.overrides.removed_targets.is_empty()
        {
            if !self.record_probed(probe) {
                return false;
            }
            for action in &rule.actions {
                self.run_action(action);
            }
            return true;
        }
        scratch.outcome.clear();
        self.match_link(rule, top, scratch);
        let outcome = &mut scratch.outcome;
        self.engine_errors.append(&mut outcome.errors);
        let matched = !outcome.matched.is_empty();
        for m in outcome.matched.iter_mut() {
            let name = &outcome.bytes[m.name.clone()];
            let value = &outcome.bytes[m.value.clone()];
            // MATCHED_VAR(_NAME) and MATCHED_VARS keep their buffers from match to match.
            self.vars.matched_var_name.clear();
            self.vars.matched_var_name.extend_from_slice(name);
            self.vars.matched_var.clear();
            self.vars.matched_var.extend_from_slice(value);
            self.vars.matched_vars.push(name, value);
            if let Some(captures) = m.captures.take() {
                // TX:0 to TX:9; the sink never holds more than ten.
                for (key, c) in DIGITS.iter().zip(captures) {
                    match self.vars.tx.get_mut(*key) {
                        Some(slot) => *slot = CollectionValue::from_vec(c),
                        None => {
                            self.vars
                                .tx
                                .insert(Arc::from(*key), CollectionValue::from_vec(c));
                        }
                    }
                }
            }
            for action in &rule.actions {
                self.run_action(action);
            }
        }
        matched
    }

    /// `probe_held`: the first link's [`Rule::tx_probe`] is known to hold.
    fn evaluate_rule(
        &mut self,
        rule: &Rule,
        phase: u8,
        index: usize,
        scratch: &mut Scratch,
        probe_held: bool,
    ) -> bool {
        self.vars.current_rule = Some(CurrentRule {
            phase,
            index,
            logdata: Vec::new(),
        });
        self.vars.matched_vars.clear();
        // Each link's non-disruptive actions run as soon as that link matches: CRS relies
        // on a starter's `setvar` being visible to the links after it.
        let mut link = rule;
        loop {
            let held = probe_held && std::ptr::eq(link, rule);
            if !self.evaluate_link(link, rule, scratch, held) {
                return false;
            }
            match link.chain.as_deref() {
                Some(next) => link = next,
                None => break,
            }
        }
        self.record_match(rule);
        true
    }

    fn record_match(&mut self, rule: &Rule) {
        if let Some(s) = rule.metadata.severity {
            let s = s as u8;
            self.vars.highest_severity = Some(self.vars.highest_severity.map_or(s, |h| h.min(s)));
        }
        if !rule.log && !rule.audit_log {
            return;
        }
        let msg = rule
            .metadata
            .msg
            .as_ref()
            .map(|m| self.expand(m).into_owned())
            .unwrap_or_default();
        let data = rule
            .metadata
            .logdata
            .as_ref()
            .map(|m| self.expand(m).into_owned())
            .unwrap_or_default();
        let tags = rule
            .metadata
            .tags
            .iter()
            .map(|t| self.expand(t).into_owned())
            .collect();
        if let Some(current) = &mut self.vars.current_rule {
            current.logdata = data.clone();
        }
        let m = RuleMatch {
            id: rule.id,
            phase: rule.phase,
            file: rule.file.to_string(),
            line: rule.line,
            msg,
            data,
            severity: rule.metadata.severity,
            ver: rule.metadata.ver.clone(),
            rev: rule.metadata.rev.clone(),
            maturity: rule.metadata.maturity,
            accuracy: rule.metadata.accuracy,
            tags,
            operator: rule.operator.name,
            operator_argument: rule.operator.argument.clone(),
            matched_var_name: self.vars.matched_var_name.clone(),
            matched_var: self.vars.matched_var.clone(),
            log: rule.log,
            audit_log: rule.audit_log,
            disruptive: false,
            hostname: self.request_host(),
            uri: self.req.uri.clone(),
            unique_id: self.id().to_string(),
        };
        self.matches.push(m);
    }

    fn request_host(&self) -> String {
        self.req
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(b"host"))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_else(|| self.req.server_ip.clone())
    }

    fn persistent_mut(&mut self, var: Var) -> Option<&mut crate::storage::PersistentCollection> {
        self.vars.persistent.iter_mut().find(|c| c.var == var)
    }

    fn run_action(&mut self, action: &RunAction) {
        match action {
            RunAction::SetVar {
                collection,
                key,
                stored_key,
                op,
                value,
            } => {
                let expanded;
                let key = match stored_key {
                    Some(k) => Cow::Borrowed(&**k),
                    None => {
                        expanded = self.expand(key);
                        collection_key(&expanded)
                    }
                };
                let current = |this: &Self| -> i64 {
                    let existing = match collection {
                        Var::Tx => this.vars.tx.get(&*key).map(|v| v.as_slice()),
                        Var::Env => this.vars.env.get(&*key).map(|v| v.as_slice()),
                        _ => this
                            .vars
                            .persistent
                            .iter()
                            .find(|c| c.var == *collection)
                            .and_then(|c| c.values.get(&*key).map(|(v, _)| v.as_slice())),
                    };
                    existing.map_or(0, crate::operators::parse_int)
                };
                // The new value, written into the variable's existing buffer when it has
                // one: CRS mostly updates variables it created (anomaly scores).
                let mut number = [0u8; 20];
                let set_to;
                let new_value: Option<&[u8]> = match op {
                    SetOp::Create => Some(b"1"),
                    SetOp::Set => {
                        set_to = self.expand(value);
                        Some(&set_to)
                    }
                    SetOp::Add | SetOp::Sub => {
                        let operand = self.expand_int(value);
                        let n = if *op == SetOp::Add {
                            current(self).saturating_add(operand)
                        } else {
                            current(self).saturating_sub(operand)
                        };
                        Some(format_int(&mut number, n))
                    }
                    SetOp::Delete => None,
                };
                match collection {
                    Var::Tx | Var::Env => {
                        let map = if *collection == Var::Tx {
                            &mut self.vars.tx
                        } else {
                            &mut self.vars.env
                        };
                        match new_value {
                            Some(v) => match map.get_mut(&*key) {
                                Some(slot) => {
                                    slot.clear();
                                    slot.extend_from_slice(v);
                                }
                                None => {
                                    let name = match stored_key {
                                        Some(k) => Arc::clone(k),
                                        None => Arc::from(key),
                                    };
                                    map.insert(name, CollectionValue::from_slice(v));
                                }
                            },
                            None => {
                                map.remove(&*key);
                            }
                        }
                    }
                    other => {
                        if let Some(c) = self.persistent_mut(*other) {
                            match new_value {
                                Some(v) => {
                                    let expiry = c.values.get(&*key).and_then(|(_, e)| *e);
                                    c.values.insert(key.into_owned(), (v.to_vec(), expiry));
                                }
                                None => {
                                    c.values.remove(&*key);
                                }
                            }
                        }
                    }
                }
            }
            RunAction::ExpireVar {
                collection,
                key,
                seconds,
            } => {
                let raw_key = self.expand(key);
                let key = collection_key(&raw_key);
                let seconds = crate::operators::parse_int(&self.expand(seconds));
                let at = self.now_micros() / 1_000_000 + seconds;
                if let Some(c) = self.persistent_mut(*collection)
                    && let Some((_, expiry)) = c.values.get_mut(&*key)
                {
                    *expiry = Some(at);
                }
            }
            RunAction::InitCol { collection, key } => {
                let key = self.expand(key).into_owned();
                self.load_collection(*collection, &key);
            }
            RunAction::SetEnv { name, value } => {
                let raw_name = self.expand(name);
                let name = collection_key(&raw_name).into_owned();
                let value = self.expand(value).into_owned();
                self.vars
                    .env
                    .insert(Arc::from(name), CollectionValue::from_vec(value));
            }
            RunAction::SetUid(m) => {
                let id = self.expand(m).into_owned();
                self.load_collection(Var::User, &id);
                self.vars.user_id = id;
            }
            RunAction::SetSid(m) => {
                let id = self.expand(m).into_owned();
                self.load_collection(Var::Session, &id);
                self.vars.session_id = id;
            }
            RunAction::SetRsc(m) => {
                let id = self.expand(m).into_owned();
                self.load_collection(Var::Resource, &id);
                self.vars.resource_id = id;
            }
            RunAction::Ctl(ctl) => self.run_ctl(ctl),
        }
    }

    fn run_ctl(&mut self, ctl: &CtlAction) {
        let o = &mut self.overrides;
        match ctl {
            CtlAction::RuleEngine(m) => o.engine = *m,
            CtlAction::RemoveById(r) => o.removed_ids.extend(r.iter().copied()),
            CtlAction::RemoveByTag(t) => o.removed_tags.push(t.clone()),
            CtlAction::RemoveByMsg(m) => o.removed_msgs.push(m.clone()),
            CtlAction::RemoveTargetById(r, e) => o
                .removed_targets
                .push((TargetRemoval::Ids(r.clone()), e.clone())),
            CtlAction::RemoveTargetByTag(t, e) => o
                .removed_targets
                .push((TargetRemoval::Tag(t.clone()), e.clone())),
            CtlAction::RemoveTargetByMsg(m, e) => o
                .removed_targets
                .push((TargetRemoval::Msg(m.clone()), e.clone())),
            CtlAction::RequestBodyAccess(b) => o.request_body_access = *b,
            CtlAction::RequestBodyProcessor(p) => o.body_processor = Some(p.clone()),
            CtlAction::RequestBodyLimit(n) => o.request_body_limit = *n,
            CtlAction::ResponseBodyAccess(b) => o.response_body_access = *b,
            CtlAction::ResponseBodyLimit(n) => o.response_body_limit = *n,
            CtlAction::ForceRequestBodyVariable(b) => o.force_request_body_variable = *b,
            CtlAction::AuditEngine(m) => o.audit_engine = *m,
            CtlAction::AuditLogParts(p) => {
                if let Some(add) = p.strip_prefix('+') {
                    for c in add.chars() {
                        if !o.audit_log_parts.contains(c) {
                            o.audit_log_parts.push(c);
                        }
                    }
                } else if let Some(remove) = p.strip_prefix('-') {
                    o.audit_log_parts.retain(|c| !remove.contains(c));
                } else {
                    o.audit_log_parts = p.clone();
                }
            }
        }
    }

    fn phase_allowed(&self, phase: u8) -> bool {
        match self.allowed {
            Allowed::No => true,
            Allowed::Phase(p) => p != phase,
            Allowed::Request => phase > 2,
            Allowed::All => phase == 5,
        }
    }

    /// Runs the rules of one phase.
    pub(crate) fn run_phase(&mut self, phase: u8) {
        if self.overrides.engine == EngineMode::Off {
            return;
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        self.run_rules(phase, &mut scratch);
        self.scratch = scratch;
    }

    fn run_rules(&mut self, phase: u8, scratch: &mut Scratch) {
        let rules = Arc::clone(self.rules_arc());
        let entries = &rules.phases[usize::from(phase - 1)];
        let gates = &rules.gates[usize::from(phase - 1)];
        let mut i = 0;
        let mut skip = 0u32;
        while i < entries.len() {
            if !self.phase_allowed(phase) || self.overrides.engine == EngineMode::Off {
                return;
            }
            let Entry::Rule(rule) = &entries[i] else {
                i += 1;
                continue;
            };
            if skip > 0 {
                skip -= 1;
                i += 1;
                continue;
            }
            // Most rules cannot match ordinary traffic: the summaries show it, read
            // through the phase's gates without touching the rule.
            if let Some((gate, needs)) = gates.get(i)
                && scratch.cache.gate_closed(self, gate, needs)
            {
                i += 1;
                continue;
            }
            let probe = self.probe(rule);
            if probe == Probe::Fails
                || self.rule_removed(rule)
                || !self.evaluate_rule(rule, phase, i, scratch, probe == Probe::Holds)
            {
                i += 1;
                continue;
            }
            self.disrupt(rule, phase);
            if self.intervention.is_some() && phase < 5 {
                return;
            }
            match rule.flow {
                Flow::None => {}
                Flow::Skip(n) => skip = n,
                Flow::SkipAfter(Some(j)) => {
                    i = j + 1;
                    continue;
                }
                Flow::SkipAfter(None) => return,
            }
            i += 1;
        }
    }

    /// A rule whose first link tests one TX variable, answered with one lookup instead of
    /// the bookkeeping of an evaluation (see [`Rule::tx_probe`]).
    #[inline]
    fn probe(&self, rule: &Rule) -> Probe {
        let (Some(probe), OperatorImpl::Ready(op)) =
            (&rule.tx_probe, &rule.operator.implementation)
        else {
            return Probe::NotOne;
        };
        let value = self.vars.tx.get(probe.key.as_str());
        let input: &[u8] = match (probe.count, value) {
            (true, Some(_)) => b"1",
            (true, None) => b"0",
            (false, Some(v)) => v,
            // No value, no match, even negated.
            (false, None) => return Probe::Fails,
        };
        // Operators have no effects: testing without a capture sink gives the same answer.
        match op.evaluate(input, None) {
            Ok(found) if found != rule.operator.negated => Probe::Holds,
            Ok(_) => Probe::Fails,
            // The full evaluation reports the error.
            Err(_) => Probe::NotOne,
        }
    }

    /// Records the one value of a link whose probe held as its match (`MATCHED_VAR*`), as
    /// the full path would; false if there is none after all.
    fn record_probed(&mut self, probe: &TxProbe) -> bool {
        let vars = &mut self.vars;
        let entry = vars.tx.get_key_value(probe.key.as_str());
        let (key, value): (&[u8], &[u8]) = match (probe.count, entry) {
            (true, Some(_)) => (probe.key.as_bytes(), b"1"),
            (true, None) => (probe.key.as_bytes(), b"0"),
            (false, Some((k, v))) => (k.as_bytes(), v),
            (false, None) => return false,
        };
        let name = &mut vars.matched_var_name;
        name.clear();
        Value {
            var: Var::Tx,
            key: Cow::Borrowed(key),
            value: Cow::Borrowed(b""),
        }
        .write_full_name(name);
        vars.matched_var.clear();
        vars.matched_var.extend_from_slice(value);
        vars.matched_vars
            .push(&vars.matched_var_name, &vars.matched_var);
        true
    }

    fn disrupt(&mut self, rule: &Rule, phase: u8) {
        let action = match &rule.disruptive {
            Disruptive::Pass => return,
            Disruptive::Allow(scope) => {
                self.allowed = match scope {
                    AllowScope::All => Allowed::All,
                    AllowScope::Request => Allowed::Request,
                    AllowScope::Phase => Allowed::Phase(phase),
                };
                return;
            }
            Disruptive::Deny => InterventionAction::Deny,
            Disruptive::Drop => InterventionAction::Drop,
            Disruptive::Redirect(_) => InterventionAction::Redirect,
            Disruptive::Proxy(_) => InterventionAction::Proxy,
            Disruptive::Pause => InterventionAction::Pause,
        };
        if let Some(m) = self.matches.last_mut().filter(|m| m.id == rule.id) {
            m.disruptive = true;
        }
        if self.overrides.engine != EngineMode::On || phase == 5 {
            return;
        }
        let redirect = match &rule.disruptive {
            Disruptive::Redirect(m) | Disruptive::Proxy(m) => {
                Some(String::from_utf8_lossy(&self.expand(m)).into_owned())
            }
            _ => None,
        };
        let status = rule.status.unwrap_or(match action {
            InterventionAction::Redirect => 302,
            _ => 403,
        });
        let log = self
            .matches
            .last()
            .filter(|m| m.id == rule.id)
            .map(|m| m.error_log_line(Some((status, phase))))
            .unwrap_or_default();
        self.intervention = Some(Intervention {
            status,
            action,
            rule_id: rule.id,
            phase,
            redirect,
            log,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_format_like_to_string() {
        for n in [0, 7, -7, 10, 1234567890, i64::MAX, i64::MIN, -1] {
            let mut buf = [0u8; 20];
            assert_eq!(format_int(&mut buf, n), n.to_string().as_bytes());
        }
    }
}
