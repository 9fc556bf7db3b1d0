//! A sliding-window rate limiter, shared by the Claude client (its calls) and the HTTP server
//! (requests to the API and the MCP endpoint).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most `limit` calls per sliding `window` (0: no limit).
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    calls: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    /// A limiter of `limit` calls per `window`; 0 lets everything through.
    pub fn new(limit: u32, window: Duration) -> RateLimiter {
        RateLimiter {
            limit,
            window,
            calls: Mutex::new(VecDeque::new()),
        }
    }

    /// The window: a refused caller may retry within it at the latest.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Takes a slot if one is free.
    pub fn try_acquire(&self, now: Instant) -> bool {
        if self.limit == 0 {
            return true;
        }
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        while calls
            .front()
            .is_some_and(|&t| now.duration_since(t) >= self.window)
        {
            calls.pop_front();
        }
        if calls.len() >= self.limit as usize {
            return false;
        }
        calls.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limit_slides() {
        let limiter = RateLimiter::new(2, Duration::from_secs(10));
        let t0 = Instant::now();
        assert!(limiter.try_acquire(t0));
        assert!(limiter.try_acquire(t0 + Duration::from_secs(1)));
        assert!(!limiter.try_acquire(t0 + Duration::from_secs(2)));
        assert!(
            limiter.try_acquire(t0 + Duration::from_secs(10)),
            "the first slot freed"
        );
        assert!(RateLimiter::new(0, Duration::from_secs(1)).try_acquire(t0));
    }
}
