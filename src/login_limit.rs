//! Rate limits on guessing: failed logins (SPEC §7: only failures count) and
//! signups, per client address as [`crate::client`] finds it.
//!
//! Failed logins count per (account, address) pair, not per account: five
//! wrong passwords from one address lock that address out of that account,
//! while the owner, from anywhere else, still logs in with the right
//! password. Counting per account let anyone lock anyone out by knowing the
//! email. A much higher ceiling per address (`login_max_failures_per_address`,
//! 100 by default) stops one address from guessing across many accounts; an
//! address over it is refused even the right password, and a success never
//! clears it (else a guesser could reset it with an account of their own).
//! What this does not stop is a guesser with many addresses, each taking its
//! few tries at one account: the argon2 cost and the 12-character minimum are
//! what bound that.
//!
//! Kept in memory: each instance limits on its own, which bounds guessing to
//! `instances × max_failures` per window — enough to stop brute force without
//! a write to the database on every attempt.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Events per key inside a sliding window.
pub struct WindowCounter {
    window: Duration,
    events: Mutex<HashMap<String, Vec<Instant>>>,
}

impl WindowCounter {
    pub fn new(window: Duration) -> Self {
        WindowCounter {
            window,
            events: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds until `key` is under `max` again, when it has reached it.
    pub fn blocked_for(&self, key: &str, max: u32) -> Option<u64> {
        let now = Instant::now();
        let mut events = self.events.lock().ok()?;
        let seen = events.get_mut(key)?;
        seen.retain(|at| now.duration_since(*at) < self.window);
        (seen.len() as u32 >= max).then(|| {
            let oldest = seen.iter().min().copied().unwrap_or(now);
            self.window
                .saturating_sub(now.duration_since(oldest))
                .as_secs()
                + 1
        })
    }

    pub fn record(&self, keys: &[&str]) {
        let now = Instant::now();
        if let Ok(mut events) = self.events.lock() {
            // Forget stale keys now and then so the map cannot grow without bound.
            if events.len() > 100_000 {
                events
                    .retain(|_, seen| seen.iter().any(|at| now.duration_since(*at) < self.window));
            }
            for key in keys {
                events.entry((*key).to_owned()).or_default().push(now);
            }
        }
    }

    pub fn clear(&self, key: &str) {
        if let Ok(mut events) = self.events.lock() {
            events.remove(key);
        }
    }
}

pub struct LoginLimiter {
    max_per_pair: u32,
    max_per_address: u32,
    failures: WindowCounter,
}

impl LoginLimiter {
    pub fn new(max_per_pair: u32, max_per_address: u32, window: Duration) -> Self {
        LoginLimiter {
            max_per_pair,
            max_per_address,
            failures: WindowCounter::new(window),
        }
    }

    /// Seconds to wait when this pair, or this address, used up its failures.
    pub fn blocked_for(&self, email: &str, address: Option<IpAddr>) -> Option<u64> {
        let (pair, address) = keys(email, address);
        let by_pair = self.failures.blocked_for(&pair, self.max_per_pair);
        let by_address = self.failures.blocked_for(&address, self.max_per_address);
        by_pair.max(by_address)
    }

    pub fn record_failure(&self, email: &str, address: Option<IpAddr>) {
        let (pair, address) = keys(email, address);
        self.failures.record(&[&pair, &address]);
    }

    /// A correct password clears its pair's count, not the address's.
    pub fn succeeded(&self, email: &str, address: Option<IpAddr>) {
        self.failures.clear(&keys(email, address).0);
    }
}

/// Signup attempts per client address: every attempt counts, taken or not,
/// so that trying emails one after another to learn which have accounts
/// runs into the limit as fast as creating organisations does.
pub struct SignupLimiter {
    max_per_address: u32,
    attempts: WindowCounter,
}

impl SignupLimiter {
    pub fn new(max_per_address: u32, window: Duration) -> Self {
        SignupLimiter {
            max_per_address,
            attempts: WindowCounter::new(window),
        }
    }

    /// Counts an attempt, or the seconds to wait when the address used up
    /// its attempts (a refused attempt does not count).
    pub fn attempt(&self, address: Option<IpAddr>) -> Result<(), u64> {
        let key = keys("", address).1;
        if let Some(wait) = self.attempts.blocked_for(&key, self.max_per_address) {
            return Err(wait);
        }
        self.attempts.record(&[&key]);
        Ok(())
    }
}

/// The pair's key and the address's key. Clients without an address (only
/// the in-process test client) share one.
fn keys(email: &str, address: Option<IpAddr>) -> (String, String) {
    let address = address.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    (
        format!("pair:{address} {email}"),
        format!("address:{address}"),
    )
}
