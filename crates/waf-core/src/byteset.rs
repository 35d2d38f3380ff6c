//! [`ByteSet`]: a set of byte values, one bit each.
//!
//! Regex classes are byte sets, and so are the necessary conditions the engine checks
//! before running an operator (see [`crate::regex::Screen`]): "the value must contain
//! one of these bytes". [`ByteSet::of`] summarises a subject in one pass, so testing
//! such a condition afterwards costs a few instructions.
//!
//! ```
//! use waf_core::byteset::ByteSet;
//! let seen = ByteSet::of(b"id=1 OR 1=1");
//! assert!(seen.intersects(&ByteSet::of(b"=<")));
//! assert!(!seen.intersects(&ByteSet::of(b"<>")));
//! ```

/// A set of bytes, one bit per byte value.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ByteSet([u64; 4]);

impl std::fmt::Debug for ByteSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.ranges()).finish()
    }
}

impl ByteSet {
    /// No byte.
    pub const fn empty() -> Self {
        ByteSet([0; 4])
    }

    /// Every byte.
    pub const fn full() -> Self {
        ByteSet([u64::MAX; 4])
    }

    /// Just `b`.
    pub fn single(b: u8) -> Self {
        let mut s = Self::empty();
        s.insert(b);
        s
    }

    /// `lo..=hi`.
    pub fn range(lo: u8, hi: u8) -> Self {
        let mut s = Self::empty();
        s.insert_range(lo, hi);
        s
    }

    /// The bytes that occur in `bytes`. One pass with the four words in registers and no
    /// branch per byte: a read-modify-write of memory per byte, or 128-bit shifts (which
    /// wasm lacks), were measured slower (`benches/wasm/run.sh`).
    pub fn of(bytes: &[u8]) -> Self {
        let (mut w0, mut w1, mut w2, mut w3) = (0u64, 0u64, 0u64, 0u64);
        for &b in bytes {
            let bit = 1u64 << (b & 63);
            let word = b >> 6;
            w0 |= bit & u64::from(word == 0).wrapping_neg();
            w1 |= bit & u64::from(word == 1).wrapping_neg();
            w2 |= bit & u64::from(word == 2).wrapping_neg();
            w3 |= bit & u64::from(word == 3).wrapping_neg();
        }
        ByteSet([w0, w1, w2, w3])
    }

    pub fn insert(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1u64 << (b & 63);
    }

    pub fn insert_range(&mut self, lo: u8, hi: u8) {
        for b in lo..=hi {
            self.insert(b);
        }
    }

    pub fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1u64 << (b & 63)) != 0
    }

    /// Adds every byte of `other`.
    pub fn union(&mut self, other: &ByteSet) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a |= *b;
        }
    }

    /// The bytes in both sets.
    pub fn intersection(&self, other: &ByteSet) -> ByteSet {
        let (a, b) = (&self.0, &other.0);
        ByteSet([a[0] & b[0], a[1] & b[1], a[2] & b[2], a[3] & b[3]])
    }

    /// Whether the two sets share a byte.
    #[inline]
    pub fn intersects(&self, other: &ByteSet) -> bool {
        let (a, b) = (&self.0, &other.0);
        ((a[0] & b[0]) | (a[1] & b[1]) | (a[2] & b[2]) | (a[3] & b[3])) != 0
    }

    /// Every byte not in the set.
    pub fn negated(&self) -> ByteSet {
        ByteSet(self.0.map(|w| !w))
    }

    pub fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }

    /// Number of bytes in the set.
    pub fn len(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    /// The only byte in the set, if it holds exactly one.
    pub fn as_single(&self) -> Option<u8> {
        if self.len() != 1 {
            return None;
        }
        (0..=255u8).find(|&b| self.contains(b))
    }

    /// Adds the other ASCII case of every ASCII letter in the set. PCRE without UTF or
    /// UCP uses its built-in "C" locale tables, where only ASCII letters have a case.
    pub fn case_folded(&self) -> ByteSet {
        let mut out = *self;
        for b in b'a'..=b'z' {
            let upper = b.to_ascii_uppercase();
            if self.contains(b) || self.contains(upper) {
                out.insert(b);
                out.insert(upper);
            }
        }
        out
    }

    /// The bytes of the set, in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=255u8).filter(|&b| self.contains(b))
    }

    /// The set as inclusive ranges, in ascending order.
    pub fn ranges(&self) -> Vec<(u8, u8)> {
        let mut out = Vec::new();
        let mut start: Option<u8> = None;
        for b in 0..=255u8 {
            match (self.contains(b), start) {
                (true, None) => start = Some(b),
                (false, Some(s)) => {
                    out.push((s, b - 1));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            out.push((s, 255));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_matches_inserting_each_byte() {
        let subject: Vec<u8> = (0..=255u8).step_by(7).chain([0, 127, 128, 255]).collect();
        let mut expected = ByteSet::empty();
        for &b in &subject {
            expected.insert(b);
        }
        assert_eq!(ByteSet::of(&subject), expected);
        assert_eq!(ByteSet::of(b""), ByteSet::empty());
        assert_eq!(ByteSet::of(b"ab").iter().collect::<Vec<_>>(), b"ab");
    }
}
