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
}

/// The longest text of a timestamp: `YYYY-MM-DDTHH:MM:SS`, a point, nine fractional digits
/// (the most [`Timestamp::from_str`] accepts) and `Z`.
const MAX_LEN: usize = 30;

/// A timestamp's text, held inline: objects carry two timestamps each, and a page of them
/// served or stored allocated twice per object for these few bytes.
///
/// Thirty-two bytes: the text first, then the number of fractional-second digits it has (byte
/// 30) and its length (byte 31). They are written as two 16-byte halves: a `Timestamp` is moved
/// a few times on its way into an object or an observation, and each move reads it in 16-byte
/// pieces, which the processor forwards from stores of the same shape but not from a
/// variable-length copy.
#[derive(Clone, Copy)]
#[repr(C, align(16))]
struct Text {
    bytes: [u8; 32],
}

impl Text {
    /// `s`, which the caller checked is ASCII of at most [`MAX_LEN`] bytes, with `precision`
    /// fractional-second digits.
    fn new(s: &str, precision: u8) -> Text {
        let (b, n) = (s.as_bytes(), s.len());
        debug_assert!(n <= MAX_LEN && MAX_LEN < 32);
        let mut bytes = [0; 32];
        if n >= 20 {
            // The first sixteen bytes, and the last sixteen shifted down so that the text's
            // byte 16 comes first and the bytes past its end are zero.
            let half = |at: usize| u128::from_le_bytes(b[at..at + 16].try_into().expect("16"));
            let high =
                half(n - 16) >> ((32 - n) * 8) | (precision as u128) << 112 | (n as u128) << 120;
            bytes[..16].copy_from_slice(&half(0).to_le_bytes());
            bytes[16..].copy_from_slice(&high.to_le_bytes());
        } else {
            bytes[..n].copy_from_slice(b);
            bytes[30] = precision;
            bytes[31] = n as u8;
        }
        Text { bytes }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.bytes[31])])
            .expect("ASCII by construction")
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
        self.text.bytes[30]
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
            text: Text::new(&text, 6),
            nanos,
        }
    }
}

/// The value of the ASCII decimal digits `b`, or `None` when one is not a digit.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, d| {
        let d = d.wrapping_sub(b'0');
        (d < 10).then(|| acc * 10 + u32::from(d))
    })
}

/// Eight bytes of `b` from `at`, the first in the lowest byte.
fn word(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("eight bytes"))
}

/// `w` with the bytes `digits` selects (0xff) checked to be ASCII digits and the others equal
/// to those of `separators`; the digits' values (0-9) in place, the other bytes zero.
fn digits_and_separators(w: u64, digits: u64, separators: u64) -> Option<u64> {
    const ZEROS: u64 = u64::from_le_bytes([b'0'; 8]);
    const HIGH: u64 = u64::from_le_bytes([0xf0; 8]);
    const SIX: u64 = u64::from_le_bytes([6; 8]);
    // The separators replaced by '0', so that every byte must now be a digit: a byte is one
    // exactly when its high nibble is 3 and it stays below 0x40 after adding 6. (A byte of 0xfa
    // or more carries into the next one, but fails the first test itself.)
    let v = (w & digits) | (ZEROS & !digits);
    let all_digits = (v & HIGH) | (((v.wrapping_add(SIX)) & HIGH) >> 4);
    (all_digits == u64::from_le_bytes([0x33; 8]) && w & !digits == separators)
        .then(|| (v - ZEROS) & digits)
}

/// Byte `i` (0 lowest) of `w`, as a number.
fn byte(w: u64, i: u32) -> u32 {
    (w >> (8 * i)) as u32 & 0xff
}

/// Days from 1970-01-01 to the proleptic Gregorian date `year-month-day` (year 0-9999), which
/// the caller checked is a real date: Howard Hinnant's `days_from_civil`, counting years from
/// March so that the leap day ends a year, and shifted by one 400-year era so that every
/// quantity stays positive.
#[inline(always)]
fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    let y = year + 400 - u32::from(month <= 2);
    let (era, year_of_era) = (y / 400, y % 400);
    let month_from_march = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    i64::from(era) * 146_097 + i64::from(day_of_era) - 719_468 - 146_097
}

/// The number of days in `month` (1-12) of `year`.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Reads `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`: nanoseconds since the epoch and the number of
/// fractional digits, or `None` when `b` is not a timestamp.
///
/// Every field sits at a fixed offset, so the digits are read by position and the instant is
/// computed arithmetically. Years 0000-9999 are accepted (proleptic Gregorian), and so is a
/// leap second (`:60`, which RFC 3339 allows): STIX timestamps are UTC, so it is folded into the
/// next minute.
fn parse(b: &[u8]) -> Option<(i128, u8)> {
    // Which bytes of each eight-byte word read are digits, and what the others must be.
    const DIGITS_0: u64 = u64::from_le_bytes([0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0]);
    const SEPARATORS_0: u64 = u64::from_le_bytes([0, 0, 0, 0, b'-', 0, 0, b'-']);
    const DIGITS_8: u64 = u64::from_le_bytes([0xff, 0xff, 0, 0xff, 0xff, 0, 0xff, 0xff]);
    const SEPARATORS_8: u64 = u64::from_le_bytes([0, 0, b'T', 0, 0, b':', 0, 0]);
    const DIGITS_12: u64 = u64::from_le_bytes([0xff, 0, 0xff, 0xff, 0, 0xff, 0xff, 0]);
    const SEPARATORS_12: u64 = u64::from_le_bytes([0, b':', 0, 0, b':', 0, 0, 0]);
    if b.len() < 20 || b.len() > MAX_LEN || b[b.len() - 1] != b'Z' {
        return None;
    }
    let w0 = digits_and_separators(word(b, 0), DIGITS_0, SEPARATORS_0)?;
    let w8 = digits_and_separators(word(b, 8), DIGITS_8, SEPARATORS_8)?;
    // Bytes 12-18, `H:MM:SS` (the hour and minute digits are checked twice); byte 19, which
    // starts the fraction or is the `Z`, is left out here.
    let w12 = digits_and_separators(
        word(b, 12) & 0x00ff_ffff_ffff_ffff,
        DIGITS_12,
        SEPARATORS_12,
    )?;
    let two = |w: u64, i: u32| byte(w, i) * 10 + byte(w, i + 1);
    let year = two(w0, 0) * 100 + two(w0, 2);
    let month = two(w0, 5);
    let day = two(w8, 0);
    let hour = two(w8, 3);
    let minute = two(w8, 6);
    let second = two(w12, 5);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let (fraction, precision) = match &b[19..b.len() - 1] {
        [] => (0, 0),
        [b'.', f @ ..] if !f.is_empty() => {
            (digits(f)? * 10u32.pow(9 - f.len() as u32), f.len() as u8)
        }
        _ => return None,
    };
    let seconds =
        days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Some((
        i128::from(seconds) * 1_000_000_000 + i128::from(fraction),
        precision,
    ))
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match parse(s.as_bytes()) {
            Some((nanos, precision)) => Ok(Timestamp {
                // At most MAX_LEN ASCII bytes: `parse` checked every byte and the length.
                text: Text::new(s, precision),
                nanos,
            }),
            None => Err(TimestampError {
                value: s.chars().take(100).collect(),
            }),
        }
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The parser this module had before `parse`, built on the `time` crate: the reference
    /// `parse` must agree with on every input.
    fn reference(s: &str) -> Option<(i128, u8)> {
        fn digits(b: &[u8]) -> Option<u32> {
            if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
                return None;
            }
            Some(b.iter().fold(0u32, |acc, d| acc * 10 + (d - b'0') as u32))
        }
        let b = s.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
            return None;
        }
        if b[16] != b':' || *b.last().unwrap() != b'Z' {
            return None;
        }
        let year = digits(&b[0..4])? as i32;
        let month = digits(&b[5..7])? as u8;
        let day = digits(&b[8..10])? as u8;
        let hour = digits(&b[11..13])? as u8;
        let minute = digits(&b[14..16])? as u8;
        let second = digits(&b[17..19])? as u8;
        let rest = &b[19..b.len() - 1];
        let (frac_nanos, precision) = if rest.is_empty() {
            (0i128, 0u8)
        } else {
            if rest[0] != b'.' || rest.len() < 2 || rest.len() > 10 {
                return None;
            }
            let f = &rest[1..];
            let v = digits(f)? as i128;
            (v * 10i128.pow(9 - f.len() as u32), f.len() as u8)
        };
        let month = time::Month::try_from(month).ok()?;
        let date = time::Date::from_calendar_date(year, month, day).ok()?;
        let (second, leap) = if second == 60 { (59, 1) } else { (second, 0) };
        let t = time::Time::from_hms(hour, minute, second).ok()?;
        let dt = date.with_time(t).assume_utc();
        Some((
            (dt.unix_timestamp() as i128 + leap) * 1_000_000_000 + frac_nanos,
            precision,
        ))
    }

    fn read(s: &str) -> Option<(i128, u8)> {
        let parsed = s.parse::<Timestamp>().ok()?;
        assert_eq!(parsed.as_str(), s);
        Some((parsed.unix_nanos(), parsed.precision()))
    }

    /// Each of `texts` is refused, by `parse` and by the reference alike.
    fn rejected(texts: &[&str]) {
        for s in texts {
            assert_eq!(read(s), None, "{s}");
            assert_eq!(reference(s), None, "{s}");
        }
    }

    const SECOND: i128 = 1_000_000_000;

    #[test]
    fn a_timestamp_is_three_16_byte_words() {
        assert_eq!(std::mem::size_of::<Timestamp>(), 48);
        let t = Timestamp::from_unix_micros(1_767_225_600_123_456);
        assert_eq!(
            (t.as_str(), t.precision()),
            ("2026-01-01T00:00:00.123456Z", 6)
        );
    }
    const DAY: i128 = 86_400 * SECOND;

    #[test]
    fn instants() {
        for (s, nanos, precision) in [
            ("1970-01-01T00:00:00Z", 0, 0),
            ("1970-01-01T00:00:00.5Z", SECOND / 2, 1),
            ("1969-12-31T23:59:59.999999999Z", -1, 9),
            ("2016-05-12T08:17:27.000Z", 1_463_041_047 * SECOND, 3),
            ("2000-03-01T00:00:00Z", 951_868_800 * SECOND, 0),
            ("0000-01-01T00:00:00Z", -62_167_219_200 * SECOND, 0),
            ("9999-12-31T23:59:59Z", 253_402_300_799 * SECOND, 0),
            (
                "2026-01-01T00:00:00.123456Z",
                1_767_225_600 * SECOND + 123_456_000,
                6,
            ),
        ] {
            assert_eq!(read(s), Some((nanos, precision)), "{s}");
            assert_eq!(reference(s), Some((nanos, precision)), "{s}");
        }
    }

    #[test]
    fn leap_days() {
        for (year, leap) in [
            (1900, false),
            (2000, true),
            (2024, true),
            (2023, false),
            (2100, false),
            (0, true),
            (4, true),
            (400, true),
            (9996, true),
            (9999, false),
        ] {
            let feb29 = format!("{year:04}-02-29T00:00:00Z");
            let mar01 = format!("{year:04}-03-01T00:00:00Z");
            assert_eq!(read(&feb29).is_some(), leap, "{feb29}");
            let feb28 = read(&format!("{year:04}-02-28T00:00:00Z")).unwrap().0;
            let after = if leap { 2 } else { 1 };
            assert_eq!(read(&mar01).unwrap().0, feb28 + after * DAY, "{mar01}");
            assert!(read(&format!("{year:04}-02-30T00:00:00Z")).is_none());
        }
    }

    #[test]
    fn field_ranges() {
        rejected(&[
            "2026-00-01T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-00T00:00:00Z",
            "2026-01-32T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-06-31T00:00:00Z",
            "2026-09-31T00:00:00Z",
            "2026-11-31T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2026-01-01T00:00:61Z",
            "2026-01-01T00:00:99Z",
        ]);
        for s in [
            "2026-12-31T00:00:00Z",
            "2026-05-31T23:59:59Z",
            "2026-04-30T00:00:00Z",
        ] {
            assert!(read(s).is_some(), "{s}");
        }
    }

    #[test]
    fn leap_seconds_fold_into_the_next_minute() {
        let leap = read("2016-12-31T23:59:60Z").unwrap();
        let next = read("2017-01-01T00:00:00Z").unwrap();
        assert_eq!(leap, next);
        assert_eq!(
            read("2026-01-01T12:30:60.25Z").unwrap().0,
            read("2026-01-01T12:31:00Z").unwrap().0 + SECOND / 4
        );
    }

    #[test]
    fn fractions() {
        for digits in 1..=9 {
            let s = format!("2026-01-01T00:00:00.{}Z", "7".repeat(digits));
            let want = "7".repeat(digits).parse::<i128>().unwrap() * 10i128.pow(9 - digits as u32);
            assert_eq!(
                read(&s),
                Some((1_767_225_600 * SECOND + want, digits as u8))
            );
        }
        rejected(&[
            "2026-01-01T00:00:00.1234567890Z",
            "2026-01-01T00:00:00.123456789012Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00,5Z",
            "2026-01-01T00:00:00.5aZ",
            "2026-01-01T00:00:00.-5Z",
            "2026-01-01T00:00:00.+5Z",
            "2026-01-01T00:00:005Z",
        ]);
    }

    #[test]
    fn shapes_other_than_utc_with_z_are_rejected() {
        rejected(&[
            "",
            "2026-01-01",
            "2026-01-01T00:00:00",
            "2026-01-01t00:00:00Z",
            "2026-01-01T00:00:00z",
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00+00:00",
            "2026-01-01T00:00:00.5+00:00",
            "2026-1-01T00:00:00Z",
            "-026-01-01T00:00:00Z",
            "+026-01-01T00:00:00Z",
            "12026-01-01T00:00:00Z",
            "2026-01-01T00:00:0 Z",
            "2026/01/01T00:00:00Z",
            "2026-01-01T00.00.00Z",
            "２026-01-01T00:00:00Z",
            "2026-01-01T00:00:00ZZ",
            "2026-01-01T00:00:00Z ",
            " 2026-01-01T00:00:00Z",
        ]);
    }

    /// Text shaped like a timestamp, with fields often out of range and separators, fraction
    /// and suffix sometimes wrong.
    fn near_timestamp() -> impl Strategy<Value = String> {
        let digits = |n: usize| proptest::collection::vec(0u8..10, n);
        (
            digits(4),
            0u32..14,
            0u32..33,
            0u32..26,
            0u32..62,
            0u32..62,
            prop_oneof![
                4 => Just(String::new()),
                8 => "\\.[0-9]{1,9}",
                1 => "\\.[0-9]{10,12}",
                1 => "[.,:0-9a-zZ+-]{0,4}",
            ],
            prop_oneof![8 => Just("Z"), 1 => Just("z"), 1 => Just(""), 1 => Just("+00:00")],
            prop_oneof![8 => Just('T'), 1 => Just('t'), 1 => Just(' ')],
        )
            .prop_map(|(y, mo, d, h, mi, s, fraction, zone, t)| {
                let year: String = y.iter().map(|d| char::from(b'0' + d)).collect();
                format!("{year}-{mo:02}-{d:02}{t}{h:02}:{mi:02}:{s:02}{fraction}{zone}")
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn agrees_with_the_reference_on_near_timestamps(s in near_timestamp()) {
            prop_assert_eq!(read(&s), reference(&s), "{}", s);
        }

        #[test]
        fn agrees_with_the_reference_after_a_byte_is_changed(
            s in near_timestamp(),
            at in 0usize..32,
            byte in prop_oneof![Just(b'0'), Just(b'9'), Just(b'-'), Just(b':'), Just(b'.'),
                                Just(b'T'), Just(b'Z'), any::<u8>()],
        ) {
            let mut b = s.into_bytes();
            if at < b.len() {
                b[at] = byte;
            } else {
                b.push(byte);
            }
            if let Ok(s) = String::from_utf8(b) {
                prop_assert_eq!(read(&s), reference(&s), "{}", s);
            }
        }

        #[test]
        fn agrees_with_the_reference_on_any_text(s in "[0-9TZ:.-]{18,32}|\\PC{0,40}") {
            prop_assert_eq!(read(&s), reference(&s), "{}", s);
        }

        #[test]
        fn agrees_with_the_reference_on_every_valid_instant(
            secs in -62_167_219_200i64..253_402_300_800,
            fraction in 0u32..1_000_000_000,
            precision in 0usize..=9,
        ) {
            let dt = time::OffsetDateTime::from_unix_timestamp(secs).unwrap();
            let digits = format!("{fraction:09}");
            let fraction = if precision == 0 { String::new() } else { format!(".{}", &digits[..precision]) };
            let s = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}Z",
                dt.year(), dt.month() as u8, dt.day(), dt.hour(), dt.minute(), dt.second()
            );
            prop_assert!(read(&s).is_some(), "{}", s);
            prop_assert_eq!(read(&s), reference(&s), "{}", s);
        }
    }
}
