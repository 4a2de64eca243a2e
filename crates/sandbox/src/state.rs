//! What the sandbox remembers: orders (per provider), the callbacks it owes, callback URLs and request
//! counts, serialisable so that a state file keeps them across restarts and across CLI processes.
//!
//! With a file ([`crate::SandboxConfig::state_file`]) every change is a load-modify-save under an exclusive
//! lock, the file `FILE.lock` created with `O_EXCL` (so concurrent processes never lose each other's orders;
//! a lock left by a dead process is taken over after 10 s), written to a
//! temporary file and renamed over the old one (so a crash leaves the old or the new state, never half of
//! one), before the answer is sent.
//!
//! Order ids are 19 digits: `3`, the state's 8-digit prefix (drawn at random when the state is created), the
//! provider's digit (assigned in order of first use) and a 9-digit counter — distinct per provider and, but
//! for a one-in-10^8 draw, per state.

use serde::{Deserialize, Serialize};
use sourcing_webhooks::outgoing::OrderEvent;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Where an order is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    WaitingForPayment,
    Paid,
    Shipped,
    Cancelled,
}

impl OrderState {
    /// The state as the vendors' order messages write it (Xportcn KA order messages); shipped has no
    /// published message value, so it is 1688's trade status rather than a made-up one.
    pub fn push_name(self) -> &'static str {
        match self {
            OrderState::WaitingForPayment => "WAITING_FOR_PAYMENT",
            OrderState::Paid => "WAITING_FOR_SENT",
            OrderState::Shipped => OrderState::Shipped.trade_status(),
            OrderState::Cancelled => "CANCEL",
        }
    }

    /// 1688's trade status (`baseInfo.status` of its order view).
    pub fn trade_status(self) -> &'static str {
        match self {
            OrderState::WaitingForPayment => "waitbuyerpay",
            OrderState::Paid => "waitsellersend",
            OrderState::Shipped => "waitbuyerreceive",
            OrderState::Cancelled => "cancel",
        }
    }
}

/// One order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub state: OrderState,
    /// Goods, in fen.
    pub goods_fen: i64,
    /// Freight, in fen.
    pub freight_fen: i64,
    pub created_ms: u64,
    #[serde(default)]
    pub paid_ms: Option<u64>,
}

/// A callback owed to a receiver: encoded once (the vendor's redeliveries repeat the same body), retried
/// until a 2xx or the schedule is spent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: u64,
    pub provider: String,
    pub url: String,
    pub event: OrderEvent,
    pub order_id: String,
    pub content_type: String,
    pub body: String,
    /// Attempts made (or claimed) so far.
    pub attempts: u32,
    /// When it is due next, epoch ms (a claimed one is pushed forward by a lease).
    pub next_at_ms: u64,
    #[serde(default)]
    pub last_error: Option<String>,
}

/// Everything the sandbox remembers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StateData {
    /// 8 digits, drawn when the state is created.
    pub id_prefix: String,
    pub provider_digits: BTreeMap<String, u8>,
    pub next_order: BTreeMap<String, u64>,
    /// provider → order id → order.
    pub orders: BTreeMap<String, BTreeMap<String, Order>>,
    /// provider → URL (`sourcing sandbox callback`).
    pub callback_urls: BTreeMap<String, String>,
    pub pending: Vec<Delivery>,
    pub next_delivery: u64,
    /// provider → operation id → requests received.
    pub counts: BTreeMap<String, BTreeMap<String, u64>>,
}

/// Epoch milliseconds now.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A random number from the standard library's randomly keyed hasher (no RNG dependency for 8 digits).
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(now_ms());
    h.write_u32(std::process::id());
    h.finish()
}

impl StateData {
    /// A new state with its own id prefix.
    pub fn fresh() -> Self {
        Self {
            id_prefix: format!("{:08}", random_u64() % 100_000_000),
            ..Self::default()
        }
    }

    /// The next order id of `provider` (19 digits).
    pub fn new_order_id(&mut self, provider: &str) -> String {
        if self.id_prefix.len() != 8 {
            self.id_prefix = Self::fresh().id_prefix;
        }
        let used = self.provider_digits.len() as u8;
        let digit = *self
            .provider_digits
            .entry(provider.to_string())
            .or_insert(used % 10);
        let n = self.next_order.entry(provider.to_string()).or_insert(0);
        *n += 1;
        format!("3{}{digit}{:09}", self.id_prefix, *n % 1_000_000_000)
    }

    pub fn order(&self, provider: &str, id: &str) -> Option<&Order> {
        self.orders.get(provider)?.get(id)
    }

    pub fn order_mut(&mut self, provider: &str, id: &str) -> Option<&mut Order> {
        self.orders.get_mut(provider)?.get_mut(id)
    }

    pub fn insert_order(&mut self, provider: &str, id: &str, order: Order) {
        self.orders
            .entry(provider.to_string())
            .or_default()
            .insert(id.to_string(), order);
    }

    pub fn count(&mut self, provider: &str, operation: &str) {
        *self
            .counts
            .entry(provider.to_string())
            .or_default()
            .entry(operation.to_string())
            .or_default() += 1;
    }
}

/// The state file: load, save and the lock around both.
#[derive(Clone, Debug)]
pub struct StateFile {
    path: PathBuf,
}

/// The lock on `FILE.lock`: the file created with `O_EXCL` (`create_new`), removed on drop. A lock file
/// older than [`STALE_LOCK`] was left by a process that died while holding it (a holder keeps it only for
/// one load-modify-save, milliseconds) and is taken over.
struct Locked(PathBuf);

/// Age after which a lock file is considered abandoned.
const STALE_LOCK: std::time::Duration = std::time::Duration::from_secs(10);

impl Drop for Locked {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl StateFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> io::Result<Locked> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut name = self.path.as_os_str().to_owned();
        name.push(".lock");
        let lock = PathBuf::from(name);
        loop {
            match OpenOptions::new().write(true).create_new(true).open(&lock) {
                Ok(mut f) => {
                    let _ = write!(f, "{}", std::process::id());
                    return Ok(Locked(lock));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let stale = std::fs::metadata(&lock)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > STALE_LOCK);
                    if stale {
                        let _ = std::fs::remove_file(&lock);
                    } else {
                        std::thread::sleep(std::time::Duration::from_millis(2));
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The state and its text as stored (a fresh state and empty text when there is no file yet).
    fn load(&self) -> io::Result<(StateData, String)> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => {
                let data = serde_json::from_str(&text).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "sandbox state {}: {e} (remove the file to start afresh)",
                            self.path.display()
                        ),
                    )
                })?;
                Ok((data, text))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Ok((StateData::fresh(), String::new()))
            }
            Err(e) => Err(e),
        }
    }

    /// Write temp + fsync + rename: the file is the old state or the new one.
    fn save(&self, text: &str) -> io::Result<()> {
        let mut tmp = self.path.as_os_str().to_owned();
        tmp.push(format!(".tmp{}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        {
            let mut f = File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)
    }

    /// Load, apply `f`, save if it changed anything — all under the lock.
    pub fn update<R>(&self, f: impl FnOnce(&mut StateData) -> R) -> io::Result<(R, StateData)> {
        let _lock = self.lock()?;
        let (mut data, before) = self.load()?;
        let r = f(&mut data);
        let after = serde_json::to_string_pretty(&data).map_err(io::Error::other)?;
        if after != before {
            self.save(&after)?;
        }
        Ok((r, data))
    }

    /// The state as stored (read under the lock).
    pub fn read(&self) -> io::Result<StateData> {
        let _lock = self.lock()?;
        Ok(self.load()?.0)
    }
}

/// The state file `--sandbox` uses: `SOURCING_SANDBOX_STATE`, else `$XDG_DATA_HOME/sourcing/sandbox-state.json`,
/// else `$HOME/.local/share/sourcing/sandbox-state.json`.
pub fn default_state_path() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(p) = var("SOURCING_SANDBOX_STATE") {
        return Some(PathBuf::from(p));
    }
    let data = var("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("sourcing").join("sandbox-state.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_19_digits_and_distinct_per_provider_and_state() {
        let mut a = StateData::fresh();
        let mut b = StateData::fresh();
        let ids: Vec<String> = (0..3)
            .flat_map(|_| ["pandapon", "dajisaas", "xportcn"].map(|p| a.new_order_id(p)))
            .chain(["pandapon", "dajisaas"].map(|p| b.new_order_id(p)))
            .collect();
        let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "{ids:?}");
        for id in &ids {
            assert_eq!(id.len(), 19, "{id}");
            assert!(id.bytes().all(|c| c.is_ascii_digit()), "{id}");
        }
    }

    #[test]
    fn the_file_keeps_orders_and_concurrent_updates_lose_none() {
        let dir = std::env::temp_dir().join(format!("sandbox-state-{}", std::process::id()));
        let file = StateFile::new(dir.join("s.json"));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let file = file.clone();
                std::thread::spawn(move || {
                    for _ in 0..10 {
                        file.update(|d| {
                            let id = d.new_order_id("pandapon");
                            d.insert_order(
                                "pandapon",
                                &id,
                                Order {
                                    state: OrderState::WaitingForPayment,
                                    goods_fen: 1,
                                    freight_fen: 0,
                                    created_ms: 0,
                                    paid_ms: None,
                                },
                            );
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(file.read().unwrap().orders["pandapon"].len(), 40);
        let _ = std::fs::remove_dir_all(dir);
    }
}
