//! One time axis for the pictures: an incident's chart and a review's
//! picture place moments along the same kind of line, the same way.
use chrono::{DateTime, Duration, Utc};

/// A span of time drawn from `left` over `width` units of a drawing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Axis {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    left: f64,
    width: f64,
}

impl Axis {
    /// The span from `start` to `end`, at least a minute long, so that a
    /// picture of a single moment still has a line to stand on.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>, left: f64, width: f64) -> Self {
        Self {
            start,
            end: end.max(start + Duration::minutes(1)),
            left,
            width,
        }
    }

    /// Where `t` falls in drawing units; a time outside the span stands
    /// at its nearer end.
    pub fn x(&self, t: DateTime<Utc>) -> f64 {
        let total = (self.end - self.start).num_milliseconds().max(1);
        let at = (t - self.start).num_milliseconds().clamp(0, total);
        self.left + self.width * at as f64 / total as f64
    }

    /// The drawing's left and right ends of the line.
    pub fn ends(&self) -> (f64, f64) {
        (self.left, self.left + self.width)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_fall_along_the_line_and_stop_at_its_ends() {
        let t0: DateTime<Utc> = "2026-11-28T03:00:00Z".parse().expect("time");
        let axis = Axis::new(t0, t0 + Duration::hours(1), 100.0, 600.0);
        assert_eq!(axis.x(t0), 100.0);
        assert_eq!(axis.x(t0 + Duration::minutes(30)), 400.0);
        assert_eq!(axis.x(t0 + Duration::hours(2)), 700.0, "after: the end");
        assert_eq!(axis.x(t0 - Duration::hours(2)), 100.0, "before: the start");
        let moment = Axis::new(t0, t0, 0.0, 60.0);
        assert_eq!(moment.end, t0 + Duration::minutes(1), "a minute at least");
        assert_eq!(moment.x(t0 + Duration::seconds(30)), 30.0);
    }
}
