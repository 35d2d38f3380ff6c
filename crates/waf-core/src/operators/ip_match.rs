//! `@ipMatch LIST`: true when the value is an IPv4 or IPv6 address inside one of the
//! comma-separated addresses or CIDR ranges of the argument.
//!
//! ```text
//! SecRule REMOTE_ADDR "@ipMatch 127.0.0.1,10.0.0.0/8,::1" "id:1,phase:1,allow"
//! ```

use std::net::IpAddr;

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};

/// A parsed network: address bits and prefix length, IPv4 kept apart from IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Network {
    V4(u32, u8),
    V6(u128, u8),
}

impl Network {
    pub(super) fn parse(text: &str) -> Result<Network, String> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let ip: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or CIDR range"))?;
        let bad_prefix = || format!("`{text}` has a bad prefix length");
        match ip {
            IpAddr::V4(v4) => {
                let len =
                    prefix.map_or(Ok(32), |p| p.trim().parse::<u8>().map_err(|_| bad_prefix()))?;
                if len > 32 {
                    return Err(bad_prefix());
                }
                Ok(Network::V4(u32::from(v4), len))
            }
            IpAddr::V6(v6) => {
                let len = prefix.map_or(Ok(128), |p| {
                    p.trim().parse::<u8>().map_err(|_| bad_prefix())
                })?;
                if len > 128 {
                    return Err(bad_prefix());
                }
                Ok(Network::V6(u128::from(v6), len))
            }
        }
    }

    pub(super) fn contains(&self, ip: IpAddr) -> bool {
        match (*self, ip) {
            (Network::V4(net, len), IpAddr::V4(a)) => {
                let mask = if len == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(len))
                };
                u32::from(a) & mask == net & mask
            }
            (Network::V6(net, len), IpAddr::V6(a)) => {
                let mask = if len == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(len))
                };
                u128::from(a) & mask == net & mask
            }
            _ => false,
        }
    }
}

#[derive(Debug)]
pub(super) struct IpMatch(pub(super) Vec<Network>);

pub fn compile(arg: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    let networks = arg
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Network::parse)
        .collect::<Result<Vec<_>, _>>()?;
    if networks.is_empty() {
        return Err("@ipMatch needs at least one address".into());
    }
    Ok(Box::new(IpMatch(networks)))
}

impl Operator for IpMatch {
    fn evaluate(
        &self,
        input: &[u8],
        capture: Option<&mut CaptureSink>,
    ) -> Result<bool, OperatorError> {
        let Some(ip) = std::str::from_utf8(input)
            .ok()
            .and_then(|s| s.trim().parse::<IpAddr>().ok())
        else {
            return Ok(false);
        };
        let found = self.0.iter().any(|n| n.contains(ip));
        if found {
            capture_whole(capture, input);
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn v4_v6_and_cidr() {
        let op = build(super::compile, "127.0.0.1, 10.0.0.0/8,2001:db8::/32");
        assert!(matches(op.as_ref(), "127.0.0.1"));
        assert!(matches(op.as_ref(), "10.200.3.4"));
        assert!(!matches(op.as_ref(), "11.0.0.1"));
        assert!(matches(op.as_ref(), "2001:db8::1"));
        assert!(!matches(op.as_ref(), "2001:db9::1"));
        assert!(!matches(op.as_ref(), "not an ip"));
        assert!(matches(
            build(super::compile, "0.0.0.0/0").as_ref(),
            "8.8.8.8"
        ));
        assert!(try_build(super::compile, "1.2.3.4/33").is_err());
        assert!(try_build(super::compile, "x").is_err());
    }
}
