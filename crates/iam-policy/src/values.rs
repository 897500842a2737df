//! Typed condition values: booleans, numbers, dates, IP ranges.

use std::net::IpAddr;

/// `true`/`false`, case-insensitive.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A finite decimal number (integer or fractional).
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    if !t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            if leap {
                29
            } else {
                28
            }
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Count years from March so that the leap day is the last day of a year.
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let day_of_year = (153 * i64::from(m) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let chunk = self.b.get(self.i..self.i + n)?;
        let mut v = 0u32;
        for &c in chunk {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        self.i += n;
        Some(v)
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn done(&self) -> bool {
        self.i >= self.b.len()
    }
}

/// A date as milliseconds since the Unix epoch. Accepts ISO 8601
/// (`2024-05-01`, `2024-05-01T12:00:00Z`, fractional seconds, `±hh:mm`
/// offsets; no offset means UTC) and epoch seconds (`1714564800`).
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let secs: f64 = t.parse().ok()?;
        let ms = (secs * 1000.0).round();
        return if ms.is_finite() && ms.abs() < 9.0e15 {
            Some(ms as i64)
        } else {
            None
        };
    }
    let mut c = Cursor {
        b: t.as_bytes(),
        i: 0,
    };
    let year = i64::from(c.digits(4)?);
    if !c.eat(b'-') {
        return None;
    }
    let month = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let mut ms: i64 = days_from_civil(year, month, day) * 86_400_000;
    if c.done() {
        return Some(ms);
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    let hour = c.digits(2)?;
    if !c.eat(b':') {
        return None;
    }
    let minute = c.digits(2)?;
    let mut second = 0;
    let mut millis = 0i64;
    if c.eat(b':') {
        second = c.digits(2)?;
        if c.eat(b'.') || c.eat(b',') {
            let mut scale = 100i64;
            let mut any = false;
            while let Some(d) = c.peek().filter(u8::is_ascii_digit) {
                millis += i64::from(d - b'0') * scale;
                scale /= 10;
                c.i += 1;
                any = true;
            }
            if !any {
                return None;
            }
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    ms += (i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second.min(59))) * 1000
        + millis;
    if c.done() || c.eat(b'Z') || c.eat(b'z') {
        return c.done().then_some(ms);
    }
    let sign = if c.eat(b'+') {
        1
    } else if c.eat(b'-') {
        -1
    } else {
        return None;
    };
    let oh = c.digits(2)?;
    let om = if c.done() {
        0
    } else {
        c.eat(b':');
        c.digits(2)?
    };
    if !c.done() || oh > 23 || om > 59 {
        return None;
    }
    Some(ms - sign * (i64::from(oh) * 3600 + i64::from(om) * 60) * 1000)
}

/// An IP address range (a single address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    v6: bool,
    net: u128,
    prefix: u8,
}

fn ip_bits(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(a) => (false, u128::from(u32::from(a))),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => (false, u128::from(u32::from(v4))),
            None => (true, u128::from(a)),
        },
    }
}

fn mask(v: u128, v6: bool, prefix: u8) -> u128 {
    let width = if v6 { 128 } else { 32 };
    let host = u32::from(width - prefix);
    if host >= 128 {
        0
    } else {
        (v >> host) << host
    }
}

impl Cidr {
    /// `203.0.113.0/24`, `2001:db8::/32`, `203.0.113.7`.
    pub(crate) fn parse(s: &str) -> Option<Cidr> {
        let t = s.trim();
        let (addr, prefix) = match t.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (t, None),
        };
        let ip: IpAddr = addr.parse().ok()?;
        let (v6, bits) = match ip {
            IpAddr::V4(a) => (false, u128::from(u32::from(a))),
            IpAddr::V6(a) => (true, u128::from(a)),
        };
        let width: u8 = if v6 { 128 } else { 32 };
        let prefix = match prefix {
            Some(p) => {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                p.parse::<u8>().ok().filter(|p| *p <= width)?
            }
            None => width,
        };
        Some(Cidr {
            v6,
            net: mask(bits, v6, prefix),
            prefix,
        })
    }

    /// True when the address text `ip` lies in this range.
    pub(crate) fn contains(&self, ip: &str) -> bool {
        let t = ip.trim();
        let addr = t.split_once('/').map_or(t, |(a, _)| a);
        let Ok(ip) = addr.parse::<IpAddr>() else {
            return false;
        };
        let (v6, bits) = ip_bits(ip);
        v6 == self.v6 && mask(bits, v6, self.prefix) == self.net
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_date("2000-03-01T00:00:00Z"), Some(951_868_800_000));
        assert_eq!(
            parse_date("2024-02-29T12:30:00.5Z"),
            Some(1_709_209_800_500)
        );
        assert_eq!(
            parse_date("2024-02-29T13:30:00+01:00"),
            parse_date("2024-02-29T12:30:00Z")
        );
        assert_eq!(
            parse_date("2024-02-29T11:30:00-0100"),
            parse_date("2024-02-29T12:30:00Z")
        );
        assert_eq!(parse_date("1709209800"), Some(1_709_209_800_000));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("2024-01-01T25:00:00Z"), None);
        assert_eq!(parse_date("2024-01-01Tjunk"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date(""), None);
        assert_eq!(parse_date("1969-12-31T23:59:59Z"), Some(-1000));
    }

    #[test]
    fn numbers_and_bools() {
        assert_eq!(parse_number("1800"), Some(1800.0));
        assert_eq!(parse_number("-2.5"), Some(-2.5));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("1e999"), None);
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("no"), None);
    }

    #[test]
    fn cidrs() {
        let c = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(c.contains("203.0.113.200"));
        assert!(!c.contains("203.0.114.1"));
        assert!(!c.contains("2001:db8::1"));
        assert!(c.contains("::ffff:203.0.113.9"));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("8.8.8.8"));
        assert!(Cidr::parse("::/0").unwrap().contains("2001:db8::1"));
        let h = Cidr::parse("10.1.2.3").unwrap();
        assert!(h.contains("10.1.2.3"));
        assert!(!h.contains("10.1.2.4"));
        let v6 = Cidr::parse("2001:DB8:1234::/48").unwrap();
        assert!(v6.contains("2001:db8:1234:ffff::1"));
        assert!(!v6.contains("2001:db8:1235::1"));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("10.0.0.0/"), None);
        assert_eq!(Cidr::parse("nope"), None);
        assert!(!c.contains("garbage"));
    }
}
