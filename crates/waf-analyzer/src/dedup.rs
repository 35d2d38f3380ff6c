//! Bounded memory of recently seen record keys, to drop replayed lines
//! (a file re-read after a restart, Loki pages overlapping at their boundary,
//! the same record arriving from a file and from Loki).
//!
//! Two generations of hash sets: when the current one is full it becomes the
//! old one and the previous old one is forgotten. Memory is bounded by
//! `2 × capacity` keys and a key is remembered for at least `capacity` inserts.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hash};

/// Recently seen keys.
pub struct Dedup {
    capacity: usize,
    current: HashSet<u64>,
    old: HashSet<u64>,
    hasher: std::collections::hash_map::RandomState,
}

impl Dedup {
    /// Remembers at least `capacity` keys (at least 1).
    pub fn new(capacity: usize) -> Dedup {
        let capacity = capacity.max(1);
        Dedup {
            capacity,
            current: HashSet::new(),
            old: HashSet::new(),
            hasher: Default::default(),
        }
    }

    /// Hashes any key to the 64-bit form stored here.
    pub fn key<T: Hash + ?Sized>(&self, value: &T) -> u64 {
        self.hasher.hash_one(value)
    }

    /// True when the key is new (and remembers it); false for a replay.
    pub fn first_time(&mut self, key: u64) -> bool {
        if self.current.contains(&key) || self.old.contains(&key) {
            return false;
        }
        if self.current.len() >= self.capacity {
            self.old = std::mem::take(&mut self.current);
        }
        self.current.insert(key);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_at_least_capacity() {
        let mut d = Dedup::new(3);
        for k in 0..3 {
            assert!(d.first_time(k));
        }
        assert!(!d.first_time(1));
        assert!(d.first_time(3));
        assert!(!d.first_time(0));
        for k in 4..10 {
            d.first_time(k);
        }
        assert!(d.first_time(0));
    }
}
