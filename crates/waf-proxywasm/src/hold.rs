//! Whether Envoy delivers the body of a response whose headers the filter holds.
//!
//! Holding response headers (see [`crate::stream`]) needs Envoy 1.35 or later with
//! `allow_on_headers_stop_iteration: true` in the Wasm filter's `config`. Nothing in the
//! proxy-wasm ABI tells a plugin whether that is set, and without it a held response never
//! gets a body callback: it would wait until Envoy's stream idle timeout (5 minutes by
//! default) and then fail with a 504. So each VM watches its held responses:
//!
//! ```text
//! Unknown ──a held response gets a body or trailers callback──► Supported (stop watching)
//!    │
//!    └──a held response waits GRACE without one──► Unsupported: release every held
//!       response (resume it); later streams are not held (a phase-4 block resets them)
//! ```
//!
//! A backend that sends headers and then nothing for [`GRACE`] before the first body
//! byte, on the very first held response of a VM, looks the same as a missing setting:
//! the VM then stops holding. That costs clean phase-4 replies (they become resets, as
//! without holding), never a response; the filter logs why once.
//!
//! This is plain bookkeeping, tested on the host; the filter does the host calls.

use std::collections::BTreeMap;

/// How long a held response may wait for its first body callback before the VM decides
/// that Envoy does not deliver bodies of held responses.
pub const GRACE_MS: u64 = 5_000;

/// [`GRACE_MS`] as a `Duration`, for log lines.
pub const GRACE: std::time::Duration = std::time::Duration::from_millis(GRACE_MS);

/// What this VM knows about the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Support {
    /// No held response has told yet.
    #[default]
    Unknown,
    /// A held response got its body: holding works.
    Supported,
    /// A held response waited [`GRACE`] without its body: holding is off for this VM.
    Unsupported,
}

/// The held responses of one VM, by HTTP context id, and what they showed.
#[derive(Debug, Default)]
pub struct HoldWatch {
    support: Support,
    /// Context id → when its headers were held (milliseconds, the host's clock).
    held: BTreeMap<u32, u64>,
}

impl HoldWatch {
    pub fn new() -> HoldWatch {
        HoldWatch::default()
    }

    /// What the VM knows so far.
    pub fn support(&self) -> Support {
        self.support
    }

    /// Whether new streams may hold their response headers.
    pub fn may_hold(&self) -> bool {
        self.support != Support::Unsupported
    }

    /// Whether responses are still being watched (the filter's timer is needed).
    pub fn watching(&self) -> bool {
        self.support == Support::Unknown
    }

    /// A stream's response headers are now held.
    pub fn held(&mut self, context_id: u32, now_ms: u64) {
        if self.support == Support::Unknown {
            self.held.insert(context_id, now_ms);
        }
    }

    /// A body or trailers callback arrived for `context_id`. If its headers were held and
    /// watched, the host delivers bodies of held responses: returns true when this is
    /// what settled it.
    pub fn body_arrived(&mut self, context_id: u32) -> bool {
        if self.support != Support::Unknown || self.held.remove(&context_id).is_none() {
            return false;
        }
        self.support = Support::Supported;
        self.held.clear();
        true
    }

    /// The stream is over (or no longer held): stop watching it.
    pub fn forget(&mut self, context_id: u32) {
        self.held.remove(&context_id);
    }

    /// Called on the timer. When a held response has waited [`GRACE_MS`] without a body
    /// callback, the host does not deliver them: every held response is returned, to be
    /// resumed, and the VM stops holding. Otherwise nothing.
    pub fn expired(&mut self, now_ms: u64) -> Vec<u32> {
        let overdue = self
            .held
            .values()
            .any(|since| now_ms.saturating_sub(*since) >= GRACE_MS);
        if self.support != Support::Unknown || !overdue {
            return Vec::new();
        }
        self.support = Support::Unsupported;
        std::mem::take(&mut self.held).into_keys().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_callback_on_a_held_response_settles_support() {
        let mut w = HoldWatch::new();
        w.held(2, 0);
        w.held(3, 10);
        assert!(
            !w.body_arrived(7),
            "a stream that was not held tells nothing"
        );
        assert_eq!(w.support(), Support::Unknown);
        assert!(w.body_arrived(3));
        assert_eq!(w.support(), Support::Supported);
        assert!(!w.watching());
        // Nothing expires once settled, however long a response waits.
        assert!(w.expired(GRACE_MS * 100).is_empty());
        assert!(w.may_hold());
        // Later holds are not tracked.
        w.held(9, 0);
        assert!(!w.body_arrived(9));
    }

    #[test]
    fn a_response_held_past_the_grace_releases_every_held_one() {
        let mut w = HoldWatch::new();
        w.held(2, 1_000);
        w.held(5, 1_000 + GRACE_MS - 10);
        assert!(w.expired(1_000 + GRACE_MS - 1).is_empty());
        assert!(w.may_hold());
        assert_eq!(w.expired(1_000 + GRACE_MS), vec![2, 5]);
        assert_eq!(w.support(), Support::Unsupported);
        assert!(!w.may_hold());
        assert!(!w.watching());
        // Their body callbacks come after the release: they prove nothing.
        assert!(!w.body_arrived(2));
        assert_eq!(w.support(), Support::Unsupported);
        assert!(w.expired(u64::MAX).is_empty());
    }

    #[test]
    fn finished_streams_are_not_watched() {
        let mut w = HoldWatch::new();
        w.held(2, 0);
        w.forget(2);
        assert!(w.expired(GRACE_MS * 2).is_empty());
        assert_eq!(w.support(), Support::Unknown);
        // A clock that goes backwards does not expire anything.
        w.held(4, 50_000);
        assert!(w.expired(0).is_empty());
    }
}
