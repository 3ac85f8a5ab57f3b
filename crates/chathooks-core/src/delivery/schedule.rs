//! When to try a failed call again.

/// The delay schedules between attempts, named as Rocket.Chat's `retryDelay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Schedule {
    /// 10^(n+2) ms: 100 ms, 1 s, 10 s, 100 s... (Rocket.Chat's default).
    #[default]
    PowersOfTen,
    /// 2^(n+1) s: 2 s, 4 s, 8 s...
    PowersOfTwo,
    /// (n+1)·2 s: 2 s, 4 s, 6 s...
    IncrementsOfTwo,
}

impl Schedule {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Schedule::PowersOfTen => "powers-of-ten",
            Schedule::PowersOfTwo => "powers-of-two",
            Schedule::IncrementsOfTwo => "increments-of-two",
        }
    }

    /// From a stored or configured name; anything else is the default, as in
    /// Rocket.Chat.
    pub fn parse(name: &str) -> Self {
        match name {
            "powers-of-two" => Schedule::PowersOfTwo,
            "increments-of-two" => Schedule::IncrementsOfTwo,
            _ => Schedule::PowersOfTen,
        }
    }

    /// Wait before retry `n` (counted from 0), in ms. Saturates instead of
    /// overflowing for absurd retry counts.
    pub fn delay_ms(self, n: u32) -> i64 {
        let n = i64::from(n);
        match self {
            Schedule::PowersOfTwo => 2_i64
                .checked_pow(u32::try_from(n + 1).unwrap_or(u32::MAX))
                .map_or(i64::MAX, |s| s.saturating_mul(1000)),
            Schedule::IncrementsOfTwo => (n + 1).saturating_mul(2000),
            Schedule::PowersOfTen => 10_i64
                .checked_pow(u32::try_from(n + 2).unwrap_or(u32::MAX))
                .unwrap_or(i64::MAX),
        }
    }
}

/// How often a failed call is made again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: one attempt only).
    pub retries: u32,
    pub schedule: Schedule,
}

impl RetryPolicy {
    /// One attempt, never retried (Mattermost's outgoing webhooks).
    pub const ONCE: RetryPolicy = RetryPolicy {
        retries: 0,
        schedule: Schedule::PowersOfTen,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays() {
        let ten: Vec<i64> = (0..4).map(|n| Schedule::PowersOfTen.delay_ms(n)).collect();
        assert_eq!(ten, [100, 1_000, 10_000, 100_000]);
        let two: Vec<i64> = (0..3).map(|n| Schedule::PowersOfTwo.delay_ms(n)).collect();
        assert_eq!(two, [2_000, 4_000, 8_000]);
        let inc: Vec<i64> = (0..3).map(|n| Schedule::IncrementsOfTwo.delay_ms(n)).collect();
        assert_eq!(inc, [2_000, 4_000, 6_000]);
        assert_eq!(Schedule::PowersOfTen.delay_ms(1_000), i64::MAX);
        assert_eq!(Schedule::PowersOfTwo.delay_ms(1_000), i64::MAX);
    }

    #[test]
    fn names_round_trip_and_unknown_is_the_default() {
        for schedule in [Schedule::PowersOfTen, Schedule::PowersOfTwo, Schedule::IncrementsOfTwo] {
            assert_eq!(Schedule::parse(schedule.as_str()), schedule);
        }
        assert_eq!(Schedule::parse("whenever"), Schedule::PowersOfTen);
    }
}
