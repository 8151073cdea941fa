//! Rate limit for failed logins, per account and per client address (SPEC §7:
//! only failures count; a success clears the account's count).
//!
//! Kept in memory: each instance limits on its own, which bounds guessing to
//! `instances × max_failures` per window — enough to stop brute force without
//! a write to the database on every attempt.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        LoginLimiter {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds to wait when any of `keys` has used up its failures.
    pub fn blocked_for(&self, keys: &[String]) -> Option<u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().ok()?;
        keys.iter()
            .filter_map(|key| {
                let attempts = failures.get_mut(key)?;
                attempts.retain(|at| now.duration_since(*at) < self.window);
                (attempts.len() as u32 >= self.max_failures).then(|| {
                    let oldest = attempts.iter().min().copied().unwrap_or(now);
                    (self.window.saturating_sub(now.duration_since(oldest))).as_secs() + 1
                })
            })
            .max()
    }

    pub fn record_failure(&self, keys: &[String]) {
        let now = Instant::now();
        if let Ok(mut failures) = self.failures.lock() {
            // Forget stale keys now and then so the map cannot grow without bound.
            if failures.len() > 100_000 {
                failures.retain(|_, attempts| {
                    attempts
                        .iter()
                        .any(|at| now.duration_since(*at) < self.window)
                });
            }
            for key in keys {
                failures.entry(key.clone()).or_default().push(now);
            }
        }
    }

    pub fn clear(&self, key: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(key);
        }
    }
}
