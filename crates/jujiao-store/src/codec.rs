//! How model values are written into columns and read back: lists and publish times as
//! JSON and text, the same for every backend; dates and times as sortable text where a
//! column holds text (SQLite: `sqlite/dialect.rs` binds through these, PostgreSQL binds
//! its native `DATE` and `TIMESTAMPTZ`).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use jujiao_model::{Attachment, Fingerprint, Image, Paragraph, PublishTime};

/// Now, to the microsecond both backends keep (PostgreSQL's `TIMESTAMPTZ`, the six
/// fraction digits of [`timestamp_text`]), so that a time read back equals the one
/// written.
pub(crate) fn now() -> DateTime<Utc> {
    let t = Utc::now();
    t - chrono::Duration::nanoseconds(i64::from(t.timestamp_subsec_nanos() % 1_000))
}

/// `YYYY-MM-DD`.
pub(crate) fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(crate) fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| format!("date {s:?}: {e}"))
}

/// UTC with microseconds and a `Z`, fixed width so that text order is time order.
pub(crate) fn timestamp_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(crate) fn parse_timestamp(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("timestamp {s:?}: {e}"))
}

/// Exact: keeps the offset and any fraction of a second.
pub(crate) fn publish_time_text(p: PublishTime) -> String {
    match p {
        PublishTime::DateTime(dt) => dt.to_rfc3339_opts(SecondsFormat::AutoSi, false),
        PublishTime::Date(d) => date_text(d),
    }
}

pub(crate) fn parse_publish_time(s: &str) -> Result<PublishTime, String> {
    PublishTime::parse_iso(s).ok_or_else(|| format!("publish time {s:?}"))
}

pub(crate) fn fingerprint_from_bytes(b: &[u8]) -> Result<Fingerprint, String> {
    <[u8; 32]>::try_from(b)
        .map(Fingerprint)
        .map_err(|_| format!("fingerprint of {} bytes, expected 32", b.len()))
}

/// Paragraphs as a JSON array of their raw strings.
pub(crate) fn paragraphs_json(p: &[Paragraph]) -> Result<String, serde_json::Error> {
    serde_json::to_string(p)
}

pub(crate) fn parse_paragraphs(s: &str) -> Result<Vec<Paragraph>, String> {
    serde_json::from_str(s).map_err(|e| format!("paragraphs: {e}"))
}

/// A JSON array, or `None` for an empty list (most articles have no images).
pub(crate) fn list_json<T: serde::Serialize>(
    items: &[T],
) -> Result<Option<String>, serde_json::Error> {
    if items.is_empty() {
        Ok(None)
    } else {
        serde_json::to_string(items).map(Some)
    }
}

pub(crate) fn parse_images(s: Option<&str>) -> Result<Vec<Image>, String> {
    s.map_or(Ok(Vec::new()), |s| {
        serde_json::from_str(s).map_err(|e| format!("images: {e}"))
    })
}

pub(crate) fn parse_attachments(s: Option<&str>) -> Result<Vec<Attachment>, String> {
    s.map_or(Ok(Vec::new()), |s| {
        serde_json::from_str(s).map_err(|e| format!("attachments: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, TimeZone};

    #[test]
    fn timestamps_sort_as_text_and_round_trip() {
        let a = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let b = a + chrono::Duration::microseconds(1);
        assert!(timestamp_text(a) < timestamp_text(b));
        assert_eq!(timestamp_text(a), "2026-01-02T03:04:05.000000Z");
        assert_eq!(parse_timestamp(&timestamp_text(b)).unwrap(), b);
    }

    #[test]
    fn publish_time_keeps_offset_and_fraction() {
        let off = FixedOffset::east_opt(8 * 3600).unwrap();
        let t = off.with_ymd_and_hms(2020, 6, 10, 9, 30, 0).unwrap()
            + chrono::Duration::milliseconds(250);
        let p = PublishTime::DateTime(t);
        assert_eq!(publish_time_text(p), "2020-06-10T09:30:00.250+08:00");
        assert_eq!(parse_publish_time(&publish_time_text(p)).unwrap(), p);
        let d = PublishTime::Date(NaiveDate::from_ymd_opt(2019, 10, 31).unwrap());
        assert_eq!(parse_publish_time(&publish_time_text(d)).unwrap(), d);
    }

    #[test]
    fn fingerprint_needs_32_bytes() {
        assert!(fingerprint_from_bytes(&[0; 31]).is_err());
        assert_eq!(
            fingerprint_from_bytes(&[7; 32]).unwrap(),
            Fingerprint([7; 32])
        );
    }
}
