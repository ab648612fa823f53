//! Bounded memory on a huge element. Alone in its own test binary because it reads the
//! process's peak RSS, which tests running in parallel would raise.

use std::io::{BufRead, Read};

use entente_stix::stream::{Reader, StreamErrorKind};

fn ind(n: usize) -> String {
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{n:08x}-0000-4000-8000-000000000000","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}}"#
    )
}

/// A reader producing `[small, {"content":"xxxx…(n bytes)…"}, small]` without holding it.
struct Huge {
    head: Vec<u8>,
    fill: u64,
    tail: Vec<u8>,
    pos: u64,
    chunk: Vec<u8>,
}

impl Read for Huge {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let buf = self.fill_buf()?;
        let n = buf.len().min(out.len());
        out[..n].copy_from_slice(&buf[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Huge {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let h = self.head.len() as u64;
        let p = self.pos;
        if p < h {
            return Ok(&self.head[p as usize..]);
        }
        if p < h + self.fill {
            let left = (h + self.fill - p).min(self.chunk.len() as u64) as usize;
            return Ok(&self.chunk[..left]);
        }
        let t = (p - h - self.fill) as usize;
        Ok(&self.tail[t.min(self.tail.len())..])
    }
    fn consume(&mut self, n: usize) {
        self.pos += n as u64;
    }
}

fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn memory_stays_bounded_on_a_huge_element() {
    let fill: u64 = 96 * 1024 * 1024;
    let src = Huge {
        head: format!(
            r#"[{},{{"type":"note","id":"note--00000000-0000-4000-8000-000000000000","content":""#,
            ind(1)
        )
        .into_bytes(),
        fill,
        tail: format!(r#""}},{}]"#, ind(2)).into_bytes(),
        pos: 0,
        chunk: vec![b'x'; 64 * 1024],
    };
    let before = peak_rss_kib();
    let items: Vec<_> = Reader::with_max_object_size(src, 1 << 20).collect();
    let after = peak_rss_kib();
    assert_eq!(items.len(), 3);
    assert!(matches!(
        items[1].as_ref().unwrap_err().kind,
        StreamErrorKind::TooLarge { .. }
    ));
    assert_eq!(items.iter().filter(|i| i.is_ok()).count(), 2);
    if let (Some(b), Some(a)) = (before, after) {
        // 96 MiB went through; the peak grew by far less than that.
        assert!(a - b < 24 * 1024, "peak RSS grew by {} KiB", a - b);
    }
}
