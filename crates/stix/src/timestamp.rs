//! STIX timestamps (STIX 2.1 section 3.2), kept exactly as written.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A STIX timestamp: RFC 3339, UTC, `Z` suffix, optional fractional seconds.
///
/// The exact text is kept (a timestamp read and written back is byte-identical); ordering and
/// equality use the instant, with nanosecond precision.
#[derive(Clone)]
pub struct Timestamp {
    text: Text,
    /// Nanoseconds since the Unix epoch.
    nanos: i128,
    /// Number of fractional-second digits as written.
    precision: u8,
}

/// The longest text of a timestamp: `YYYY-MM-DDTHH:MM:SS`, a point, nine fractional digits
/// (the most [`Timestamp::from_str`] accepts) and `Z`.
const MAX_LEN: usize = 30;

/// A timestamp's text, held inline: objects carry two timestamps each, and a page of them
/// served or stored allocated twice per object for these few bytes.
#[derive(Clone, Copy)]
struct Text {
    bytes: [u8; MAX_LEN],
    len: u8,
}

impl Text {
    /// `s`, which the caller checked is ASCII of at most [`MAX_LEN`] bytes.
    fn new(s: &str) -> Text {
        let mut bytes = [0; MAX_LEN];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Text {
            bytes,
            len: s.len() as u8,
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).expect("ASCII by construction")
    }
}

/// Why a string is not a STIX timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid timestamp {value:?}: expected RFC 3339 in UTC like 2016-05-12T08:17:27.000Z")]
pub struct TimestampError {
    /// The rejected value (truncated to 100 characters).
    pub value: String,
}

impl Timestamp {
    /// The exact text.
    pub fn as_str(&self) -> &str {
        self.text.as_str()
    }

    /// Nanoseconds since the Unix epoch.
    pub fn unix_nanos(&self) -> i128 {
        self.nanos
    }

    /// Microseconds since the Unix epoch (truncated).
    pub fn unix_micros(&self) -> i64 {
        (self.nanos.div_euclid(1000)) as i64
    }

    /// Number of fractional-second digits as written (0 when there are none).
    pub fn precision(&self) -> u8 {
        self.precision
    }

    /// A fixed-width text (`YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`) whose byte order is the time order.
    /// Stores use it as a sortable key.
    pub fn sort_key(&self) -> String {
        let secs = self.nanos.div_euclid(1_000_000_000) as i64;
        let frac = self.nanos.rem_euclid(1_000_000_000);
        let dt = time::OffsetDateTime::from_unix_timestamp(secs).expect("in range by construction");
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
            dt.year(),
            dt.month() as u8,
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            frac
        )
    }

    /// A timestamp from microseconds since the epoch, written with six fractional digits (the
    /// form TAXII servers use for `date_added`).
    pub fn from_unix_micros(micros: i64) -> Timestamp {
        let nanos = micros as i128 * 1000;
        let secs = micros.div_euclid(1_000_000);
        let frac = micros.rem_euclid(1_000_000);
        let dt = time::OffsetDateTime::from_unix_timestamp(secs).expect("micros in range");
        let text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            dt.year(),
            dt.month() as u8,
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            frac
        );
        Timestamp {
            text: Text::new(&text),
            nanos,
            precision: 6,
        }
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, d| acc * 10 + (d - b'0') as u32))
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || TimestampError {
            value: s.chars().take(100).collect(),
        };
        let b = s.as_bytes();
        // YYYY-MM-DDTHH:MM:SS[.s+]Z
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
            return Err(err());
        }
        if b[16] != b':' || *b.last().unwrap() != b'Z' {
            return Err(err());
        }
        let year = digits(&b[0..4]).ok_or_else(err)? as i32;
        let month = digits(&b[5..7]).ok_or_else(err)? as u8;
        let day = digits(&b[8..10]).ok_or_else(err)? as u8;
        let hour = digits(&b[11..13]).ok_or_else(err)? as u8;
        let minute = digits(&b[14..16]).ok_or_else(err)? as u8;
        // RFC 3339 allows a leap second (60); STIX timestamps are UTC, so accept and fold it.
        let second = digits(&b[17..19]).ok_or_else(err)? as u8;
        let rest = &b[19..b.len() - 1];
        let (frac_nanos, precision) = if rest.is_empty() {
            (0i128, 0u8)
        } else {
            if rest[0] != b'.' || rest.len() < 2 || rest.len() > 10 {
                return Err(err());
            }
            let f = &rest[1..];
            let v = digits(f).ok_or_else(err)? as i128;
            (v * 10i128.pow(9 - f.len() as u32), f.len() as u8)
        };
        let month = time::Month::try_from(month).map_err(|_| err())?;
        let date = time::Date::from_calendar_date(year, month, day).map_err(|_| err())?;
        let (second, leap) = if second == 60 { (59, 1) } else { (second, 0) };
        let t = time::Time::from_hms(hour, minute, second).map_err(|_| err())?;
        let dt = date.with_time(t).assume_utc();
        let nanos = (dt.unix_timestamp() as i128 + leap) * 1_000_000_000 + frac_nanos;
        Ok(Timestamp {
            // At most MAX_LEN ASCII bytes: every byte was checked above, and the fraction has
            // at most nine digits.
            text: Text::new(s),
            nanos,
            precision,
        })
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl std::hash::Hash for Timestamp {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.nanos.hash(state)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.as_str())
    }
}
