//! China time (UTC+8, no daylight saving), the protocol's `yyyy-MM-dd HH:mm:ss` timestamps.
//!
//! Pure conversions between Unix seconds and civil time (Howard Hinnant's days-from-civil
//! algorithm); only [`now`] reads the system clock.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

const OFFSET_SECS: i64 = 8 * 3600;

/// A moment in China time, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChinaTime {
    unix: i64,
}

impl ChinaTime {
    pub fn from_unix(unix: i64) -> ChinaTime {
        ChinaTime { unix }
    }

    pub fn unix(self) -> i64 {
        self.unix
    }

    /// Parses exactly `yyyy-MM-dd HH:mm:ss` (19 characters, a real calendar date).
    pub fn parse(text: &str) -> Option<ChinaTime> {
        let b = text.as_bytes();
        if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |range: std::ops::Range<usize>| -> Option<i64> {
            let part = &b[range];
            if !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            Some(
                part.iter()
                    .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')),
            )
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let local = days * 86_400 + hour * 3600 + minute * 60 + second;
        Some(ChinaTime {
            unix: local - OFFSET_SECS,
        })
    }

    /// (year, month, day, hour, minute, second) in UTC+8.
    pub fn fields(self) -> (i64, i64, i64, i64, i64, i64) {
        let local = self.unix + OFFSET_SECS;
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
    }

    /// `yyyyMMdd`, for daily log file names.
    pub(crate) fn date_compact(self) -> String {
        let (y, m, d, ..) = self.fields();
        format!("{y:04}{m:02}{d:02}")
    }
}

impl fmt::Display for ChinaTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = self.fields();
        write!(f, "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
    }
}

/// The system clock, now.
pub fn now() -> ChinaTime {
    let unix = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(before) => -(before.duration().as_secs() as i64),
    };
    ChinaTime::from_unix(unix)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_moment() {
        // 2022-05-10 16:56:24 in UTC+8 is 08:56:24 UTC, Unix 1652172984.
        let t = ChinaTime::parse("2022-05-10 16:56:24").unwrap();
        assert_eq!(t.unix(), 1_652_172_984);
        assert_eq!(t.to_string(), "2022-05-10 16:56:24");
        assert_eq!(t.date_compact(), "20220510");
    }

    #[test]
    fn round_trips_across_years() {
        for unix in (-86_400 * 400..86_400 * 365 * 80).step_by(86_400 * 7 + 3_607) {
            let t = ChinaTime::from_unix(unix);
            assert_eq!(ChinaTime::parse(&t.to_string()), Some(t));
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "2022-05-10T16:56:24",
            "2022-5-10 16:56:24",
            "2022-02-30 00:00:00",
            "2023-02-29 00:00:00",
            "2022-05-10 24:00:00",
            "2022-05-10 16:56:24 ",
            "２０２２-05-10 16:56",
            "2022/05/10 16:56:24",
        ] {
            assert_eq!(ChinaTime::parse(bad), None, "{bad:?}");
        }
        assert!(ChinaTime::parse("2024-02-29 23:59:59").is_some());
    }
}
