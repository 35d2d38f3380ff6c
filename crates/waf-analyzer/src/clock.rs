//! Wall-clock helpers. The detection core never reads the clock itself: the
//! daemon passes `now` (Unix milliseconds) in, so tests and `replay` are exact.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, as used everywhere in this crate.
pub type UnixMillis = u64;

/// The current wall-clock time.
pub fn now_ms() -> UnixMillis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `2026-11-24T04:21:41Z` (seconds precision, UTC).
pub fn format_rfc3339(ms: UnixMillis) -> String {
    let secs = (ms / 1000) as i64;
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Reads the timestamp spellings audit logs use, to Unix milliseconds:
/// RFC 3339 (`2026-11-24T04:21:41.5Z`, `+01:00` offsets), Coraza's
/// `2026/11/24 04:21:41`, Apache's `24/Nov/2026:04:21:41 +0000` and
/// libmodsecurity3's ctime `Tue Nov 24 04:21:41 2026`. Without an offset, UTC.
pub fn parse_timestamp(s: &str) -> Option<UnixMillis> {
    let s = s.trim();
    // Split into alphanumeric tokens, remembering a trailing numeric offset.
    let mut nums: Vec<i64> = Vec::new();
    let mut month: Option<i64> = None;
    let mut frac_ms: i64 = 0;
    let mut offset_min: i64 = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut after_seconds = false;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let tok = &s[start..i];
            let prev = if start > 0 { bytes[start - 1] } else { b' ' };
            if after_seconds && prev == b'.' {
                let digits = &tok[..tok.len().min(3)];
                let v: i64 = digits.parse().ok()?;
                i = start + tok.len();
                frac_ms = v * 10_i64.pow(3 - digits.len() as u32);
                continue;
            }
            if after_seconds && (prev == b'+' || prev == b'-') {
                let sign = if prev == b'-' { -1 } else { 1 };
                let (h, m) = if tok.len() == 4 {
                    (tok[..2].parse::<i64>().ok()?, tok[2..].parse::<i64>().ok()?)
                } else {
                    let h = tok.parse::<i64>().ok()?;
                    let mut m = 0;
                    if i < bytes.len() && bytes[i] == b':' {
                        let st = i + 1;
                        let mut e = st;
                        while e < bytes.len() && bytes[e].is_ascii_digit() {
                            e += 1;
                        }
                        m = s[st..e].parse().ok()?;
                        i = e;
                    }
                    (h, m)
                };
                if !(0..=23).contains(&h) || !(0..=59).contains(&m) {
                    return None;
                }
                offset_min = sign * (h * 60 + m);
                continue;
            }
            nums.push(tok.parse().ok()?);
            if nums.len() + usize::from(month.is_some()) >= 6 {
                after_seconds = true;
            }
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            let tok = s[start..i].to_ascii_lowercase();
            if tok.len() >= 3
                && let Some(m) = MONTHS.iter().position(|x| tok.starts_with(x))
            {
                month = Some(m as i64 + 1);
            }
        } else {
            i += 1;
        }
    }
    let (y, mo, d, h, mi, se) = match month {
        None if nums.len() >= 6 && nums[0] > 31 => {
            (nums[0], nums[1], nums[2], nums[3], nums[4], nums[5])
        }
        // "24/Nov/2026:04:21:41"
        Some(m) if nums.len() >= 5 && nums[1] > 31 => {
            (nums[1], m, nums[0], nums[2], nums[3], nums[4])
        }
        // "Tue Nov 24 04:21:41 2026"
        Some(m) if nums.len() >= 5 && nums[4] > 31 => {
            (nums[4], m, nums[0], nums[1], nums[2], nums[3])
        }
        _ => return None,
    };
    if !(1970..=9999).contains(&y)
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
        || !(0..=23).contains(&h)
        || !(0..=59).contains(&mi)
        || !(0..=60).contains(&se)
    {
        return None;
    }
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset_min * 60;
    u64::try_from(secs * 1000 + frac_ms).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_formats() {
        let t = 1_795_494_101_000; // 2026-11-24T04:21:41Z
        assert_eq!(format_rfc3339(t), "2026-11-24T04:21:41Z");
        assert_eq!(parse_timestamp("2026-11-24T04:21:41Z"), Some(t));
        assert_eq!(parse_timestamp("2026-11-24T04:21:41.250Z"), Some(t + 250));
        assert_eq!(parse_timestamp("2026-11-24T05:21:41+01:00"), Some(t));
        assert_eq!(parse_timestamp("2026/11/24 04:21:41"), Some(t));
        assert_eq!(parse_timestamp("24/Nov/2026:04:21:41 +0000"), Some(t));
        assert_eq!(parse_timestamp("Tue Nov 24 04:21:41 2026"), Some(t));
        assert_eq!(parse_timestamp("garbage"), None);
        assert_eq!(parse_timestamp("99999999999999999999-1-1 0:0:0"), None);
        assert_eq!(parse_timestamp("999999999999-1-1 0:0:0"), None);
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
