//! Checkpointing the write-ahead log beside the writer rather than inside its commits.
//!
//! SQLite's default (`wal_autocheckpoint`) runs a checkpoint inside the commit that crosses the
//! threshold: the committing writer copies the log into the database file and fsyncs it before
//! its caller hears back. Under a sustained import that was about a seventh of the writer's CPU
//! time (a profile of a million-object import), plus an fsync of the database file per
//! checkpoint, all on the one thread that every write waits
//! for. Here the writer only counts: a hook notes the log's length at each commit, and past
//! [`SOFT`] bytes a background thread with its own connection runs a `PASSIVE` checkpoint
//! (which never blocks the writer or readers) while the writer goes on.
//!
//! A log is only reset (written again from its start) when a write transaction begins after a
//! checkpoint has copied all of it; under a stream of back-to-back writes the background
//! thread never quite catches up, so past [`HARD`] bytes the writer, between two
//! transactions, finishes the checkpoint itself (copying only what the background thread has
//! not yet copied), and its next transaction starts a fresh log. The log thus stays under
//! about [`HARD`] bytes plus one transaction.
//!
//! Durability is unchanged: a commit is on disk once the log is fsynced (`synchronous=FULL`);
//! checkpoints only move committed pages into the database file.

use std::cell::Cell;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

use rusqlite::Connection;

use crate::Result;

/// Log bytes after which a background checkpoint is asked for (64 MiB). Random index pages
/// touched by several commits are then copied to the database file once rather than once per
/// commit.
pub(super) const SOFT: i64 = 64 << 20;

/// Log bytes after which the writer completes the checkpoint itself before its next
/// transaction, so that the log restarts (see the module docs).
pub(super) const HARD: i64 = 4 * SOFT;

thread_local! {
    /// The log length the last commit on this thread reported (set by [`note_frames`]; commits
    /// run on the thread that holds the writer connection).
    static FRAMES: Cell<i32> = const { Cell::new(0) };
}

/// The writer's WAL hook: records the log length after each commit on this thread. (Installing
/// a hook also replaces SQLite's automatic checkpoint.)
fn note_frames(_: &rusqlite::hooks::Wal, frames: std::ffi::c_int) -> rusqlite::Result<()> {
    FRAMES.with(|f| f.set(frames));
    Ok(())
}

/// The background checkpointer of one database file.
pub(super) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
    soft: i32,
    hard: i32,
    /// The log length at the last request to the thread (touched only under the writer lock).
    requested_at: std::sync::atomic::AtomicI32,
}

struct Shared {
    /// Its own connection; held while a checkpoint runs, by the thread or by the writer.
    conn: Mutex<Connection>,
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    wanted: bool,
    stop: bool,
}

impl Checkpointer {
    /// Opens a connection to `path` for checkpoints, installs the frame-counting hook on
    /// `writer` and starts the background thread.
    pub(super) fn start(path: &Path, writer: &Connection) -> Result<Checkpointer> {
        let page: i64 = writer.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let frames = |bytes: i64| i32::try_from(bytes / page.max(512)).unwrap_or(i32::MAX);
        Self::with_thresholds(path, writer, frames(SOFT), frames(HARD))
    }

    /// As [`Checkpointer::start`], with thresholds in log frames (pages).
    pub(super) fn with_thresholds(
        path: &Path,
        writer: &Connection,
        soft: i32,
        hard: i32,
    ) -> Result<Checkpointer> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.execute_batch("PRAGMA synchronous = FULL;")?;
        writer.wal_hook(Some(note_frames));
        let shared = Arc::new(Shared {
            conn: Mutex::new(conn),
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
        });
        let worker = shared.clone();
        let thread = std::thread::Builder::new()
            .name("entente-checkpoint".into())
            .spawn(move || worker.run())
            .map_err(crate::Error::backend)?;
        Ok(Checkpointer {
            shared,
            thread: Some(thread),
            soft,
            hard,
            requested_at: std::sync::atomic::AtomicI32::new(0),
        })
    }

    /// Called by the writer after each transaction, on the thread that ran it, still holding
    /// the writer connection: asks for a background checkpoint each time the log has grown by
    /// the soft threshold, and past the hard one completes a checkpoint before returning.
    /// Returns whether the transaction committed (the log grew).
    pub(super) fn after_write(&self) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        let frames = FRAMES.with(|f| f.replace(0));
        if frames == 0 {
            return false; // no commit (a read, or a failed write)
        }
        let requested = self.requested_at.load(Relaxed);
        if frames < requested {
            self.requested_at.store(0, Relaxed); // the log restarted
        }
        if frames >= self.hard {
            self.requested_at.store(0, Relaxed);
            // Waits for a running background checkpoint, then copies the rest.
            let conn = self.shared.conn.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = passive(&conn) {
                tracing::warn!(error = %e, "checkpointing the SQLite log failed");
            }
        } else if frames >= self.requested_at.load(Relaxed) + self.soft {
            self.requested_at.store(frames, Relaxed);
            let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
            state.wanted = true;
            self.shared.wake.notify_one();
        }
        true
    }
}

impl Drop for Checkpointer {
    /// Stops the thread and waits for it (at most the end of a running checkpoint), so that
    /// its connection is closed before the writer's: the last connection to close a database
    /// copies the rest of the log into it and removes the log file.
    fn drop(&mut self) {
        {
            let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
            state.stop = true;
            self.shared.wake.notify_one();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Shared {
    fn run(&self) {
        loop {
            {
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                while !state.wanted && !state.stop {
                    state = self.wake.wait(state).unwrap_or_else(|p| p.into_inner());
                }
                if state.stop {
                    return;
                }
                state.wanted = false;
            }
            let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = passive(&conn) {
                tracing::warn!(error = %e, "checkpointing the SQLite log failed");
            }
        }
    }
}

/// One `PASSIVE` checkpoint: copies what no reader still needs, waits for nobody.
fn passive(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The log is copied into the database by the background thread, and the writer keeps it
    /// bounded under back-to-back writes.
    #[test]
    fn the_log_stays_bounded_and_its_pages_reach_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mut writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                 CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB);",
            )
            .unwrap();
        let cp = Checkpointer::with_thresholds(&path, &writer, 64, 256).unwrap();
        let wal = path.with_file_name("t.db-wal");
        let mut largest = 0;
        for batch in 0..200 {
            let tx = writer.transaction().unwrap();
            for i in 0..20 {
                tx.execute(
                    "INSERT INTO t (k, v) VALUES (?1, zeroblob(3000))",
                    [batch * 20 + i],
                )
                .unwrap();
            }
            tx.commit().unwrap();
            cp.after_write();
            largest = largest.max(std::fs::metadata(&wal).unwrap().len());
        }
        // 4,000 rows of 3 KB (about 12 MB) went through a log that never passed the hard
        // threshold by more than one transaction (256 + ~25 pages of 4 KiB).
        assert!(
            largest < 300 * 4096 + 32 * 4096,
            "log grew to {largest} bytes"
        );
        // Everything committed is readable, and the database file holds most of it already.
        let n: i64 = writer
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 4000);
        // Before any connection closes (closing the last one checkpoints anyway), the
        // database file already holds all but the last few hundred pages.
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size > 10_000_000, "database file is {size} bytes");
        // Stopped first, the checkpointer leaves the writer the last connection, whose close
        // copies the rest of the log and removes it.
        drop(cp);
        drop(writer);
        assert!(!wal.exists(), "the log outlived the last connection");
    }
}
