//! Time for incidents and drills: elapsed and due times from a start,
//! overdue checks, "this happened at" parsing, durations as people read
//! them, and the browser's ticker that follows the server's time. Every
//! function takes the time it works from as a parameter, and what reads the
//! time reads it from a [`TimeSource`], so a drill can run all of it on a
//! virtual clock and a test on a fixed one. Part of the spine: it names no
//! domain.
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Where "now" comes from.
pub trait TimeSource: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The real time.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemTime;

impl TimeSource for SystemTime {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A time that moves only when told to: for tests, and the base a drill's
/// virtual clock is built on.
#[derive(Debug)]
pub struct ManualTime(std::sync::Mutex<DateTime<Utc>>);

impl ManualTime {
    pub fn at(start: DateTime<Utc>) -> Self {
        Self(std::sync::Mutex::new(start))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }
}

impl TimeSource for ManualTime {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The time source the application state carries.
pub type Clock = std::sync::Arc<dyn TimeSource>;

/// The real time, as a [`Clock`].
pub fn system() -> Clock {
    std::sync::Arc::new(SystemTime)
}

/// A drill's clock: virtual time that starts with the run, runs at a
/// chosen speed (0.5x to 10x), and stands still while paused. Its state is
/// a few numbers kept in the database, so it survives a restart: virtual
/// time is always worked out from the real time of the last change, never
/// counted up by a ticking task, so no tick can be lost or counted twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirtualClock {
    /// Virtual time zero: the real time the run started.
    pub start: DateTime<Utc>,
    /// Virtual milliseconds gone by at `anchor`.
    pub elapsed_ms: i64,
    /// The real time of the last change (start, pause, resume, speed).
    pub anchor: DateTime<Utc>,
    /// Percent of real speed: 100 is 1x, 1000 is 10x.
    pub speed_pct: u32,
    pub running: bool,
}

/// The speeds a drill may run at, in percent of real time.
pub const SPEEDS: std::ops::RangeInclusive<u32> = 50..=1000;

impl VirtualClock {
    /// A clock started at `real`, running at `speed_pct`.
    pub fn started(real: DateTime<Utc>, speed_pct: u32) -> Self {
        Self {
            start: real,
            elapsed_ms: 0,
            anchor: real,
            speed_pct: speed_pct.clamp(*SPEEDS.start(), *SPEEDS.end()),
            running: true,
        }
    }

    /// Virtual milliseconds gone by when the real time is `real`. Never
    /// goes back: a real time before the last change reads as that change.
    pub fn elapsed_ms_at(&self, real: DateTime<Utc>) -> i64 {
        if !self.running {
            return self.elapsed_ms;
        }
        let real_ms = (real - self.anchor).num_milliseconds().max(0);
        self.elapsed_ms + real_ms * i64::from(self.speed_pct) / 100
    }

    /// The virtual time when the real time is `real`.
    pub fn now_at(&self, real: DateTime<Utc>) -> DateTime<Utc> {
        self.start + Duration::milliseconds(self.elapsed_ms_at(real))
    }

    /// Stands still from `real` on.
    pub fn pause(&mut self, real: DateTime<Utc>) {
        self.elapsed_ms = self.elapsed_ms_at(real);
        self.anchor = real;
        self.running = false;
    }

    /// Moves again from `real` on, from where it stood.
    pub fn resume(&mut self, real: DateTime<Utc>) {
        if !self.running {
            self.anchor = real;
            self.running = true;
        }
    }

    /// Runs at another speed from `real` on; what went by keeps its speed.
    pub fn set_speed(&mut self, real: DateTime<Utc>, speed_pct: u32) {
        self.elapsed_ms = self.elapsed_ms_at(real);
        self.anchor = real;
        self.speed_pct = speed_pct.clamp(*SPEEDS.start(), *SPEEDS.end());
    }

    /// Jumps forward to `elapsed_ms` of virtual time (never back).
    pub fn jump_to(&mut self, real: DateTime<Utc>, elapsed_ms: i64) {
        self.elapsed_ms = self.elapsed_ms_at(real).max(elapsed_ms);
        self.anchor = real;
    }

    /// The real time at which `elapsed_ms` of virtual time will have gone
    /// by, at the current speed; `None` while paused (it never comes).
    pub fn real_time_of(&self, elapsed_ms: i64) -> Option<DateTime<Utc>> {
        if !self.running {
            return None;
        }
        let ahead = (elapsed_ms - self.elapsed_ms).max(0);
        // Rounded up, so waking at that time never finds it still ahead.
        let speed = i64::from(self.speed_pct);
        Some(self.anchor + Duration::milliseconds((ahead * 100 + speed - 1) / speed))
    }

    /// "10x", "0.5x", "1.5x".
    pub fn speed_label(speed_pct: u32) -> String {
        if speed_pct.is_multiple_of(100) {
            format!("{}x", speed_pct / 100)
        } else {
            format!("{}x", f64::from(speed_pct) / 100.0)
        }
    }
}

/// "1h 05m", "3d 2h", "45s": the time from `from` to `to` at a glance
/// (never negative).
pub fn elapsed(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let secs = (to - from).num_seconds().max(0);
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s:02}s"),
        (0, _, _) => format!("{h}h {m:02}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// A number of seconds as people read it: "4m 10s".
pub fn duration_text(seconds: i64) -> String {
    let start = DateTime::<Utc>::UNIX_EPOCH;
    elapsed(start, start + Duration::seconds(seconds))
}

/// When something with a target of `minutes` after `start` is due.
pub fn due_at(start: DateTime<Utc>, minutes: Option<u32>) -> Option<DateTime<Utc>> {
    minutes.map(|m| start + Duration::minutes(i64::from(m)))
}

/// Not done and past due; or done, but after it was due. Nothing without a
/// due time is ever overdue.
pub fn overdue(
    due: Option<DateTime<Utc>>,
    done: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    match (due, done) {
        (Some(due), None) => now > due,
        (Some(due), Some(done)) => done > due,
        (None, _) => false,
    }
}

/// A "this happened at" time, in UTC: `HH:MM` (today, or yesterday if that
/// would be in the future) or `YYYY-MM-DD HH:MM` (also with a `T`, as a
/// browser's date-time field sends it). It may not be in the future, nor
/// more than a week before `started`.
pub fn parse_happened_at(
    raw: &str,
    started: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, AppError> {
    use chrono::{NaiveDateTime, NaiveTime};
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let wrong = || {
        AppError::invalid(
            "Happened at",
            format!("'{raw}' is not a time such as 03:15 or 2026-11-26 03:15 (UTC)"),
        )
    };
    let at = if let Ok(time) = NaiveTime::parse_from_str(raw, "%H:%M") {
        let today = now.date_naive().and_time(time).and_utc();
        if today > now {
            today - Duration::days(1)
        } else {
            today
        }
    } else {
        ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
            .ok_or_else(wrong)?
            .and_utc()
    };
    if at > now + Duration::minutes(1) {
        return Err(AppError::invalid("Happened at", "is in the future"));
    }
    if at < started - Duration::days(7) {
        return Err(AppError::invalid(
            "Happened at",
            "is more than a week before the incident was declared",
        ));
    }
    Ok(Some(at))
}

/// The browser's clock corrected to the server's: a page learns the
/// server's time once (in its first render) and from then on adds the
/// browser's elapsed time to it, so a browser whose own clock is wrong
/// still shows the right elapsed and due times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerTime {
    offset_ms: i64,
}

impl ServerTime {
    /// `server_now` as read by the server, `local_ms` the browser's time
    /// (milliseconds since the epoch) at the same moment.
    pub fn new(server_now: DateTime<Utc>, local_ms: i64) -> Self {
        Self {
            offset_ms: server_now.timestamp_millis() - local_ms,
        }
    }

    /// The server's time when the browser's reads `local_ms`.
    pub fn at(self, local_ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(local_ms + self.offset_ms).unwrap_or_default()
    }
}

/// Moves `now` forward every second from the server's time, reading the
/// browser's time from `local_ms`. `real_now` is the server's real time
/// when the page was read; `shown` turns the server's real time into the
/// time the page shows (a drill's virtual time, read from the page's
/// current state, so a pause or a new speed shows at the next tick).
#[cfg(feature = "hydrate")]
pub fn tick(
    now: leptos::prelude::RwSignal<DateTime<Utc>>,
    real_now: DateTime<Utc>,
    local_ms: fn() -> i64,
    shown: impl Fn(DateTime<Utc>) -> DateTime<Utc> + 'static,
) {
    use leptos::prelude::*;
    let server = ServerTime::new(real_now, local_ms());
    set_interval(
        move || now.set(shown(server.at(local_ms()))),
        std::time::Duration::from_secs(1),
    );
}

/// The browser's own time in milliseconds: the usual argument to [`tick`].
#[cfg(feature = "hydrate")]
pub fn browser_ms() -> i64 {
    js_sys::Date::now() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minutes: i64) -> DateTime<Utc> {
        "2026-11-26T03:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(minutes)
    }

    #[test]
    fn elapsed_time_reads_at_a_glance() {
        assert_eq!(elapsed(t(0), t(0) + Duration::seconds(45)), "45s");
        assert_eq!(elapsed(t(0), t(4) + Duration::seconds(5)), "4m 05s");
        assert_eq!(elapsed(t(0), t(65)), "1h 05m");
        assert_eq!(elapsed(t(0), t(60 * 26)), "1d 2h");
        assert_eq!(elapsed(t(10), t(0)), "0s", "never negative");
        assert_eq!(duration_text(40 * 60), "40m 00s");
    }

    #[test]
    fn something_is_overdue_when_open_past_due_or_done_late() {
        let due = due_at(t(0), Some(15));
        assert_eq!(due, Some(t(15)));
        assert!(!overdue(due, None, t(10)));
        assert!(overdue(due, None, t(16)));
        assert!(!overdue(due, Some(t(14)), t(100)));
        assert!(overdue(due, Some(t(20)), t(100)));
        assert!(!overdue(due_at(t(0), None), None, t(10_000)));
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualTime::at(t(0));
        assert_eq!(clock.now(), t(0));
        clock.advance(Duration::minutes(5));
        assert_eq!(clock.now(), t(5));
        clock.set(t(-1));
        assert_eq!(clock.now(), t(-1));
    }

    fn ms(m: i64) -> i64 {
        m * 60_000
    }

    #[test]
    fn a_virtual_clock_runs_at_its_speed_and_stands_still_when_paused() {
        let real = ManualTime::at(t(0));
        let mut clock = VirtualClock::started(real.now(), 1000);
        real.advance(Duration::minutes(1));
        assert_eq!(
            clock.elapsed_ms_at(real.now()),
            ms(10),
            "10x: a real minute is ten"
        );
        clock.pause(real.now());
        real.advance(Duration::minutes(30));
        assert_eq!(
            clock.elapsed_ms_at(real.now()),
            ms(10),
            "paused: nothing moves"
        );
        assert_eq!(
            clock.real_time_of(ms(15)),
            None,
            "paused: nothing comes due"
        );
        clock.resume(real.now());
        clock.resume(real.now());
        real.advance(Duration::seconds(30));
        assert_eq!(
            clock.elapsed_ms_at(real.now()),
            ms(15),
            "resumed once, from where it stood"
        );
        clock.set_speed(real.now(), 50);
        real.advance(Duration::minutes(2));
        assert_eq!(
            clock.elapsed_ms_at(real.now()),
            ms(16),
            "half speed from the change on"
        );
        assert_eq!(
            clock.now_at(real.now()),
            t(16),
            "virtual time starts at the real start"
        );
    }

    #[test]
    fn a_virtual_clock_says_when_a_virtual_time_comes_and_it_never_comes_early() {
        let real = ManualTime::at(t(0));
        let mut clock = VirtualClock::started(real.now(), 300);
        real.advance(Duration::seconds(7));
        clock.set_speed(real.now(), 700);
        // 21 s gone; 15 min is 879 s of virtual time ahead at 7x.
        let due = clock.real_time_of(ms(15)).expect("running");
        assert!(clock.elapsed_ms_at(due) >= ms(15), "due when woken");
        assert!(
            clock.elapsed_ms_at(due - Duration::milliseconds(1)) < ms(15),
            "not a millisecond before"
        );
        clock.jump_to(real.now(), ms(15));
        assert_eq!(clock.elapsed_ms_at(real.now()), ms(15));
        clock.jump_to(real.now(), ms(1));
        assert_eq!(
            clock.elapsed_ms_at(real.now()),
            ms(15),
            "a jump never goes back"
        );
        assert_eq!(
            clock.elapsed_ms_at(real.now() - Duration::hours(1)),
            ms(15),
            "a real time before the last change reads as that change"
        );
    }

    #[test]
    fn a_virtual_clock_survives_being_stored_and_read_back() {
        let real = ManualTime::at(t(0));
        let mut clock = VirtualClock::started(real.now(), 200);
        real.advance(Duration::minutes(3));
        clock.pause(real.now());
        clock.resume(real.now() + Duration::minutes(1));
        let stored = serde_json::to_string(&clock).expect("json");
        // The server stops; the clock is read back after a restart.
        let back: VirtualClock = serde_json::from_str(&stored).expect("json");
        real.advance(Duration::minutes(4));
        assert_eq!(
            back.elapsed_ms_at(real.now()),
            ms(6 + 6),
            "3 min at 2x, 1 paused, 3 at 2x"
        );
        assert_eq!(
            VirtualClock::started(t(0), 5000).speed_pct,
            1000,
            "speed is bounded"
        );
        assert_eq!(VirtualClock::speed_label(1000), "10x");
        assert_eq!(VirtualClock::speed_label(50), "0.5x");
    }

    #[test]
    fn the_browser_ticker_follows_the_servers_time_not_its_own() {
        // The browser's clock is 10 minutes fast.
        let browser = |at: DateTime<Utc>| (at + Duration::minutes(10)).timestamp_millis();
        let server = ServerTime::new(t(0), browser(t(0)));
        assert_eq!(server.at(browser(t(0))), t(0));
        assert_eq!(server.at(browser(t(3))), t(3));
    }

    #[test]
    fn a_happened_at_time_is_read_in_utc_and_checked() {
        let now = t(30);
        assert_eq!(parse_happened_at("", t(0), now).unwrap(), None);
        assert_eq!(parse_happened_at("03:10", t(0), now).unwrap(), Some(t(10)));
        assert_eq!(
            parse_happened_at("2026-11-26T02:55", t(0), now).unwrap(),
            Some(t(-5))
        );
        assert_eq!(
            parse_happened_at("23:50", t(0), now).unwrap(),
            Some(t(-190)),
            "yesterday"
        );
        let err = parse_happened_at("2026-11-26 04:00", t(0), now)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "Happened at: is in the future");
        let err = parse_happened_at("soon", t(0), now)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("Happened at: 'soon' is not a time"),
            "{err}"
        );
        let err = parse_happened_at("2026-11-01 03:00", t(0), now)
            .unwrap_err()
            .to_string();
        assert!(err.contains("more than a week before"), "{err}");
    }
}
