//! A least-recently-used cache keyed by strings, safe to share between threads: query vectors
//! and instant-mode answers (`search`), Claude's answers (`llm`). A thin lock around the `lru`
//! crate (constant-time eviction), with a capacity of 0 meaning "keep nothing".

use std::num::NonZeroUsize;
use std::sync::Mutex;

/// An LRU cache of at most `capacity` values (0: keeps nothing).
pub struct SharedLru<V> {
    entries: Option<Mutex<lru::LruCache<String, V>>>,
}

impl<V: Clone> SharedLru<V> {
    /// An empty cache.
    pub fn new(capacity: usize) -> SharedLru<V> {
        SharedLru {
            entries: NonZeroUsize::new(capacity).map(|n| Mutex::new(lru::LruCache::new(n))),
        }
    }

    /// Whether the cache keeps nothing (capacity 0): callers can skip making keys.
    pub fn is_off(&self) -> bool {
        self.entries.is_none()
    }

    /// The value of `key`, now the most recently used.
    pub fn get(&self, key: &str) -> Option<V> {
        let entries = self.entries.as_ref()?;
        entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }

    /// Forgets every value.
    pub fn clear(&self) {
        if let Some(entries) = &self.entries {
            entries.lock().unwrap_or_else(|p| p.into_inner()).clear();
        }
    }

    /// Stores a value, evicting the least recently used one when full.
    pub fn put(&self, key: String, value: V) {
        if let Some(entries) = &self.entries {
            entries
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .put(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_is_evicted() {
        let cache = SharedLru::new(2);
        cache.put("a".into(), 1);
        cache.put("b".into(), 2);
        assert_eq!(cache.get("a"), Some(1));
        cache.put("c".into(), 3);
        assert_eq!(cache.get("b"), None, "b was the least recently used");
        assert!(cache.get("a").is_some() && cache.get("c").is_some());
        cache.clear();
        assert_eq!(cache.get("a"), None, "cleared");
        let none = SharedLru::new(0);
        none.put("a".into(), 1);
        assert_eq!(none.get("a"), None);
    }
}
