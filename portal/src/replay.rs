//! Replay protection (spec section 9, check 7): the `nonceStr`s seen in the last 600 seconds,
//! per appId, by the portal's clock.
//!
//! Memory is bounded: entries older than the window are pruned on every check, and an appId
//! holding more than [`MAX_NONCES_PER_APP`] live nonces forgets its oldest ones first.

use std::collections::{HashMap, HashSet, VecDeque};

/// How long a nonce is remembered, in seconds.
pub const NONCE_WINDOW_SECS: i64 = 600;

/// The most nonces remembered for one appId.
pub const MAX_NONCES_PER_APP: usize = 100_000;

/// The nonces seen, per appId.
#[derive(Debug, Default)]
pub struct ReplayGuard {
    apps: HashMap<String, Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    /// (portal time in Unix seconds, nonce), oldest first.
    order: VecDeque<(i64, String)>,
    nonces: HashSet<String>,
}

impl ReplayGuard {
    /// Records `nonce` for `app_id` at portal time `now` (Unix seconds); `false` when it was
    /// already seen within the window (a replay), in which case nothing changes.
    pub fn check_and_record(&mut self, app_id: &str, nonce: &str, now: i64) -> bool {
        let seen = self.apps.entry(app_id.to_owned()).or_default();
        seen.prune(now);
        if seen.nonces.contains(nonce) {
            return false;
        }
        while seen.order.len() >= MAX_NONCES_PER_APP {
            if let Some((_, old)) = seen.order.pop_front() {
                seen.nonces.remove(&old);
            }
        }
        seen.order.push_back((now, nonce.to_owned()));
        seen.nonces.insert(nonce.to_owned());
        true
    }

    /// How many nonces are remembered for `app_id`.
    pub fn remembered(&self, app_id: &str) -> usize {
        self.apps.get(app_id).map_or(0, |s| s.nonces.len())
    }
}

impl Seen {
    fn prune(&mut self, now: i64) {
        // Times are pushed in arrival order; a clock offset moved backwards can leave a younger
        // entry ahead of an older one, which then lives a little longer: harmless.
        while let Some((at, _)) = self.order.front() {
            if now - *at < NONCE_WINDOW_SECS {
                break;
            }
            if let Some((_, old)) = self.order.pop_front() {
                self.nonces.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_refused_within_the_window_per_app() {
        let mut guard = ReplayGuard::default();
        assert!(guard.check_and_record("app-a", "n1", 1000));
        assert!(!guard.check_and_record("app-a", "n1", 1000 + NONCE_WINDOW_SECS - 1));
        assert!(guard.check_and_record("app-b", "n1", 1001));
        assert!(guard.check_and_record("app-a", "n1", 1000 + NONCE_WINDOW_SECS));
    }

    #[test]
    fn memory_is_pruned_and_bounded() {
        let mut guard = ReplayGuard::default();
        for i in 0..10 {
            assert!(guard.check_and_record("a", &i.to_string(), i));
        }
        assert!(guard.check_and_record("a", "late", 9 + NONCE_WINDOW_SECS));
        assert_eq!(guard.remembered("a"), 1);
        for i in 0..MAX_NONCES_PER_APP + 5 {
            guard.check_and_record("b", &i.to_string(), 0);
        }
        assert_eq!(guard.remembered("b"), MAX_NONCES_PER_APP);
        assert!(
            guard.check_and_record("b", "0", 0),
            "the oldest is forgotten first"
        );
    }
}
