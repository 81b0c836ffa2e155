//! Tells every open incident page that its incident changed. One sender
//! per server (held in AppState, not a global); each page's stream
//! subscribes and picks out its own incident.
use tokio::sync::broadcast;

#[derive(Clone, Debug)]
pub struct Live {
    sender: broadcast::Sender<(i64, i64)>,
}

impl Default for Live {
    fn default() -> Self {
        // A slow page that falls this far behind misses messages, notices
        // (Lagged) and fetches the current state, so nothing is lost.
        Self {
            sender: broadcast::channel(256).0,
        }
    }
}

impl Live {
    /// Incident `id` is now at `revision`. Nobody listening is fine.
    pub fn changed(&self, id: i64, revision: i64) {
        let _ = self.sender.send((id, revision));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<(i64, i64)> {
        self.sender.subscribe()
    }
}
