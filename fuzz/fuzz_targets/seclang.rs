//! The parser must survive any text: errors are fine, panics are not. Also checks that
//! whatever parses prints back to text that parses to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let out = waf_seclang::parse_str("fuzz.conf", &text);
    for d in &out.ast.directives {
        let printed = d.node.to_string();
        let again = waf_seclang::parse_str("printed.conf", &printed);
        assert!(again.errors.is_empty(), "reprint of {printed:?} failed: {:?}", again.errors);
        assert_eq!(again.ast.directives.len(), 1, "{printed:?}");
        assert_eq!(again.ast.directives[0].node, d.node, "{printed:?}");
    }
});
