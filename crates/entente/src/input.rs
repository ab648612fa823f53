//! Opening `FILE|-` inputs: plain or gzipped (detected by the magic bytes, not the name), with a
//! byte counter for progress reporting.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context as _;

/// Counts bytes read from the underlying (compressed) source.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// An opened input.
pub(crate) struct Input {
    /// The decompressed bytes.
    pub(crate) reader: Box<dyn BufRead + Send>,
    /// Bytes consumed from the source so far.
    pub(crate) consumed: Arc<AtomicU64>,
    /// The source size when known (a file).
    pub(crate) total: Option<u64>,
}

/// Opens a file or standard input (`-`).
pub(crate) fn open(path: &str) -> anyhow::Result<Input> {
    let consumed = Arc::new(AtomicU64::new(0));
    let (raw, total): (Box<dyn Read + Send>, Option<u64>) = if path == "-" {
        (Box::new(io::stdin()), None)
    } else {
        let f = File::open(path).with_context(|| format!("cannot open {path}"))?;
        let len = f.metadata().ok().map(|m| m.len());
        (Box::new(f), len)
    };
    let mut buffered = BufReader::with_capacity(
        256 * 1024,
        Counting {
            inner: raw,
            count: consumed.clone(),
        },
    );
    let head = buffered
        .fill_buf()
        .with_context(|| format!("cannot read {path}"))?;
    let reader: Box<dyn BufRead + Send> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::bufread::MultiGzDecoder::new(buffered),
        ))
    } else {
        Box::new(buffered)
    };
    Ok(Input {
        reader,
        consumed,
        total,
    })
}
