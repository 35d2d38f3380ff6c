//! Property tests over every transformation: no panic on any bytes, the
//! `None`-means-unchanged contract, idempotence where it holds, round trips
//! and length bounds.

use super::{Transformation, apply_chain, lookup};
use proptest::prelude::*;

/// Bytes biased towards the characters the decoders care about, so that
/// escapes actually occur.
fn interesting_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => any::<u8>(),
        6 => prop::sample::select(&b"%uU+&#;xX\\/.*-<!>=0123456789abcdefABCDEF \t\r\n\x00\xa0\xc2\xff"[..]),
    ];
    prop::collection::vec(byte, 0..64)
}

fn out(t: Transformation, input: &[u8]) -> Vec<u8> {
    t.apply(input).unwrap_or_else(|| input.to_vec())
}

fn tf(name: &str) -> Transformation {
    lookup(name).expect("known transformation")
}

proptest! {
    // No regression files: they would land outside this module's directory.
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_panic_and_some_means_changed(input in interesting_bytes()) {
        for t in Transformation::all() {
            if let Some(v) = t.apply(&input) {
                prop_assert_ne!(&v[..], &input[..], "{} returned Some(unchanged)", t);
            }
        }
    }

    #[test]
    fn no_panic_on_arbitrary_bytes(input in prop::collection::vec(any::<u8>(), 0..256)) {
        for t in Transformation::all() {
            let _ = t.apply(&input);
        }
    }

    #[test]
    fn idempotent_where_it_holds(input in interesting_bytes()) {
        for name in [
            "lowercase", "uppercase", "removeNulls", "replaceNulls", "removeWhitespace",
            "compressWhitespace", "trim", "trimLeft", "trimRight", "normalisePath",
            "normalisePathWin", "parityZero7bit",
            "cmdLine", "replaceComments",
        ] {
            let t = tf(name);
            let once = out(t, &input);
            prop_assert_eq!(t.apply(&once), None, "{} is not idempotent", name);
        }
    }

    /// ModSecurity's even/odd parity reads the input's own top bit, so applying
    /// it twice flips that bit back: it is an involution on changed bytes.
    #[test]
    fn parity_even_odd_are_not_idempotent_but_stable_on_7bit(input in interesting_bytes()) {
        let seven: Vec<u8> = input.iter().map(|b| b & 0x7f).collect();
        for name in ["parityEven7bit", "parityOdd7bit"] {
            let t = tf(name);
            let once = out(t, &seven);
            prop_assert_eq!(out(tf("parityZero7bit"), &once), seven.clone(), "{}", name);
        }
    }

    #[test]
    fn encoders_round_trip(input in prop::collection::vec(any::<u8>(), 0..128)) {
        let pairs = [
            ("hexEncode", "hexDecode"),
            ("base64Encode", "base64Decode"),
            ("base64Encode", "base64DecodeExt"),
            ("urlEncode", "urlDecode"),
            ("urlEncode", "urlDecodeUni"),
        ];
        for (enc, dec) in pairs {
            let encoded = out(tf(enc), &input);
            prop_assert_eq!(out(tf(dec), &encoded), input.clone(), "{} then {}", enc, dec);
        }
    }

    #[test]
    fn decoders_never_grow(input in interesting_bytes()) {
        for name in [
            "urlDecode", "urlDecodeUni", "htmlEntityDecode", "jsDecode", "cssDecode",
            "escapeSeqDecode", "hexDecode", "sqlHexDecode", "base64Decode", "base64DecodeExt",
            "removeNulls", "removeWhitespace", "compressWhitespace", "trim", "cmdLine",
            "removeCommentsChar", "normalisePath", "normalisePathWin",
        ] {
            let v = out(tf(name), &input);
            prop_assert!(v.len() <= input.len(), "{} grew {:?} to {:?}", name, input, v);
        }
    }

    #[test]
    fn fixed_size_outputs(input in prop::collection::vec(any::<u8>(), 0..128)) {
        prop_assert_eq!(out(tf("md5"), &input).len(), 16);
        prop_assert_eq!(out(tf("sha1"), &input).len(), 20);
        prop_assert_eq!(out(tf("length"), &input), input.len().to_string().into_bytes());
        prop_assert_eq!(out(tf("hexEncode"), &input).len(), input.len() * 2);
    }

    #[test]
    fn chain_after_none_equals_plain_chain(input in interesting_bytes()) {
        use Transformation as T;
        let with_reset = apply_chain(&[T::Md5, T::None, T::UrlDecodeUni, T::Lowercase], &input);
        let plain = apply_chain(&[T::UrlDecodeUni, T::Lowercase], &input);
        prop_assert_eq!(with_reset, plain);
    }

    #[test]
    fn provenance_holds(input in interesting_bytes()) {
        let present = crate::byteset::ByteSet::of(&input);
        for t in Transformation::all() {
            let output = out(t, &input);
            let p = t.provenance();
            if !p.lengthens() {
                prop_assert!(output.len() <= input.len(), "{} lengthened {:?}", t, input);
            }
            for &b in &output {
                if let Some(origins) = p.origins(b) {
                    prop_assert!(
                        origins.intersects(&present),
                        "{}: output byte {:#04x} from {:?} has no origin in the input", t, b, input
                    );
                }
            }
        }
    }
}
