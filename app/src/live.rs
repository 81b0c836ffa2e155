//! The live hub: tells every open page that its topic (a timeline's
//! subject: an incident now, a drill run next) changed, and carries the
//! change itself, so a page applies it without asking the server again.
//! One hub per server (held in AppState, not a global); each page's stream
//! subscribes and picks out its own topic. Each session may hold a bounded
//! number of streams. On shutdown every stream is told to end, so open
//! pages never hold the server up. Part of the spine.
use crate::timeline::Subject;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::sync::{broadcast, watch};

/// How many live streams one session (or API token) may hold open: a
/// person with a few tabs, not a flood.
pub const STREAMS_PER_SESSION: usize = 8;

/// A change attached to the revision its commit makes.
type Attached = (i64, Arc<str>);

/// How many topics may hold an attached change at once.
const MAX_ATTACHED: usize = 10_000;

/// One change: its topic, the revision it made, and what changed, as the
/// domain encodes it (JSON). `None` when only the revision is known.
#[derive(Clone, Debug)]
pub struct Message {
    pub topic: Subject,
    pub revision: i64,
    pub change: Option<Arc<str>>,
}

#[derive(Clone, Debug)]
pub struct Live {
    sender: broadcast::Sender<Message>,
    /// What a transaction about to commit says its change was, by topic:
    /// sent with the commit's message, if the revisions agree.
    attached: Arc<Mutex<HashMap<Subject, Attached>>>,
    closing: Arc<watch::Sender<bool>>,
    open: Arc<Mutex<HashMap<String, usize>>>,
    /// How often an open stream checks that its session may still read.
    pub recheck: Duration,
}

impl Default for Live {
    fn default() -> Self {
        // A slow page that falls this far behind misses messages, notices
        // (Lagged) and fetches the current state, so nothing is lost.
        Self {
            sender: broadcast::channel(256).0,
            attached: Default::default(),
            closing: Arc::new(watch::channel(false).0),
            open: Default::default(),
            recheck: Duration::from_secs(60),
        }
    }
}

/// A stream's place among its session's streams, given back when dropped.
#[derive(Debug)]
pub struct StreamSlot {
    open: Arc<Mutex<HashMap<String, usize>>>,
    holder: String,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.holder) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.holder);
            }
        }
    }
}

impl Live {
    /// `topic` is now at `revision`; `change` says what changed. Nobody
    /// listening is fine.
    pub fn changed(&self, topic: Subject, revision: i64, change: Option<Arc<str>>) {
        let _ = self.sender.send(Message {
            topic,
            revision,
            change,
        });
    }

    /// A transaction about to commit says what its change to `topic` was
    /// (the incident page applies it without fetching). Sent once, by
    /// [`Self::committed`], when the commit reaches `revision`; a change
    /// that never commits is dropped by the next one.
    pub fn attach(&self, topic: Subject, revision: i64, change: Arc<str>) {
        if let Ok(mut attached) = self.attached.lock() {
            // Bounded: one per topic, and never more than a busy server's worth.
            if attached.len() >= MAX_ATTACHED {
                attached.clear();
            }
            attached.insert(topic, (revision, change));
        }
    }

    /// A commit moved `topic` to `revision`: tells its open pages, once,
    /// with the change attached for that revision if there is one. Only
    /// the timeline's commit watcher calls this, so no domain can forget
    /// to tell, and none tells twice.
    pub fn committed(&self, topic: Subject, revision: i64) {
        let change =
            self.attached
                .lock()
                .ok()
                .and_then(|mut attached| match attached.remove(&topic) {
                    Some((at, change)) if at == revision => Some(change),
                    _ => None,
                });
        self.changed(topic, revision, change);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Message> {
        self.sender.subscribe()
    }

    /// A place for one more stream of `holder` (a session or token), or
    /// `None` when it already holds [`STREAMS_PER_SESSION`].
    pub fn open_stream(&self, holder: String) -> Option<StreamSlot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(holder.clone()).or_default();
        if *n >= STREAMS_PER_SESSION {
            return None;
        }
        *n += 1;
        Some(StreamSlot {
            open: self.open.clone(),
            holder,
        })
    }

    /// Ends every stream (the server is stopping).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once the server is stopping.
    pub fn closing(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut watch = self.closing.subscribe();
        async move {
            let _ = watch.wait_for(|closing| *closing).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_holds_a_bounded_number_of_streams_and_gets_them_back() {
        let live = Live::default();
        let slots: Vec<_> = (0..STREAMS_PER_SESSION)
            .map(|_| live.open_stream("session:1".into()).expect("a place"))
            .collect();
        assert!(live.open_stream("session:1".into()).is_none());
        assert!(
            live.open_stream("session:2".into()).is_some(),
            "others are not affected"
        );
        drop(slots);
        assert!(live.open_stream("session:1".into()).is_some());
    }
}
