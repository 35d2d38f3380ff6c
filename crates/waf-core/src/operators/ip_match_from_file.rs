//! `@ipMatchFromFile FILE` (alias `@ipMatchF`): `@ipMatch` with the addresses read from a
//! data file, one per line; blank lines and `#` comments are ignored.
//!
//! ```text
//! SecRule REMOTE_ADDR "@ipMatchFromFile trusted.data" "id:1,phase:1,allow"
//! ```

use super::ip_match::{IpMatch, Network};
use super::{CompileContext, Operator};

pub fn compile(arg: &str, ctx: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    let text = (ctx.read_data)(arg.trim())?;
    let networks = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(Network::parse)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Box::new(IpMatch(networks)))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::matches;
    use super::*;
    use crate::regex::RegexConfig;

    #[test]
    fn reads_networks() {
        let mut files = |_: &str| Ok("# x\n192.168.0.0/16\n\n::1\n".to_string());
        let config = RegexConfig::default();
        let mut ctx = CompileContext {
            read_data: &mut files,
            regex: &config,
        };
        let op = compile("ips.data", &mut ctx).unwrap();
        assert!(matches(op.as_ref(), "192.168.4.4"));
        assert!(matches(op.as_ref(), "::1"));
        assert!(!matches(op.as_ref(), "10.0.0.1"));
    }
}
