//! What keeps Claude from slowing the engine down: a circuit breaker (and the rate limiter of
//! [`crate::limit`]).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Opens after `threshold` consecutive failures and skips calls for `cooldown`; then lets calls
/// through again (one failure re-opens it, one success closes it).
#[derive(Debug)]
pub(crate) struct Breaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<BreakerState>,
}

#[derive(Debug, Default)]
struct BreakerState {
    failures: u32,
    open_until: Option<Instant>,
}

impl Breaker {
    pub(crate) fn new(threshold: u32, cooldown: Duration) -> Breaker {
        Breaker {
            threshold: threshold.max(1),
            cooldown,
            state: Mutex::new(BreakerState::default()),
        }
    }

    /// Whether a call may go now.
    pub(crate) fn allows(&self, now: Instant) -> bool {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.open_until.is_none_or(|until| now >= until)
    }

    /// Records the outcome of a call.
    pub(crate) fn record(&self, success: bool, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if success {
            *state = BreakerState::default();
            return;
        }
        state.failures += 1;
        let half_open = state.open_until.is_some_and(|until| now >= until);
        if state.failures >= self.threshold || half_open {
            state.open_until = Some(now + self.cooldown);
            tracing::warn!(
                failures = state.failures,
                cooldown_ms = self.cooldown.as_millis() as u64,
                "Claude circuit breaker open"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_cools_down_and_closes() {
        let breaker = Breaker::new(3, Duration::from_secs(30));
        let t0 = Instant::now();
        for _ in 0..2 {
            breaker.record(false, t0);
        }
        assert!(breaker.allows(t0), "two failures: still closed");
        breaker.record(false, t0);
        assert!(!breaker.allows(t0 + Duration::from_secs(29)), "open");
        let later = t0 + Duration::from_secs(30);
        assert!(breaker.allows(later), "half open after the cooldown");
        breaker.record(false, later);
        assert!(
            !breaker.allows(later + Duration::from_secs(1)),
            "one failure re-opens"
        );
        let much_later = later + Duration::from_secs(31);
        breaker.record(true, much_later);
        breaker.record(false, much_later);
        assert!(breaker.allows(much_later), "a success closed it");
    }
}
