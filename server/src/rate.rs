//! Per-client rate limits: a token bucket per bearer token, or per address
//! for requests without one.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use crate::auth::Principal;

/// Who a bucket belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Client {
    Token(usize),
    Address(IpAddr),
}

/// Token buckets: `per_second` requests a second, bursts of `burst`.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<Client, (f64, Instant)>>,
}

/// Buckets kept before idle ones are dropped (bounds memory under a flood
/// of addresses).
const MAX_BUCKETS: usize = 100_000;

impl RateLimiter {
    /// `per_second` 0: no limit.
    pub fn new(per_second: u32) -> Self {
        let per_second = f64::from(per_second);
        Self {
            per_second,
            burst: (per_second * 2.0).max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take one request from the client's bucket: Ok, or Err(seconds until
    /// one is available).
    pub fn take(&self, principal: Principal, address: IpAddr) -> Result<(), u64> {
        if self.per_second == 0.0 {
            return Ok(());
        }
        let client = match principal.0 {
            Some(i) => Client::Token(i),
            None => Client::Address(address),
        };
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(&client) {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (level, at)| {
                *level + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (level, at) = buckets.entry(client).or_insert((self.burst, now));
        *level = (*level + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *level >= 1.0 {
            *level -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *level) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_burst_passes_then_each_client_waits_on_its_own() {
        let limiter = RateLimiter::new(5);
        let here: IpAddr = "127.0.0.1".parse().unwrap();
        let there: IpAddr = "127.0.0.2".parse().unwrap();
        let token = Principal(Some(0));
        for _ in 0..10 {
            assert_eq!(limiter.take(token, here), Ok(()));
        }
        assert_eq!(limiter.take(token, here), Err(1));
        // Another token, and anonymous requests from each address, have their own buckets.
        assert_eq!(limiter.take(Principal(Some(1)), here), Ok(()));
        assert_eq!(limiter.take(Principal(None), here), Ok(()));
        assert_eq!(limiter.take(Principal(None), there), Ok(()));
        assert!(RateLimiter::new(0).take(token, here).is_ok());
    }
}
