//! Numbers in sentences: real plurals and thousands separators, so messages
//! read "1 action", "1,316 actions", never "1316 action(s)".

/// `n` with thousands separators: `1316` → `1,316`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    // Digits left before the next separator.
    let mut left = digits.len() % 3;
    if left == 0 {
        left = 3;
    }
    for digit in digits.chars() {
        if left == 0 {
            out.push(',');
            left = 3;
        }
        out.push(digit);
        left -= 1;
    }
    out
}

/// `n` and the noun in the number it calls for: `count(1, "scan", "scans")`
/// is `1 scan`, `count(1316, "action", "actions")` is `1,316 actions`.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    format!(
        "{} {}",
        thousands(n),
        if n == 1 { singular } else { plural }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_plurals() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(22_080), "22,080");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(count(0, "action", "actions"), "0 actions");
        assert_eq!(count(1, "action", "actions"), "1 action");
        assert_eq!(count(1316, "action", "actions"), "1,316 actions");
        assert_eq!(count(2, "account", "accounts"), "2 accounts");
    }
}
