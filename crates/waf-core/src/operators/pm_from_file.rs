//! `@pmFromFile FILES` (alias `@pmf`): `@pm` with phrases read from data files, one per
//! line; blank lines and lines starting with `#` are ignored.
//!
//! ```text
//! SecRule REQUEST_FILENAME "@pmFromFile restricted-files.data" "id:1,phase:1,deny"
//! ```
//! Files are read through the caller's loader when the rules load, never per request.

use super::pm::PhraseMatch;
use super::{CompileContext, Operator};

pub fn compile(arg: &str, ctx: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    let mut phrases = Vec::new();
    for file in arg.split_ascii_whitespace() {
        let text = (ctx.read_data)(file)?;
        phrases.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string),
        );
    }
    if phrases.is_empty() {
        return Err(format!("@pmFromFile: no phrases in `{arg}`"));
    }
    Ok(Box::new(PhraseMatch::new(&phrases)?))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::matches;
    use super::*;
    use crate::regex::RegexConfig;

    #[test]
    fn reads_phrases_skipping_comments() {
        let mut files = |name: &str| match name {
            "a.data" => Ok("# comment\n\n.htaccess\r\nweb.config\n".to_string()),
            _ => Err(format!("no {name}")),
        };
        let config = RegexConfig::default();
        let mut ctx = CompileContext {
            read_data: &mut files,
            regex: &config,
        };
        let op = compile("a.data", &mut ctx).unwrap();
        assert!(matches(op.as_ref(), "/x/.HTACCESS"));
        assert!(matches(op.as_ref(), "/web.config"));
        assert!(!matches(op.as_ref(), "comment"));
        assert!(
            compile("missing.data", &mut ctx)
                .unwrap_err()
                .contains("no missing.data")
        );
    }
}
