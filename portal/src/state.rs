//! What every connection of one portal shares: the gateway, the record, the clock offset and
//! the connection count.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Mutex;

use onetrans::clock::{self, ChinaTime};

use crate::checks::Gateway;
use crate::record::{Received, Recorder};

/// Called with every request the portal records (the binary's `--verbose`).
pub type Observer = Box<dyn Fn(&Received) + Send + Sync>;

/// The state of one portal.
pub(crate) struct Shared {
    pub gateway: Gateway,
    pub recorder: Mutex<Recorder>,
    pub clock_offset: AtomicI64,
    pub connections: AtomicUsize,
    pub observer: Option<Observer>,
}

impl Shared {
    pub fn new(gateway: Gateway, clock_offset: i64, observer: Option<Observer>) -> Shared {
        Shared {
            gateway,
            recorder: Mutex::new(Recorder::default()),
            clock_offset: AtomicI64::new(clock_offset),
            connections: AtomicUsize::new(0),
            observer,
        }
    }

    /// The portal's clock: the system clock plus the offset.
    pub fn now(&self) -> ChinaTime {
        let offset = self.clock_offset.load(Ordering::SeqCst);
        ChinaTime::from_unix(clock::now().unix().saturating_add(offset))
    }

    /// Adds a request to the record and shows it to the observer.
    pub fn record(&self, entry: Received) {
        if let Some(observer) = &self.observer {
            observer(&entry);
        }
        self.recorder
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(entry);
    }
}
