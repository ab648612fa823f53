//! Claims on the sides of a peer's exchange: one pull and one push of a peer at a time.
//!
//! The serving node's scheduler and an `entente peer sync` (another process) may start the
//! same side of one peer at once. Each moves the side's cursors and counts on from the state
//! it loaded, so the later write would undo the earlier one's counts. A run therefore claims
//! its side in the store first ([`entente_store::FederationStore::claim_peer`], one atomic
//! statement), renews the claim while it runs (a task renews it every [`RENEW_SECS`], also
//! while a page is slow to come) and gives it up when it ends. A process that dies leaves a
//! claim that expires after at most [`CLAIM_SECS`]: an `entente peer sync` started after a
//! node was killed in the middle of a sync waits that long.

use std::time::Duration;

use entente_store::SharedStore;

use super::{PullError, Side};
use crate::audit;

/// How long a claim lasts unless renewed.
pub const CLAIM_SECS: i64 = 15;

/// How often a run renews its claim (a renewal may wait for the store's writer: three may
/// fail before the claim lapses).
pub const RENEW_SECS: u64 = 4;

/// What a run does when its side of the peer is claimed by another run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenBusy {
    /// Waits for the other run to end (an immediate `entente peer sync`: what it reports
    /// then includes everything the other run did not).
    Wait,
    /// Gives up with [`PullError::Busy`] (the scheduler: the peer is being synced anyway).
    Skip,
}

impl Side {
    /// The side's name, as claims store it.
    pub fn name(self) -> &'static str {
        match self {
            Side::Pull => "pull",
            Side::Push => "push",
        }
    }
}

/// A claim held on one side of a peer; [`Claim::release`] gives it up (dropping it stops the
/// renewals and leaves the claim to expire).
pub struct Claim {
    store: SharedStore,
    peer: String,
    side: Side,
    holder: String,
    renewals: tokio::task::JoinHandle<()>,
}

impl Claim {
    /// Claims `side` of peer `peer`, waiting or not as `when_busy` says.
    pub async fn take(
        store: &SharedStore,
        peer: &str,
        side: Side,
        when_busy: WhenBusy,
    ) -> Result<Claim, PullError> {
        let holder = uuid::Uuid::new_v4().to_string();
        let mut told = false;
        while !claim(store, peer, side, &holder).await? {
            if when_busy == WhenBusy::Skip {
                return Err(PullError::Busy(format!(
                    "the {} of peer {peer} is under way in another run",
                    side.name()
                )));
            }
            if !told {
                tracing::warn!(
                    peer,
                    side = side.name(),
                    "another run (the serving node's scheduler, or another sync) is moving \
                     this side of the peer; waiting for it to end"
                );
                told = true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let renewals = {
            let (store, peer, holder) = (store.clone(), peer.to_owned(), holder.clone());
            tokio::spawn(async move {
                let every = Duration::from_secs(RENEW_SECS);
                loop {
                    tokio::time::sleep(every).await;
                    match claim(&store, &peer, side, &holder).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(peer, side = side.name(), "the claim was lost");
                            return;
                        }
                        Err(e) => {
                            tracing::warn!(peer, side = side.name(), error = %e, "renewing the claim failed")
                        }
                    }
                }
            })
        };
        Ok(Claim {
            store: store.clone(),
            peer: peer.to_owned(),
            side,
            holder,
            renewals,
        })
    }

    /// Gives the claim up.
    pub async fn release(self) -> Result<(), entente_store::Error> {
        self.renewals.abort();
        self.store
            .release_peer(&self.peer, self.side.name(), &self.holder)
            .await
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.renewals.abort();
    }
}

async fn claim(
    store: &SharedStore,
    peer: &str,
    side: Side,
    holder: &str,
) -> Result<bool, entente_store::Error> {
    let now = audit::now_micros();
    store
        .claim_peer(peer, side.name(), holder, now, now + CLAIM_SECS * 1_000_000)
        .await
}
