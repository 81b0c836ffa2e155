//! Tells every open incident page that its incident changed. One sender
//! per server (held in AppState, not a global); each page's stream
//! subscribes and picks out its own incident. On shutdown every stream is
//! told to end, so open pages never hold the server up.
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

#[derive(Clone, Debug)]
pub struct Live {
    sender: broadcast::Sender<(i64, i64)>,
    closing: Arc<watch::Sender<bool>>,
}

impl Default for Live {
    fn default() -> Self {
        // A slow page that falls this far behind misses messages, notices
        // (Lagged) and fetches the current state, so nothing is lost.
        Self {
            sender: broadcast::channel(256).0,
            closing: Arc::new(watch::channel(false).0),
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
