//! Slows down password guessing: per client address, at most
//! `ADDRESS_LIMIT` failures a minute; per account, after `FREE_FAILURES`
//! failures in a row each further attempt waits twice as long as the last
//! (5 s, 10 s, 20 s, ... up to 15 minutes). State lives in memory: a restart
//! forgets it, which only ever helps the legitimate user.
use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

pub const ADDRESS_LIMIT: usize = 10;
pub const ADDRESS_WINDOW: Duration = Duration::from_secs(60);
pub const FREE_FAILURES: u32 = 3;
const FIRST_DELAY: Duration = Duration::from_secs(5);
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);

#[derive(Default, Debug)]
struct State {
    by_address: HashMap<String, VecDeque<Instant>>,
    /// Failures in a row and when the last one happened.
    by_account: HashMap<String, (u32, Instant)>,
}

#[derive(Clone, Default, Debug)]
pub struct Throttle {
    state: Arc<Mutex<State>>,
}

fn account_delay(failures: u32) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES).min(16);
    (FIRST_DELAY * 2u32.pow(doublings)).min(MAX_DELAY)
}

impl Throttle {
    /// `Err(wait)` when this attempt must be refused without checking the
    /// password, and how long until the next one may be made.
    pub fn check(&self, address: &str, account: &str, now: Instant) -> Result<(), Duration> {
        let Ok(mut s) = self.state.lock() else {
            return Ok(());
        };
        let mut wait = Duration::ZERO;
        if let Some(times) = s.by_address.get_mut(address) {
            times.retain(|t| now.duration_since(*t) < ADDRESS_WINDOW);
            if times.len() >= ADDRESS_LIMIT {
                if let Some(oldest) = times.front() {
                    wait = ADDRESS_WINDOW.saturating_sub(now.duration_since(*oldest));
                }
            }
        }
        if let Some((failures, last)) = s.by_account.get(&account.to_lowercase()) {
            let until = *last + account_delay(*failures);
            wait = wait.max(until.saturating_duration_since(now));
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait)
        }
    }

    pub fn failed(&self, address: &str, account: &str, now: Instant) {
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        // Forget what no longer matters, so the maps stay small.
        s.by_address.retain(|_, times| {
            times
                .back()
                .is_some_and(|t| now.duration_since(*t) < ADDRESS_WINDOW)
        });
        s.by_account
            .retain(|_, (_, last)| now.duration_since(*last) < MAX_DELAY * 2);
        s.by_address
            .entry(address.to_owned())
            .or_default()
            .push_back(now);
        let entry = s
            .by_account
            .entry(account.to_lowercase())
            .or_insert((0, now));
        *entry = (entry.0 + 1, now);
    }

    pub fn succeeded(&self, account: &str) {
        if let Ok(mut s) = self.state.lock() {
            s.by_account.remove(&account.to_lowercase());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_waits_longer_after_each_failure_beyond_the_free_ones() {
        let t = Throttle::default();
        let start = Instant::now();
        for i in 0..FREE_FAILURES {
            assert_eq!(
                t.check(&format!("10.0.0.{i}"), "ops@example.com", start),
                Ok(())
            );
            t.failed(&format!("10.0.0.{i}"), "ops@example.com", start);
        }
        assert_eq!(
            t.check("10.0.0.9", "OPS@example.com", start),
            Err(Duration::from_secs(5))
        );
        assert_eq!(
            t.check(
                "10.0.0.9",
                "ops@example.com",
                start + Duration::from_secs(5)
            ),
            Ok(())
        );
        t.failed(
            "10.0.0.9",
            "ops@example.com",
            start + Duration::from_secs(5),
        );
        assert_eq!(
            t.check(
                "10.0.0.9",
                "ops@example.com",
                start + Duration::from_secs(5)
            ),
            Err(Duration::from_secs(10))
        );
        t.succeeded("ops@example.com");
        assert_eq!(
            t.check(
                "10.0.0.9",
                "ops@example.com",
                start + Duration::from_secs(6)
            ),
            Ok(())
        );
    }

    #[test]
    fn an_address_gets_ten_failures_a_minute_whatever_the_accounts() {
        let t = Throttle::default();
        let start = Instant::now();
        for i in 0..ADDRESS_LIMIT {
            t.failed("192.0.2.1", &format!("user{i}@example.com"), start);
        }
        assert_eq!(
            t.check("192.0.2.1", "fresh@example.com", start),
            Err(ADDRESS_WINDOW)
        );
        assert_eq!(
            t.check("192.0.2.2", "fresh@example.com", start),
            Ok(()),
            "other addresses are not affected"
        );
        let later = start + ADDRESS_WINDOW;
        assert_eq!(t.check("192.0.2.1", "fresh@example.com", later), Ok(()));
    }

    #[test]
    fn delays_stop_growing_at_fifteen_minutes() {
        assert_eq!(account_delay(2), Duration::ZERO);
        assert_eq!(account_delay(3), Duration::from_secs(5));
        assert_eq!(account_delay(4), Duration::from_secs(10));
        assert_eq!(account_delay(40), MAX_DELAY);
    }
}
