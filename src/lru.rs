//! A small least-recently-used cache keyed by strings, safe to share between threads: query
//! vectors (`search`) and Claude's answers (`llm`).

use std::collections::HashMap;
use std::sync::Mutex;

/// An LRU cache of at most `capacity` values (0: keeps nothing).
pub struct Lru<V> {
    capacity: usize,
    entries: Mutex<Entries<V>>,
}

/// Values by key, each with the tick of its last use.
struct Entries<V> {
    clock: u64,
    map: HashMap<String, (u64, V)>,
}

impl<V: Clone> Lru<V> {
    /// An empty cache.
    pub fn new(capacity: usize) -> Lru<V> {
        Lru {
            capacity,
            entries: Mutex::new(Entries {
                clock: 0,
                map: HashMap::new(),
            }),
        }
    }

    /// The value of `key`, now the most recently used.
    pub fn get(&self, key: &str) -> Option<V> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.clock += 1;
        let now = entries.clock;
        let entry = entries.map.get_mut(key)?;
        entry.0 = now;
        Some(entry.1.clone())
    }

    /// Stores a value, evicting the least recently used one when full.
    pub fn put(&self, key: String, value: V) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.clock += 1;
        let now = entries.clock;
        if entries.map.len() >= self.capacity
            && !entries.map.contains_key(&key)
            && let Some(oldest) = entries
                .map
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(k, _)| k.clone())
        {
            entries.map.remove(&oldest);
        }
        entries.map.insert(key, (now, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_is_evicted() {
        let cache = Lru::new(2);
        cache.put("a".into(), 1);
        cache.put("b".into(), 2);
        assert_eq!(cache.get("a"), Some(1));
        cache.put("c".into(), 3);
        assert_eq!(cache.get("b"), None, "b was the least recently used");
        assert!(cache.get("a").is_some() && cache.get("c").is_some());
        let none = Lru::new(0);
        none.put("a".into(), 1);
        assert_eq!(none.get("a"), None);
    }
}
