//! Group commit: concurrent deliveries are stored together, one transaction (one fsync) per group, so the
//! acknowledgement rate is not bounded by the disk's sync rate. A delivery waits at most for the group being
//! committed before its own.

use super::store::{InboxStore, Inserted, NewMessage};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

type Reply = oneshot::Sender<Result<Inserted, String>>;

/// The sending side; the writer task ends when every clone is dropped.
#[derive(Clone)]
pub(crate) struct GroupCommit {
    queue: mpsc::Sender<(NewMessage, Reply)>,
}

impl GroupCommit {
    /// Spawns the writer task (must be called inside a Tokio runtime).
    pub(crate) fn start<S: InboxStore>(store: Arc<S>, max_group: usize) -> Self {
        let max_group = max_group.max(1);
        let (queue, rx) = mpsc::channel(max_group * 4);
        tokio::spawn(writer(store, rx, max_group));
        Self { queue }
    }

    /// Stores `message` (or finds its duplicate); returns once the transaction holding it is committed.
    pub(crate) async fn insert(&self, message: NewMessage) -> Result<Inserted, String> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((message, reply))
            .await
            .map_err(|_| "the inbox writer has stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the inbox writer has stopped".to_string())?
    }
}

async fn writer<S: InboxStore>(
    store: Arc<S>,
    mut rx: mpsc::Receiver<(NewMessage, Reply)>,
    max_group: usize,
) {
    let mut group = Vec::with_capacity(max_group);
    while rx.recv_many(&mut group, max_group).await > 0 {
        let (messages, replies): (Vec<NewMessage>, Vec<Reply>) = group.drain(..).unzip();
        match store.insert_batch(&messages).await {
            Ok(results) if results.len() == replies.len() => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(Ok(result));
                }
            }
            Ok(results) => {
                let error = format!(
                    "the store answered {} results for {} messages",
                    results.len(),
                    replies.len()
                );
                tracing::error!(%error, "inbox group commit");
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, size = replies.len(), "inbox group commit failed");
                let error = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }
}
