//! Operators: the test a rule applies to each (transformed) value.
//!
//! Each operator lives in its own file with its SecLang documentation and tests, and is
//! registered once in [`OPERATORS`]. An operator is compiled when rules load — regexes,
//! Aho-Corasick automata, IP tables and data files are all prepared then — and evaluated
//! many times. Arguments that contain macros (`@ge %{tx.threshold}`) are expanded and
//! compiled at evaluation time by the rule engine, with the same compile function.

use std::fmt::Debug;

use crate::regex::{RegexConfig, Screen};

mod begins_with;
mod contains;
mod contains_word;
mod detect_sqli;
mod detect_xss;
mod ends_with;
mod ip_match;
mod ip_match_from_file;
mod no_match;
mod numeric;
mod pm;
mod pm_from_file;
mod rx;
mod streq;
mod strmatch;
mod unconditional_match;
mod unsupported;
mod validate_byte_range;
mod validate_url_encoding;
mod validate_utf8_encoding;
mod verify_cc;
mod within;

pub use numeric::parse_int;
pub(crate) use unconditional_match::UnconditionalMatch as UnconditionalMatchOp;

/// Why an evaluation could not give an answer. The rule does not match, and the engine
/// records the error (as ModSecurity does with `MSC_PCRE_LIMITS_EXCEEDED`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OperatorError {
    #[error("regular expression gave up after {limit} backtracking steps")]
    RegexLimit { limit: usize },
    #[error("operator @{0} is not supported by this engine")]
    Unsupported(&'static str),
}

/// What an operator can produce besides its verdict: the strings `capture` copies into
/// `TX:0`..`TX:9`.
pub type CaptureSink = Vec<Vec<u8>>;

pub trait Operator: Send + Sync + Debug {
    /// Tests one value. When `capture` is given, a match writes group 0 (the whole match)
    /// and further groups into it.
    fn evaluate(
        &self,
        input: &[u8],
        capture: Option<&mut CaptureSink>,
    ) -> Result<bool, OperatorError>;

    /// A necessary condition for [`Operator::evaluate`] to return true, if the operator
    /// has a cheap one. The engine skips the evaluation for values the screen rejects.
    fn screen(&self) -> Option<&Screen> {
        None
    }
}

/// What compiling an operator may need from the outside world.
pub struct CompileContext<'a> {
    /// Reads a data file named in a rule (relative to the rule's file).
    pub read_data: &'a mut dyn FnMut(&str) -> Result<String, String>,
    pub regex: &'a RegexConfig,
}

/// Turns an operator argument into a ready operator, or says what is wrong with it.
pub type CompileFn = fn(&str, &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String>;

/// The registry: SecLang name (as canonicalised by the parser) → compile function.
pub static OPERATORS: &[(&str, CompileFn)] = &[
    ("beginsWith", begins_with::compile),
    ("contains", contains::compile),
    ("containsWord", contains_word::compile),
    ("detectSQLi", detect_sqli::compile),
    ("detectXSS", detect_xss::compile),
    ("endsWith", ends_with::compile),
    ("eq", numeric::compile_eq),
    ("ge", numeric::compile_ge),
    ("gt", numeric::compile_gt),
    ("le", numeric::compile_le),
    ("lt", numeric::compile_lt),
    ("ipMatch", ip_match::compile),
    ("ipMatchF", ip_match_from_file::compile),
    ("ipMatchFromFile", ip_match_from_file::compile),
    ("noMatch", no_match::compile),
    ("pm", pm::compile),
    ("pmf", pm_from_file::compile),
    ("pmFromFile", pm_from_file::compile),
    ("rx", rx::compile),
    ("streq", streq::compile),
    ("strmatch", strmatch::compile),
    ("unconditionalMatch", unconditional_match::compile),
    ("validateByteRange", validate_byte_range::compile),
    ("validateUrlEncoding", validate_url_encoding::compile),
    ("validateUtf8Encoding", validate_utf8_encoding::compile),
    ("verifyCC", verify_cc::compile),
    ("within", within::compile),
    // Known to SecLang, deliberately not implemented: they need network access, files at
    // request time or databases. Rules using them load (with a warning) and raise an
    // engine error each time they are evaluated, so nothing silently passes.
    ("fuzzyHash", unsupported::compile_fuzzy_hash),
    ("geoLookup", unsupported::compile_geo_lookup),
    ("gsbLookup", unsupported::compile_gsb_lookup),
    ("inspectFile", unsupported::compile_inspect_file),
    ("rbl", unsupported::compile_rbl),
    ("rsub", unsupported::compile_rsub),
    ("rxGlobal", rx::compile),
    ("validateDTD", unsupported::compile_validate_dtd),
    ("validateHash", unsupported::compile_validate_hash),
    ("validateSchema", unsupported::compile_validate_schema),
    ("verifyCPF", unsupported::compile_verify_cpf),
    ("verifySSN", unsupported::compile_verify_ssn),
    ("verifySVNR", unsupported::compile_verify_svnr),
];

/// Finds an operator's compile function by its canonical name.
pub fn lookup(name: &str) -> Option<CompileFn> {
    OPERATORS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Whether an operator is one of the deliberately unsupported ones.
pub fn is_unsupported(name: &str) -> bool {
    unsupported::NAMES.contains(&name)
}

/// Writes a whole-match capture.
pub(crate) fn capture_whole(capture: Option<&mut CaptureSink>, matched: &[u8]) {
    if let Some(sink) = capture {
        sink.clear();
        sink.push(matched.to_vec());
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// Compiles with no data files and the default regex settings.
    pub fn build(f: CompileFn, arg: &str) -> Box<dyn Operator> {
        try_build(f, arg).unwrap()
    }

    pub fn try_build(f: CompileFn, arg: &str) -> Result<Box<dyn Operator>, String> {
        let mut no_files = |name: &str| Err(format!("no data file {name}"));
        let config = RegexConfig::default();
        let mut ctx = CompileContext {
            read_data: &mut no_files,
            regex: &config,
        };
        f(arg, &mut ctx)
    }

    pub fn matches(op: &dyn Operator, input: &str) -> bool {
        op.evaluate(input.as_bytes(), None).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parser_operator_is_registered() {
        for name in waf_seclang::OPERATOR_NAMES {
            assert!(lookup(name).is_some(), "@{name} is not registered");
        }
        assert_eq!(OPERATORS.len(), waf_seclang::OPERATOR_NAMES.len());
    }
}

/// Every operator that states a screen, built from a few arguments: a value it matches
/// must pass its screen (the screen only saves work, never changes an answer).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod screen_tests {
    use super::test_support::*;
    use crate::byteset::ByteSet;
    use proptest::prelude::*;

    fn operators() -> Vec<Box<dyn super::Operator>> {
        let cases: [(&str, &str); 12] = [
            ("contains", "a%"),
            ("contains", "b"),
            ("streq", "ab"),
            ("beginsWith", "a\u{0}"),
            ("endsWith", "%c"),
            ("validateByteRange", "1-255"),
            ("validateByteRange", "32-126"),
            ("validateByteRange", "9,10,13,32-126"),
            ("validateByteRange", "0-255"),
            ("validateUtf8Encoding", ""),
            ("validateUrlEncoding", ""),
            ("detectXSS", ""),
        ];
        cases
            .iter()
            .map(|(name, arg)| build(super::lookup(name).unwrap(), arg))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 5000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn screens_admit_every_match(
            input in prop::collection::vec(
                prop::sample::select(vec![b'a', b'b', b'c', b'%', b'0', b'f', 0, 9, 31, 127, 0x80, 0xc3, 0xa9, 0xff]),
                0..8,
            ),
        ) {
            for op in operators() {
                if let (Some(screen), Ok(true)) = (op.screen(), op.evaluate(&input, None)) {
                    prop_assert!(screen.admits(input.len(), &ByteSet::of(&input)), "{op:?} {input:?}");
                }
            }
        }
    }
}
