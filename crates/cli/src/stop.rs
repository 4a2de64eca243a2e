//! The stop signal of the long-running commands (`serve`, `webhooks`, `sandbox`): SIGTERM or SIGINT (Ctrl-C).

use std::future::Future;

/// Completes on SIGTERM or SIGINT. The handlers are installed by this call, not when the future is first
/// polled: the commands call it before they bind and print their port, so a signal sent as soon as the port
/// is printed stops them cleanly (drained, exit 0) instead of meeting the default action, which kills the
/// process mid-request.
pub(crate) fn on_stop() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let installed = {
        use tokio::signal::unix::{SignalKind, signal};
        signal(SignalKind::terminate()).and_then(|t| Ok((t, signal(SignalKind::interrupt())?)))
    };
    async move {
        #[cfg(unix)]
        match installed {
            Ok((mut term, mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "SIGTERM cannot be caught: only Ctrl-C stops cleanly");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("stop signal received");
    }
}
