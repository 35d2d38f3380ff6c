//! Persistent collections (`IP`, `SESSION`, `USER`, `GLOBAL`, `RESOURCE`), opened with
//! `initcol` and kept between transactions by a [`CollectionStorage`] the embedder chooses.
//! [`InMemoryStorage`] is the default: a map behind a mutex, expiring records lazily.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use crate::variables::Var;

/// One opened record: the collection, its key (`%{remote_addr}` for IP), its variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersistentCollection {
    pub var: Var,
    pub key: String,
    /// Lower-cased name → (value, absolute expiry in Unix seconds).
    pub values: BTreeMap<String, (Vec<u8>, Option<i64>)>,
}

impl PersistentCollection {
    pub fn new(var: Var, key: String) -> Self {
        PersistentCollection {
            var,
            key,
            values: BTreeMap::new(),
        }
    }
}

/// Where persistent collections live between transactions.
pub trait CollectionStorage: Send + Sync {
    /// Returns the record (empty when unknown), without variables expired at `now`.
    fn load(&self, var: Var, key: &str, now: i64) -> PersistentCollection;
    /// Stores the record; `timeout` is `SecCollectionTimeout` in seconds.
    fn save(&self, collection: &PersistentCollection, now: i64, timeout: u64);
}

/// Records held in memory, with a bound on their number.
#[derive(Debug)]
pub struct InMemoryStorage {
    records: Mutex<HashMap<(Var, String), (PersistentCollection, i64)>>,
    max_records: usize,
}

impl Default for InMemoryStorage {
    fn default() -> Self {
        InMemoryStorage::with_capacity(100_000)
    }
}

impl InMemoryStorage {
    /// Keeps at most `max_records` records; when full, expired ones are dropped first and
    /// a new record is not stored if none expired.
    pub fn with_capacity(max_records: usize) -> Self {
        InMemoryStorage {
            records: Mutex::new(HashMap::new()),
            max_records,
        }
    }
}

impl CollectionStorage for InMemoryStorage {
    fn load(&self, var: Var, key: &str, now: i64) -> PersistentCollection {
        let records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        match records.get(&(var, key.to_string())) {
            Some((record, dead_at)) if *dead_at > now => {
                let mut record = record.clone();
                record
                    .values
                    .retain(|_, (_, exp)| exp.is_none_or(|e| e > now));
                record
            }
            _ => PersistentCollection::new(var, key.to_string()),
        }
    }

    fn save(&self, collection: &PersistentCollection, now: i64, timeout: u64) {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        let id = (collection.var, collection.key.clone());
        if records.len() >= self.max_records && !records.contains_key(&id) {
            records.retain(|_, (_, dead_at)| *dead_at > now);
            if records.len() >= self.max_records {
                return;
            }
        }
        let dead_at = now.saturating_add(i64::try_from(timeout).unwrap_or(i64::MAX));
        records.insert(id, (collection.clone(), dead_at));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_until_timeout_and_variables_until_expiry() {
        let store = InMemoryStorage::default();
        let mut c = PersistentCollection::new(Var::Ip, "1.2.3.4".into());
        c.values.insert("score".into(), (b"5".to_vec(), None));
        c.values
            .insert("blocked".into(), (b"1".to_vec(), Some(110)));
        store.save(&c, 100, 3600);
        let loaded = store.load(Var::Ip, "1.2.3.4", 105);
        assert_eq!(loaded.values.len(), 2);
        let loaded = store.load(Var::Ip, "1.2.3.4", 111);
        assert_eq!(loaded.values.len(), 1);
        assert!(store.load(Var::Ip, "1.2.3.4", 100 + 3600).values.is_empty());
        assert!(store.load(Var::Ip, "5.6.7.8", 105).values.is_empty());
    }

    #[test]
    fn capacity_is_bounded() {
        let store = InMemoryStorage::with_capacity(2);
        for (i, key) in ["a", "b", "c"].iter().enumerate() {
            store.save(
                &PersistentCollection::new(Var::Ip, key.to_string()),
                i as i64,
                10,
            );
        }
        assert!(store.load(Var::Ip, "c", 3).values.is_empty());
        assert_eq!(store.records.lock().unwrap().len(), 2);
    }
}
