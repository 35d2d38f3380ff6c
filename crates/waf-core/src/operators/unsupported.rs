//! Operators of the SecLang vocabulary this engine deliberately does not run: they need
//! DNS (`@rbl`), databases (`@geoLookup`, `@gsbLookup`), files or programs at request time
//! (`@inspectFile`, `@fuzzyHash`, `@validateDTD`, `@validateSchema`), or are rarely used
//! (`@rsub`, `@validateHash`, `@verifyCPF`, `@verifySSN`, `@verifySVNR`).
//!
//! A rule that uses one loads, with a warning from the compiler, so that whole rule sets
//! such as CRS 3.3 (whose 910/911 rules mention `@rbl` and `@geoLookup` behind settings
//! that are off by default) still load. Evaluating it is an engine error every time: the
//! rule never matches silently.

use super::{CaptureSink, CompileContext, Operator, OperatorError};

pub const NAMES: &[&str] = &[
    "fuzzyHash",
    "geoLookup",
    "gsbLookup",
    "inspectFile",
    "rbl",
    "rsub",
    "validateDTD",
    "validateHash",
    "validateSchema",
    "verifyCPF",
    "verifySSN",
    "verifySVNR",
];

#[derive(Debug)]
struct Unsupported(&'static str);

impl Operator for Unsupported {
    fn evaluate(&self, _: &[u8], _: Option<&mut CaptureSink>) -> Result<bool, OperatorError> {
        Err(OperatorError::Unsupported(self.0))
    }
}

macro_rules! unsupported {
    ($($fn_name:ident => $name:literal),* $(,)?) => {$(
        pub fn $fn_name(_: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
            Ok(Box::new(Unsupported($name)))
        }
    )*};
}

unsupported! {
    compile_fuzzy_hash => "fuzzyHash",
    compile_geo_lookup => "geoLookup",
    compile_gsb_lookup => "gsbLookup",
    compile_inspect_file => "inspectFile",
    compile_rbl => "rbl",
    compile_rsub => "rsub",
    compile_validate_dtd => "validateDTD",
    compile_validate_hash => "validateHash",
    compile_validate_schema => "validateSchema",
    compile_verify_cpf => "verifyCPF",
    compile_verify_ssn => "verifySSN",
    compile_verify_svnr => "verifySVNR",
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn evaluation_is_an_error_never_a_silent_miss() {
        let op = build(compile_rbl, "sbl.spamhaus.org");
        assert_eq!(
            op.evaluate(b"1.2.3.4", None),
            Err(OperatorError::Unsupported("rbl"))
        );
        for name in NAMES {
            assert!(super::super::lookup(name).is_some());
        }
    }
}
