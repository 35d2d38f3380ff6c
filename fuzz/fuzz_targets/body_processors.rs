//! Every request parser in `waf_core::body` must survive any bytes: errors and
//! flags are fine, panics are not, and outputs must respect the limits.
//!
//! The first byte picks the parser and a few limits, so one corpus covers all
//! of them. For multipart, the input up to the first `\n` is the Content-Type
//! (a fixed valid one is used when that line is empty).
#![no_main]

use libfuzzer_sys::fuzz_target;
use waf_core::body::{
    BodyLimits, parse_cookies, parse_json, parse_multipart, parse_urlencoded, parse_xml,
};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let limits = BodyLimits {
        max_args: usize::from(selector >> 4) * 3,
        max_depth: usize::from(selector >> 4) + 1,
        max_parts: usize::from(selector >> 4) + 1,
        max_files: usize::from(selector >> 6),
        max_file_content: usize::from(selector >> 3) * 7,
    };
    match selector % 5 {
        0 => {
            let out = parse_urlencoded(rest, b'&', &limits);
            assert!(out.args.len() <= limits.max_args);
        }
        1 => {
            let out = parse_cookies(rest, &limits);
            assert!(out.args.len() <= limits.max_args);
        }
        2 => {
            let (content_type, body) = match rest.iter().position(|&b| b == b'\n') {
                Some(0) => (&b"multipart/form-data; boundary=XyZ"[..], &rest[1..]),
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (&b"multipart/form-data; boundary=XyZ"[..], rest),
            };
            let out = parse_multipart(content_type, body, &limits);
            assert!(out.fields.len() <= limits.max_args);
            for file in &out.files {
                assert!(file.content.len() <= limits.max_file_content);
                assert!(file.content.len() as u64 <= file.size);
            }
        }
        3 => {
            let out = parse_json(rest, &limits);
            assert!(out.args.len() <= limits.max_args);
        }
        _ => {
            let out = parse_xml(rest, &limits);
            assert!(out.root_text.len() <= rest.len());
        }
    }
});
