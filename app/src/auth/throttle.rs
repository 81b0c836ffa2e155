//! Slows down password (and second-step code) guessing without letting
//! anyone lock a person out:
//!
//! - **Per account and address**: after `FREE_FAILURES` failures in a row
//!   for one account from one address, each further attempt for it from
//!   that address waits twice as long as the last (5 s, 10 s, 20 s, ... up
//!   to 15 minutes). Someone guessing a person's email from elsewhere slows
//!   only themselves: the person's own address is not affected.
//! - **Per address**: more than `ADDRESS_LIMIT` failures in a minute from
//!   one address, whatever the accounts, and a wrong password is answered
//!   "too many attempts" with the wait, and each account it fails for from
//!   there waits from its first failure. A right password is never refused
//!   by this limit, so people sharing an office's address with a guesser
//!   still sign in.
//!
//! Time comes from the caller (the state's clock). State lives in memory and
//! is bounded: a restart forgets it, which only ever helps the legitimate
//! user.
use chrono::{DateTime, Duration, Utc};
use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
};

pub const ADDRESS_LIMIT: usize = 10;
pub const ADDRESS_WINDOW: Duration = Duration::seconds(60);
pub const FREE_FAILURES: u32 = 3;
const FIRST_DELAY: Duration = Duration::seconds(5);
const MAX_DELAY: Duration = Duration::minutes(15);
/// The most addresses and account-address pairs remembered; past it the
/// least recently failed are forgotten.
pub const MAX_TRACKED: usize = 100_000;

#[derive(Default, Debug)]
struct State {
    by_address: HashMap<String, VecDeque<DateTime<Utc>>>,
    /// Per (account, address): failures in a row and the last one's time.
    by_pair: HashMap<(String, String), (u32, DateTime<Utc>)>,
    /// When what no longer matters was last forgotten.
    swept: Option<DateTime<Utc>>,
}

#[derive(Clone, Default, Debug)]
pub struct Throttle {
    state: Arc<Mutex<State>>,
}

fn pair_delay(failures: u32, free: u32) -> Duration {
    if failures < free {
        return Duration::zero();
    }
    let doublings = (failures - free).min(16);
    (FIRST_DELAY * 2i32.pow(doublings)).min(MAX_DELAY)
}

fn key(account: &str, address: &str) -> (String, String) {
    (account.to_lowercase(), address.to_owned())
}

/// The wait as a whole number of seconds, at least one.
pub fn seconds(wait: Duration) -> u64 {
    u64::try_from(wait.num_milliseconds().max(1)).map_or(1, |ms| ms.div_ceil(1000))
}

impl State {
    fn address_wait(&mut self, address: &str, now: DateTime<Utc>) -> Option<Duration> {
        let times = self.by_address.get_mut(address)?;
        times.retain(|t| now - *t < ADDRESS_WINDOW && *t <= now);
        (times.len() >= ADDRESS_LIMIT)
            .then(|| times.front().map(|oldest| ADDRESS_WINDOW - (now - *oldest)))
            .flatten()
    }

    /// Forgets what no longer matters: every ten seconds, or at once when
    /// a map is full (then, if still full, the older half goes).
    fn forget_old(&mut self, now: DateTime<Utc>) {
        let full = self.by_pair.len() >= MAX_TRACKED || self.by_address.len() >= MAX_TRACKED;
        if !full
            && self
                .swept
                .is_some_and(|t| now - t < Duration::seconds(10) && t <= now)
        {
            return;
        }
        self.swept = Some(now);
        self.by_address
            .retain(|_, times| times.back().is_some_and(|t| now - *t < ADDRESS_WINDOW));
        self.by_pair
            .retain(|_, (_, last)| now - *last < MAX_DELAY * 2);
        if self.by_pair.len() >= MAX_TRACKED {
            let mut lasts: Vec<DateTime<Utc>> = self.by_pair.values().map(|(_, l)| *l).collect();
            lasts.sort_unstable();
            let cut = lasts[lasts.len() / 2];
            self.by_pair.retain(|_, (_, last)| *last > cut);
        }
        if self.by_address.len() >= MAX_TRACKED {
            let mut lasts: Vec<DateTime<Utc>> = self
                .by_address
                .values()
                .filter_map(|t| t.back().copied())
                .collect();
            lasts.sort_unstable();
            let cut = lasts[lasts.len() / 2];
            self.by_address
                .retain(|_, times| times.back().is_some_and(|t| *t > cut));
        }
    }
}

impl Throttle {
    /// `Err(wait)` when this account may not be tried from this address
    /// yet: refused without checking the password.
    pub fn check(&self, address: &str, account: &str, now: DateTime<Utc>) -> Result<(), Duration> {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let Some((failures, last)) = s.by_pair.get(&key(account, address)) else {
            return Ok(());
        };
        let wait = *last + pair_delay(*failures, FREE_FAILURES) - now;
        if wait > Duration::zero() {
            Err(wait)
        } else {
            Ok(())
        }
    }

    /// Counts a failure. `Some(wait)` when the address is now over its
    /// limit: the answer should say to wait that long.
    pub fn failed(&self, address: &str, account: &str, now: DateTime<Utc>) -> Option<Duration> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.forget_old(now);
        s.by_address
            .entry(address.to_owned())
            .or_default()
            .push_back(now);
        let over = s.address_wait(address, now);
        let entry = s.by_pair.entry(key(account, address)).or_insert((0, now));
        // Over the address's limit, an account waits from its first failure.
        let failures = if over.is_some() {
            (entry.0 + 1).max(FREE_FAILURES)
        } else {
            entry.0 + 1
        };
        *entry = (failures, now);
        over
    }

    /// A right password (or code): this account starts afresh from this
    /// address.
    pub fn succeeded(&self, address: &str, account: &str) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.by_pair.remove(&key(account, address));
    }

    /// How many addresses and pairs are remembered (for tests).
    pub fn tracked(&self) -> (usize, usize) {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        (s.by_address.len(), s.by_pair.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("a time")
    }

    #[test]
    fn an_account_waits_longer_after_each_failure_from_one_address_only() {
        let t = Throttle::default();
        for _ in 0..FREE_FAILURES {
            assert_eq!(t.check("10.0.0.1", "ops@example.com", at(0)), Ok(()));
            assert_eq!(t.failed("10.0.0.1", "ops@example.com", at(0)), None);
        }
        assert_eq!(
            t.check("10.0.0.1", "OPS@example.com", at(0)),
            Err(Duration::seconds(5))
        );
        assert_eq!(
            t.check("10.0.0.2", "ops@example.com", at(0)),
            Ok(()),
            "another address is not slowed"
        );
        assert_eq!(t.check("10.0.0.1", "ops@example.com", at(5)), Ok(()));
        t.failed("10.0.0.1", "ops@example.com", at(5));
        assert_eq!(
            t.check("10.0.0.1", "ops@example.com", at(5)),
            Err(Duration::seconds(10))
        );
        t.succeeded("10.0.0.1", "ops@example.com");
        assert_eq!(t.check("10.0.0.1", "ops@example.com", at(6)), Ok(()));
    }

    #[test]
    fn an_address_over_its_limit_is_told_to_wait_and_its_accounts_wait_at_once() {
        let t = Throttle::default();
        for i in 0..ADDRESS_LIMIT - 1 {
            assert_eq!(
                t.failed("192.0.2.1", &format!("user{i}@example.com"), at(0)),
                None
            );
        }
        assert_eq!(
            t.failed("192.0.2.1", "fresh@example.com", at(1)),
            Some(Duration::seconds(59)),
            "the tenth failure in a minute: wait until the first is a minute old"
        );
        assert_eq!(
            t.check("192.0.2.1", "fresh@example.com", at(1)),
            Err(Duration::seconds(5)),
            "an account failed while over the limit waits from the first failure"
        );
        assert_eq!(
            t.check("192.0.2.1", "another@example.com", at(1)),
            Ok(()),
            "a right password may still come"
        );
        assert_eq!(
            t.check("192.0.2.2", "fresh@example.com", at(1)),
            Ok(()),
            "other addresses are not affected"
        );
        assert_eq!(
            t.failed("192.0.2.1", "x@example.com", at(61)),
            None,
            "a minute later"
        );
    }

    #[test]
    fn delays_stop_growing_at_fifteen_minutes() {
        assert_eq!(pair_delay(2, FREE_FAILURES), Duration::zero());
        assert_eq!(pair_delay(3, FREE_FAILURES), Duration::seconds(5));
        assert_eq!(pair_delay(4, FREE_FAILURES), Duration::seconds(10));
        assert_eq!(pair_delay(40, FREE_FAILURES), MAX_DELAY);
        assert_eq!(seconds(Duration::milliseconds(4_001)), 5);
        assert_eq!(seconds(Duration::zero()), 1);
    }

    #[test]
    fn what_it_remembers_is_bounded() {
        let t = Throttle::default();
        for n in 0..(MAX_TRACKED + 10) {
            t.failed(
                &format!("a{n}"),
                &format!("u{n}"),
                at(0) + Duration::milliseconds(n as i64),
            );
        }
        let (addresses, pairs) = t.tracked();
        assert!(
            addresses <= MAX_TRACKED && pairs <= MAX_TRACKED,
            "{addresses} {pairs}"
        );
    }
}
