//! Readiness: the store takes writes, every inbox worker is alive, and (SQLite) the file at the store's path is
//! still the one opened. A deleted or replaced file would take writes into an unlinked inode that no restart
//! sees again, so it makes the process unready and callbacks are refused (`503`) rather than acknowledged.

use sourcing_ledger::{Dialect, Store};
use std::os::unix::fs::MetadataExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long the write probe of `/readyz` may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The SQLite file as opened: its path and its device and inode numbers.
#[derive(Clone, Debug)]
struct FileIdentity {
    path: String,
    dev: u64,
    ino: u64,
}

impl FileIdentity {
    fn of(path: &str) -> std::io::Result<Self> {
        let meta = std::fs::metadata(path)?;
        Ok(FileIdentity {
            path: path.to_owned(),
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }

    /// `Err` says what happened to the file.
    fn check(&self) -> Result<(), String> {
        match std::fs::metadata(&self.path) {
            Ok(meta) if meta.dev() == self.dev && meta.ino() == self.ino => Ok(()),
            Ok(_) => Err(format!(
                "the store file {} was replaced since it was opened: restart to use the new file",
                self.path
            )),
            Err(e) => Err(format!(
                "the store file {} is gone since it was opened ({e}): restart",
                self.path
            )),
        }
    }
}

/// What `/readyz` checks, shared by the request handlers.
pub struct Health {
    store: Store,
    file: Option<FileIdentity>,
    workers: Vec<Arc<AtomicBool>>,
}

impl Health {
    /// For the store opened from `url`; the SQLite file's identity is taken now (call right after opening).
    pub fn new(store: Store, url: &str) -> Result<Self, String> {
        let file = match sqlite_path(url) {
            Some(path) => Some(
                FileIdentity::of(path)
                    .map_err(|e| format!("--store {url}: cannot read the file's metadata: {e}"))?,
            ),
            None => None,
        };
        Ok(Health {
            store,
            file,
            workers: Vec::new(),
        })
    }

    /// A flag the worker's task clears when it ends ([`Alive`]).
    pub fn worker(&mut self) -> Alive {
        let flag = Arc::new(AtomicBool::new(true));
        self.workers.push(flag.clone());
        Alive(flag)
    }

    /// The file check alone (cheap: one `stat`), done before storing each callback.
    pub fn file_ok(&self) -> Result<(), String> {
        self.file.as_ref().map_or(Ok(()), FileIdentity::check)
    }

    /// Every check; `Err` lists what failed.
    pub async fn ready(&self) -> Result<(), Vec<String>> {
        let mut failed = Vec::new();
        if let Err(e) = self.file_ok() {
            failed.push(e);
        }
        let dead = self
            .workers
            .iter()
            .filter(|w| !w.load(Ordering::Relaxed))
            .count();
        if dead > 0 {
            failed.push(format!("{dead} inbox worker(s) stopped"));
        }
        if let Err(e) = write_probe(&self.store).await {
            failed.push(e);
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(failed)
        }
    }
}

/// Cleared when dropped: held by a worker's task for as long as it runs (a panic drops it too).
pub struct Alive(Arc<AtomicBool>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

/// The path of a `sqlite:PATH` URL (not `:memory:`).
pub fn sqlite_path(url: &str) -> Option<&str> {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .filter(|p| !p.is_empty() && *p != ":memory:")
}

/// One committed write that changes nothing: the newest migration's row rewritten with its own values. It fails
/// on a read-only file or database, a full disk (SQLite appends to its WAL), a lost Postgres connection.
pub async fn write_probe(store: &Store) -> Result<(), String> {
    let sql = "UPDATE schema_migrations SET name = name \
               WHERE version = (SELECT MAX(version) FROM schema_migrations)";
    let probe = async {
        let mut tx = store.begin().await?;
        tx.execute(sql, &[]).await?;
        if store.dialect() == Dialect::Sqlite {
            // Make SQLite write a page even though no value changed.
            tx.execute("PRAGMA user_version = 0", &[]).await?;
        }
        tx.commit().await
    };
    match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("the store does not take writes: {e}")),
        Err(_) => Err(format!(
            "the store did not take a write within {} s",
            PROBE_TIMEOUT.as_secs()
        )),
    }
}
