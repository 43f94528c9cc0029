//! The simulated time-of-day clock behind get-time-of-day.

use serde::{Deserialize, Serialize};

/// A clock that moves only when told to: seconds and nanoseconds since 1970 (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimClock {
    /// Seconds since the epoch.
    pub secs: u64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl Default for SimClock {
    /// 2026-11-21 00:00:00 UTC.
    fn default() -> Self {
        SimClock {
            secs: 1_795_219_200,
            nanos: 0,
        }
    }
}

/// A calendar time: year, month, day, hour, minute, second, nanosecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilTime {
    /// Year.
    pub year: u32,
    /// Month 1..12.
    pub month: u32,
    /// Day 1..31.
    pub day: u32,
    /// Hour.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second.
    pub second: u32,
    /// Nanosecond.
    pub nanos: u32,
}

impl SimClock {
    /// Moves the clock forward.
    pub fn advance(&mut self, nanos: u64) {
        let total = self.nanos as u64 + nanos;
        self.secs += total / 1_000_000_000;
        self.nanos = (total % 1_000_000_000) as u32;
    }

    /// The calendar time now (proleptic Gregorian, UTC).
    pub fn civil(&self) -> CivilTime {
        let days = (self.secs / 86_400) as i64;
        let rem = self.secs % 86_400;
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as u32;
        CivilTime {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem / 60 % 60) as u32,
            second: (rem % 60) as u32,
            nanos: self.nanos,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar() {
        let c = SimClock::default().civil();
        assert_eq!((c.year, c.month, c.day, c.hour), (2026, 11, 21, 0));
        let mut k = SimClock {
            secs: 951_782_400,
            nanos: 0,
        }; // 2000-02-29
        assert_eq!(
            (k.civil().year, k.civil().month, k.civil().day),
            (2000, 2, 29)
        );
        k.advance(86_400 * 1_000_000_000 + 3_723_000_000_001);
        let c = k.civil();
        assert_eq!(
            (c.month, c.day, c.hour, c.minute, c.second, c.nanos),
            (3, 1, 1, 2, 3, 1)
        );
    }
}
