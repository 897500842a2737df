//! Splitting an organisation's accounts across several runners: `--shard
//! i/n` keeps the accounts whose stable hash falls in shard `i` of `n`.
//! The hash never changes between versions or machines, so each account is
//! always scanned by the same runner, and every account by exactly one.

use std::fmt;
use std::str::FromStr;

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

/// Upper bound on the number of shards, to catch typos.
pub const MAX_SHARDS: u32 = 10_000;

impl Shard {
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 || count > MAX_SHARDS {
            return Err(format!(
                "shard count must be 1 to {MAX_SHARDS}, not {count}"
            ));
        }
        if index == 0 || index > count {
            return Err(format!(
                "shard index must be 1 to {count} (shards are numbered from 1), not {index}"
            ));
        }
        Ok(Shard { index, count })
    }

    /// True when `account_id` belongs to this shard.
    pub fn contains(&self, account_id: &str) -> bool {
        shard_of(account_id, self.count) == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(text: &str) -> Result<Shard, String> {
        let (index, count) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not a shard of the form I/N, e.g. 2/4"))?;
        let number = |part: &str| {
            part.trim()
                .parse::<u32>()
                .map_err(|_| format!("`{text}` is not a shard of the form I/N, e.g. 2/4"))
        };
        Shard::new(number(index)?, number(count)?)
    }
}

/// The stable 64-bit hash of an account ID: FNV-1a over its trimmed bytes,
/// then the SplitMix64 finaliser so that every bit depends on every byte.
pub fn account_hash(account_id: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in account_id.trim().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash ^= hash >> 30;
    hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash ^= hash >> 27;
    hash = hash.wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

/// The shard (1-based) of `account_id` among `count` shards; 1 when `count`
/// is 0 or 1.
pub fn shard_of(account_id: &str, count: u32) -> u32 {
    if count <= 1 {
        return 1;
    }
    (account_hash(account_id) % u64::from(count)) as u32 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(" 1 / 1 ".parse::<Shard>(), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/4", "5/4", "1/0", "a/b", "3", "1/20000", "-1/4"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(Shard { index: 3, count: 8 }.to_string(), "3/8");
    }

    /// Pinned values: changing the hash would move accounts between runners.
    #[test]
    fn the_hash_is_stable() {
        assert_eq!(account_hash("111122223333"), 0x0e8ee3e64e1f2346);
        let pinned: Vec<(&str, u32)> = [
            "111122223333",
            "123456789012",
            "000000000001",
            "999999999999",
        ]
        .into_iter()
        .map(|id| (id, shard_of(id, 7)))
        .collect();
        assert_eq!(pinned, PINNED.to_vec());
        assert_eq!(shard_of(" 111122223333 ", 7), shard_of("111122223333", 7));
    }

    const PINNED: [(&str, u32); 4] = [
        ("111122223333", 5),
        ("123456789012", 4),
        ("000000000001", 2),
        ("999999999999", 5),
    ];

    #[test]
    fn every_account_is_in_exactly_one_shard() {
        let accounts: Vec<String> = (0..5_000u64)
            .map(|n| format!("{:012}", n * 7_919 + 100_000_000_000))
            .collect();
        for count in 1..=12u32 {
            let shards: Vec<Shard> = (1..=count).map(|i| Shard::new(i, count).unwrap()).collect();
            let mut sizes = vec![0usize; count as usize];
            for account in &accounts {
                let owners: Vec<&Shard> = shards.iter().filter(|s| s.contains(account)).collect();
                assert_eq!(owners.len(), 1, "{account} in {count} shards: {owners:?}");
                sizes[owners[0].index as usize - 1] += 1;
            }
            // Balanced within 15% of the even share.
            let even = accounts.len() as f64 / f64::from(count);
            for (index, size) in sizes.iter().enumerate() {
                assert!(
                    (*size as f64 - even).abs() <= even * 0.15,
                    "shard {}/{count} has {size} accounts, expected about {even}",
                    index + 1
                );
            }
        }
    }

    #[test]
    fn the_same_account_always_lands_in_the_same_shard() {
        for n in 0..1_000u64 {
            let account = format!("{:012}", n * 104_729);
            let first = shard_of(&account, 5);
            assert!((1..=5).contains(&first));
            for _ in 0..3 {
                assert_eq!(shard_of(&account, 5), first);
            }
        }
    }
}
