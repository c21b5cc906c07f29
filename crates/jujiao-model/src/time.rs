//! Publish times. Pages give either a full time or only a day; both are kept as given.
//! China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact for
//! every article jujiao deals with and no time-zone database is needed.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Seconds east of UTC for Asia/Shanghai.
pub const SHANGHAI_OFFSET_SECS: i32 = 8 * 3600;

/// The Asia/Shanghai offset (+08:00).
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(SHANGHAI_OFFSET_SECS).expect("+08:00 is a valid offset")
}

/// When an article was published, as precisely as its page says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PublishTime {
    /// A full time, carried with its offset (usually +08:00).
    DateTime(DateTime<FixedOffset>),
    /// Only the day is known.
    Date(NaiveDate),
}

impl PublishTime {
    /// A local Asia/Shanghai wall-clock time.
    pub fn from_shanghai(local: NaiveDateTime) -> Self {
        let dt = local
            .and_local_timezone(shanghai())
            .single()
            .expect("a fixed offset maps every local time to exactly one instant");
        PublishTime::DateTime(dt)
    }

    /// The calendar day in Asia/Shanghai.
    pub fn date(&self) -> NaiveDate {
        match self {
            PublishTime::DateTime(dt) => dt.with_timezone(&shanghai()).date_naive(),
            PublishTime::Date(d) => *d,
        }
    }

    /// ISO 8601: `2020-06-10T09:30:00+08:00` for a time, `2020-06-10` for a day.
    pub fn to_iso(&self) -> String {
        self.to_string()
    }

    /// Parses what [`PublishTime::to_iso`] writes (and any RFC 3339 time).
    pub fn parse_iso(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
            return Some(PublishTime::DateTime(dt));
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .map(PublishTime::Date)
    }
}

impl fmt::Display for PublishTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublishTime::DateTime(dt) => write!(f, "{}", dt.format("%Y-%m-%dT%H:%M:%S%:z")),
            PublishTime::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trip_keeps_precision() {
        let t = PublishTime::from_shanghai(
            NaiveDate::from_ymd_opt(2020, 6, 10)
                .unwrap()
                .and_hms_opt(9, 30, 0)
                .unwrap(),
        );
        assert_eq!(t.to_iso(), "2020-06-10T09:30:00+08:00");
        assert_eq!(PublishTime::parse_iso(&t.to_iso()), Some(t));
        let d = PublishTime::Date(NaiveDate::from_ymd_opt(2019, 10, 31).unwrap());
        assert_eq!(d.to_iso(), "2019-10-31");
        assert_eq!(PublishTime::parse_iso("2019-10-31"), Some(d));
    }

    #[test]
    fn date_is_the_shanghai_day_even_for_utc_input() {
        let t = PublishTime::parse_iso("2020-06-09T20:00:00Z").unwrap();
        assert_eq!(t.date(), NaiveDate::from_ymd_opt(2020, 6, 10).unwrap());
    }
}
