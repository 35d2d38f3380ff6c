//! IPv4/IPv6 prefixes (`10.0.0.0/8`, `2001:db8::/32`) and an allowlist built from them.
//!
//! A [`Cidr`] is always stored in canonical form: host bits are zero, so two
//! spellings of the same network compare equal and hash the same.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ParseCidrError;

/// An IPv4 or IPv6 network prefix with zeroed host bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    addr: IpAddr,
    len: u8,
}

fn mask_v4(a: Ipv4Addr, len: u8) -> Ipv4Addr {
    let bits = u32::from(a);
    let mask = if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    };
    Ipv4Addr::from(bits & mask)
}

fn mask_v6(a: Ipv6Addr, len: u8) -> Ipv6Addr {
    let bits = u128::from(a);
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    };
    Ipv6Addr::from(bits & mask)
}

/// Maps `::ffff:a.b.c.d` to the IPv4 address; everything else unchanged.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

impl Cidr {
    /// Builds a prefix, zeroing host bits. `None` when `len` is too long for the family.
    pub fn new(addr: IpAddr, len: u8) -> Option<Cidr> {
        match addr {
            IpAddr::V4(a) if len <= 32 => Some(Cidr {
                addr: IpAddr::V4(mask_v4(a, len)),
                len,
            }),
            IpAddr::V6(a) if len <= 128 => Some(Cidr {
                addr: IpAddr::V6(mask_v6(a, len)),
                len,
            }),
            _ => None,
        }
    }

    /// The single-address prefix (`/32` or `/128`).
    pub fn host(addr: IpAddr) -> Cidr {
        let addr = canonical_ip(addr);
        let len = if addr.is_ipv4() { 32 } else { 128 };
        Cidr { addr, len }
    }

    /// Network address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// Prefix length.
    pub fn prefix_len(&self) -> u8 {
        self.len
    }

    /// True when this prefix is a single address.
    pub fn is_host(&self) -> bool {
        self.len == self.max_len()
    }

    /// 32 for IPv4, 128 for IPv6.
    pub fn max_len(&self) -> u8 {
        if self.addr.is_ipv4() { 32 } else { 128 }
    }

    /// True when `ip` lies inside this prefix (IPv4-mapped IPv6 counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical_ip(ip)) {
            (IpAddr::V4(net), IpAddr::V4(a)) => mask_v4(a, self.len) == net,
            (IpAddr::V6(net), IpAddr::V6(a)) => mask_v6(a, self.len) == net,
            _ => false,
        }
    }

    /// True when every address of `other` is inside `self`.
    pub fn covers(&self, other: &Cidr) -> bool {
        other.len >= self.len && self.contains(other.addr)
    }

    /// True when the two prefixes share at least one address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.covers(other) || other.covers(self)
    }

    /// The enclosing prefix of length `len` (or `self` when already shorter).
    pub fn supernet(&self, len: u8) -> Cidr {
        if len >= self.len {
            return *self;
        }
        // `len < self.len <= max_len`, so `new` cannot fail.
        Cidr::new(self.addr, len).unwrap_or(*self)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl FromStr for Cidr {
    type Err = ParseCidrError;

    fn from_str(s: &str) -> Result<Cidr, ParseCidrError> {
        let s = s.trim();
        let err = || ParseCidrError {
            input: s.to_string(),
        };
        let (ip, len) = match s.split_once('/') {
            Some((ip, len)) => {
                let ip: IpAddr = ip.parse().map_err(|_| err())?;
                let len: u8 = len.parse().map_err(|_| err())?;
                (ip, Some(len))
            }
            None => (s.parse::<IpAddr>().map_err(|_| err())?, None),
        };
        match len {
            Some(len) => Cidr::new(ip, len).ok_or_else(err),
            None => Ok(Cidr::host(ip)),
        }
    }
}

impl Serialize for Cidr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Cidr, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A list of prefixes checked before any block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CidrSet {
    items: Vec<Cidr>,
}

impl CidrSet {
    /// Builds a set from prefixes.
    pub fn new(items: Vec<Cidr>) -> CidrSet {
        CidrSet { items }
    }

    /// True when `ip` is inside any prefix.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.items.iter().any(|c| c.contains(ip))
    }

    /// True when any address of `cidr` is in the set.
    pub fn overlaps(&self, cidr: &Cidr) -> bool {
        self.items.iter().any(|c| c.overlaps(cidr))
    }

    /// The prefixes.
    pub fn items(&self) -> &[Cidr] {
        &self.items
    }

    /// True when no prefix is configured.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_canonicalises() {
        assert_eq!(c("10.1.2.3/8").to_string(), "10.0.0.0/8");
        assert_eq!(c("10.1.2.3").to_string(), "10.1.2.3/32");
        assert_eq!(c("2001:db8::1/64").to_string(), "2001:db8::/64");
        assert_eq!(c("::ffff:1.2.3.4").to_string(), "1.2.3.4/32");
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("nonsense".parse::<Cidr>().is_err());
        assert!("1.2.3.4/".parse::<Cidr>().is_err());
        assert!("".parse::<Cidr>().is_err());
    }

    #[test]
    fn containment_and_overlap() {
        let n = c("192.168.0.0/16");
        assert!(n.contains("192.168.7.9".parse().unwrap()));
        assert!(!n.contains("192.169.0.1".parse().unwrap()));
        assert!(!n.contains("::1".parse().unwrap()));
        assert!(n.overlaps(&c("192.168.1.0/24")));
        assert!(c("192.168.1.0/24").overlaps(&n));
        assert!(!n.overlaps(&c("10.0.0.0/8")));
        assert!(c("0.0.0.0/0").contains("8.8.8.8".parse().unwrap()));
        assert_eq!(c("1.2.3.4").supernet(24), c("1.2.3.0/24"));
        assert_eq!(c("2001:db8::5").supernet(64), c("2001:db8::/64"));
    }
}
