//! `waf detect sqli|xss`: run libinjection-compatible detection over one input per line.
//!
//! Lines are URL-encoded by default, as in libinjection's sample files: `%XX` becomes the
//! byte (a `%` not followed by two hex digits, or in the last two bytes, stays as it is) and
//! `+` becomes a space. `--raw` takes lines as they are. The trailing `\n` (and a `\r`
//! before it) is not part of the input. Output is exactly one line per input:
//! `sqli <fingerprint>`, `xss` or `none`.

use std::io::{self, BufRead, BufWriter, Write};
use std::process::ExitCode;

/// Arguments of `waf detect`.
#[derive(clap::Args)]
pub struct DetectArgs {
    /// Which detector to run.
    #[arg(value_enum)]
    pub kind: DetectKind,
    /// Take lines as raw bytes instead of URL-decoding them.
    #[arg(long)]
    pub raw: bool,
}

/// The detectors.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetectKind {
    /// SQL injection (prints the fingerprint).
    Sqli,
    /// Cross-site scripting.
    Xss,
}

/// Reads stdin, writes one verdict per line to stdout.
pub fn run(args: DetectArgs) -> anyhow::Result<ExitCode> {
    let stdin = io::stdin().lock();
    let stdout = BufWriter::new(io::stdout().lock());
    detect_lines(args.kind, args.raw, stdin, stdout)?;
    Ok(ExitCode::SUCCESS)
}

/// The loop of `run`, over any reader and writer.
pub fn detect_lines(
    kind: DetectKind,
    raw: bool,
    mut input: impl BufRead,
    mut out: impl Write,
) -> io::Result<()> {
    let mut line = Vec::new();
    let mut decoded = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let mut text = line.strip_suffix(b"\n").unwrap_or(&line);
        text = text.strip_suffix(b"\r").unwrap_or(text);
        let bytes = if raw {
            text
        } else {
            url_decode(text, &mut decoded);
            &decoded
        };
        match kind {
            DetectKind::Sqli => match waf_libinjection::detect_sqli(bytes) {
                Some(fp) => writeln!(out, "sqli {fp}")?,
                None => writeln!(out, "none")?,
            },
            DetectKind::Xss => writeln!(
                out,
                "{}",
                if waf_libinjection::detect_xss(bytes) {
                    "xss"
                } else {
                    "none"
                }
            )?,
        }
    }
    out.flush()
}

/// URL decoding as libinjection's sample reader does it (`+` is a space; `%XX` only with two
/// hex digits, and never in the last two bytes).
fn url_decode(s: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => {
                if let (Some(h), Some(l)) = (hex(s[i + 1]), hex(s[i + 2])) {
                    // Two hex digits are below 256.
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b => out.push(b),
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_on(kind: DetectKind, raw: bool, input: &[u8]) -> String {
        let mut out = Vec::new();
        detect_lines(kind, raw, input, &mut out).expect("in-memory io");
        String::from_utf8(out).expect("ascii output")
    }

    #[test]
    fn one_verdict_per_line() {
        let input = b"1%27+OR+%271%27%3D%271\nhello\n\n1 union select 1\n";
        assert_eq!(
            run_on(DetectKind::Sqli, false, input),
            "sqli s&sos\nnone\nnone\nsqli 1UE1\n"
        );
        assert_eq!(
            run_on(DetectKind::Xss, false, b"%3Cscript%3E\r\nfoo"),
            "xss\nnone\n"
        );
    }

    #[test]
    fn raw_lines_are_not_decoded() {
        assert_eq!(
            run_on(DetectKind::Xss, true, b"%3Cscript%3E\n<script>\n"),
            "none\nxss\n"
        );
    }

    #[test]
    fn url_decoding_matches_libinjections_reader() {
        let mut out = Vec::new();
        for (input, want) in [
            (&b"a+b%20c"[..], &b"a b c"[..]),
            (b"%zz%4", b"%zz%4"),
            (b"%41%4", b"A%4"),
            (b"%%41", b"%A"),
            (b"%00x", b"\0x"),
            (b"%ff", b"\xff"),
            (b"%4", b"%4"),
        ] {
            url_decode(input, &mut out);
            assert_eq!(out, want, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn malformed_input_gives_a_verdict_not_a_panic() {
        let input: &[u8] = b"\xff\xfe%\0\x80'\"`<\n%%%\n";
        assert_eq!(run_on(DetectKind::Sqli, true, input).lines().count(), 2);
        assert_eq!(run_on(DetectKind::Xss, false, input).lines().count(), 2);
    }
}
