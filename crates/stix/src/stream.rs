//! A streaming reader of STIX objects: bundles, JSON arrays and JSON lines, in bounded memory.
//!
//! [`Reader`] wraps any [`BufRead`] (the caller does the I/O: a file, stdin, a gzip decoder)
//! and yields one `Result<Object, StreamError>` per element, in input order. The format is
//! detected from the first non-whitespace byte:
//!
//! - `[` — a JSON array of objects;
//! - `{` — one or more top-level JSON objects, separated by whitespace (JSON lines, or a
//!   single object). A top-level object whose `objects` member is a list is read as a bundle:
//!   its `objects` are streamed one by one, and the other members are checked when the bundle
//!   closes (`type` must be `bundle`, `id` must be `bundle--<UUID>`). A top-level object
//!   without `objects` is itself a STIX object (unless its `type` is `bundle`: an empty
//!   bundle is reported, since importing one is almost always a mistake).
//!
//! Memory is bounded by `max_object_size`: the reader copies one element at a time into a
//! buffer, and an element that grows past the limit is scanned to its end *without* being
//! stored, reported as [`StreamErrorKind::TooLarge`], and skipped; the stream goes on.
//!
//! The splitter is a hand-written byte scanner: it tracks string state, escapes and the stack
//! of open brackets, and jumps through string contents with `memchr2` for `"` and `\`. It does not check
//! JSON grammar inside an element; `serde_json` does that when the element is parsed, so a
//! malformed element is an error item for that element only. Errors in the structure around
//! elements (a missing comma, truncated input, an I/O error) end the stream after one error
//! item, since the position of the next element can no longer be trusted.
//!
//! Each error carries a [`Position`]: the element index, the byte offset and the line where
//! the element (or the structural error) starts.

use std::fmt;
use std::io::BufRead;

use crate::{Object, ParseError};

/// Nesting depth up to which brackets are matched by kind; deeper ones are only counted. JSON
/// parsers reject such depths anyway (`serde_json` stops at 128).
const MAX_TRACKED_DEPTH: usize = 1024;

/// The default maximum size of one element: 16 MiB.
pub const DEFAULT_MAX_OBJECT_SIZE: usize = 16 * 1024 * 1024;

/// Where in the input an item starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// Zero-based index of the element among all elements read (objects of a bundle or an
    /// array, or top-level objects of JSON lines).
    pub index: u64,
    /// Byte offset from the start of the input.
    pub offset: u64,
    /// One-based line number.
    pub line: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "element {} (line {}, byte {})",
            self.index, self.line, self.offset
        )
    }
}

/// What went wrong with one element or with the input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamErrorKind {
    /// Reading the input failed. Fatal.
    #[error("read error: {0}")]
    Io(#[from] std::io::Error),
    /// The structure around elements is not JSON (expected what is said). Fatal.
    #[error("syntax error: expected {0}")]
    Syntax(&'static str),
    /// The input ended inside an element or before the enclosing array or bundle closed. Fatal.
    #[error("truncated input: {0}")]
    Truncated(&'static str),
    /// The element is larger than the configured maximum; it was skipped.
    #[error("element larger than the maximum of {max} bytes; skipped")]
    TooLarge {
        /// The configured maximum.
        max: usize,
    },
    /// The element is not valid UTF-8; it was skipped.
    #[error("invalid UTF-8 at byte {valid_up_to} of the element")]
    InvalidUtf8 {
        /// Bytes of the element that were valid.
        valid_up_to: usize,
    },
    /// The element is a JSON value other than an object; it was skipped.
    #[error("expected a JSON object, found {0}")]
    NotAnObject(&'static str),
    /// The element is not JSON, or not a STIX object (its header is bad); it was skipped.
    #[error("{0}")]
    Object(#[from] ParseError),
    /// A container with an `objects` list is not a bundle (`type` or `id` is wrong).
    #[error("not a STIX bundle: {0}")]
    Bundle(String),
    /// A bundle has no `objects`.
    #[error("bundle without `objects`")]
    BundleWithoutObjects,
}

/// An error item of the stream: what and where.
#[derive(Debug, thiserror::Error)]
#[error("{at}: {kind}")]
pub struct StreamError {
    /// What went wrong.
    pub kind: StreamErrorKind,
    /// Where.
    pub at: Position,
}

impl StreamError {
    /// True when the stream stops after this error (I/O, syntax, truncation).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self.kind,
            StreamErrorKind::Io(_) | StreamErrorKind::Syntax(_) | StreamErrorKind::Truncated(_)
        )
    }
}

/// The detected input format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A JSON array of objects.
    Array,
    /// Top-level objects: a bundle, a single object, or JSON lines.
    Objects,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Start,
    /// Inside a top-level array, before an element or `]`.
    ArrayFirst,
    /// Inside a top-level array, after an element.
    ArrayNext,
    /// Between top-level objects.
    TopLevel,
    /// Inside a bundle's `objects` list, before an element or `]`.
    BundleFirst,
    /// Inside a bundle's `objects` list, after an element.
    BundleNext,
    Done,
}

/// The members of the top-level object being read, apart from a streamed `objects` list.
#[derive(Default)]
struct Container {
    start: Position,
    /// The object's text with a streamed `objects` list left out; bounded by the maximum.
    text: Vec<u8>,
    overflow: bool,
    need_comma: bool,
    streamed_objects: bool,
    ty: Option<String>,
    id: Option<String>,
}

/// Reads STIX objects from a bundle, an array or JSON lines (see the module docs).
pub struct Reader<R> {
    src: R,
    max: usize,
    state: State,
    format: Option<Format>,
    offset: u64,
    line: u64,
    index: u64,
    buf: Vec<u8>,
    container: Container,
    /// Open brackets of the element being scanned, up to [`MAX_TRACKED_DEPTH`].
    stack: Vec<u8>,
    /// Open brackets beyond [`MAX_TRACKED_DEPTH`], only counted, so that a hostile
    /// `[[[[…` cannot grow memory past a fixed bound.
    deep: u64,
    /// While true, bytes consumed by `peek` and `bump` are kept in `container.text`.
    recording: bool,
    bundle_id: Option<String>,
}

/// How a scanned element ended.
enum Scan {
    /// Complete; `overflow` when it was larger than the maximum (the buffer holds a prefix).
    Done { overflow: bool },
    /// The input ended inside it.
    Eof,
}

impl<R: BufRead> Reader<R> {
    /// A reader with the default maximum element size.
    pub fn new(src: R) -> Reader<R> {
        Reader::with_max_object_size(src, DEFAULT_MAX_OBJECT_SIZE)
    }

    /// A reader that skips (and reports) elements larger than `max` bytes.
    pub fn with_max_object_size(src: R, max: usize) -> Reader<R> {
        Reader {
            src,
            max,
            state: State::Start,
            format: None,
            offset: 0,
            line: 1,
            index: 0,
            buf: Vec::new(),
            container: Container::default(),
            recording: false,
            stack: Vec::new(),
            deep: 0,
            bundle_id: None,
        }
    }

    /// The detected format, once the first byte has been read.
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// The id of the last bundle read, once its `id` member has been seen.
    pub fn bundle_id(&self) -> Option<&str> {
        self.bundle_id.as_deref()
    }

    /// Bytes consumed so far (for progress reporting).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The current line (one-based).
    pub fn line(&self) -> u64 {
        self.line
    }

    fn pos(&self) -> Position {
        Position {
            index: self.index,
            offset: self.offset,
            line: self.line,
        }
    }

    fn fatal(
        &mut self,
        kind: StreamErrorKind,
        at: Position,
    ) -> Option<Result<Object, StreamError>> {
        self.state = State::Done;
        Some(Err(StreamError { kind, at }))
    }

    /// Skips whitespace and returns the next byte without consuming it.
    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        loop {
            let chunk = match self.src.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Ok(None);
            }
            let mut n = 0;
            let mut lines = 0;
            while n < chunk.len() {
                match chunk[n] {
                    b'\n' => lines += 1,
                    b' ' | b'\t' | b'\r' => {}
                    // A UTF-8 byte order mark is tolerated at the very start.
                    0xEF if self.offset == 0 && n == 0 && chunk.starts_with(b"\xEF\xBB\xBF") => {
                        n += 2;
                    }
                    _ => break,
                }
                n += 1;
            }
            let found = (n < chunk.len()).then(|| chunk[n]);
            if self.recording {
                let c = &mut self.container;
                if c.text.len() + n > self.max {
                    c.overflow = true;
                } else {
                    c.text.extend_from_slice(&chunk[..n]);
                }
            }
            self.src.consume(n);
            self.offset += n as u64;
            self.line += lines;
            if let Some(b) = found {
                return Ok(Some(b));
            }
        }
    }

    fn bump(&mut self) {
        if self.recording
            && let Ok(&[b, ..]) = self.src.fill_buf()
        {
            self.keep(&[b]);
        }
        self.src.consume(1);
        self.offset += 1;
    }

    /// Appends to the kept text of the current top-level object, within the maximum.
    fn keep(&mut self, bytes: &[u8]) {
        let c = &mut self.container;
        if c.overflow || c.text.len() + bytes.len() > self.max {
            c.overflow = true;
            c.text.clear();
        } else {
            c.text.extend_from_slice(bytes);
        }
    }

    /// Scans one JSON value starting at the current byte into `self.buf` (keeping at most
    /// `max` bytes; beyond that only the scanner state advances).
    fn scan_value(&mut self) -> std::io::Result<Scan> {
        self.buf.clear();
        let mut overflow = false;
        let first = match self.peek()? {
            Some(b) => b,
            None => return Ok(Scan::Eof),
        };
        let container = first == b'{' || first == b'[';
        self.stack.clear();
        self.deep = 0;
        let mut in_str = false;
        let mut escaped = false;
        let mut started = false;
        loop {
            let chunk = match self.src.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                // A number or literal may end the input (a last JSON line without newline).
                if !container && started && !in_str {
                    return Ok(Scan::Done { overflow });
                }
                return Ok(Scan::Eof);
            }
            let n = chunk.len();
            let mut i = 0;
            let mut end = None;
            if escaped {
                escaped = false;
                i = 1;
            }
            while i < n {
                if in_str {
                    match memchr::memchr2(b'"', b'\\', &chunk[i..]) {
                        None => i = n,
                        Some(k) => {
                            i += k;
                            if chunk[i] == b'\\' {
                                if i + 1 < n {
                                    i += 2;
                                } else {
                                    escaped = true;
                                    i = n;
                                }
                            } else {
                                in_str = false;
                                i += 1;
                                if !container {
                                    end = Some(i);
                                    break;
                                }
                            }
                        }
                    }
                    continue;
                }
                let c = chunk[i];
                if c == b' ' && container {
                    // Indentation: skip runs of spaces eight at a time.
                    i += 1;
                    while i + 8 <= n
                        && u64::from_ne_bytes(chunk[i..i + 8].try_into().expect("8 bytes"))
                            == u64::from_ne_bytes([b' '; 8])
                    {
                        i += 8;
                    }
                    while i < n && chunk[i] == b' ' {
                        i += 1;
                    }
                    continue;
                }
                if container {
                    match c {
                        b'"' => in_str = true,
                        b'{' | b'[' if self.stack.len() >= MAX_TRACKED_DEPTH => self.deep += 1,
                        b'{' | b'[' => self.stack.push(c),
                        b'}' | b']' if self.deep > 0 => self.deep -= 1,
                        b'}' | b']' => {
                            // A closer that does not match the innermost opener closes the
                            // nearest opener it matches: an unclosed `[` inside an object then
                            // ends the element at the object's `}` instead of swallowing the
                            // rest of the input. The element is malformed either way and the
                            // JSON parser rejects it; this only decides where the next begins.
                            let open = if c == b'}' { b'{' } else { b'[' };
                            if let Some(k) = self.stack.iter().rposition(|&o| o == open) {
                                self.stack.truncate(k);
                            }
                            if self.stack.is_empty() {
                                end = Some(i + 1);
                                break;
                            }
                        }
                        _ => {}
                    }
                } else if !started && c == b'"' {
                    in_str = true;
                } else if matches!(c, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                    end = Some(i);
                    break;
                }
                started = true;
                i += 1;
            }
            let take = end.unwrap_or(n);
            if !overflow {
                if self.buf.len() + take > self.max {
                    overflow = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(&chunk[..take]);
                }
            }
            let lines = memchr::memchr_iter(b'\n', &chunk[..take]).count() as u64;
            self.src.consume(take);
            self.offset += take as u64;
            self.line += lines;
            if end.is_some() {
                return Ok(Scan::Done { overflow });
            }
        }
    }

    /// Scans one element and turns it into an item.
    fn element(&mut self) -> Option<Result<Object, StreamError>> {
        let at = self.pos();
        let first = match self.peek() {
            Ok(b) => b,
            Err(e) => return self.fatal(e.into(), at),
        };
        let at = self.pos();
        let scan = match self.scan_value() {
            Ok(s) => s,
            Err(e) => return self.fatal(e.into(), at),
        };
        self.index += 1;
        match scan {
            Scan::Eof => self.fatal(
                StreamErrorKind::Truncated("the input ends inside an element"),
                at,
            ),
            Scan::Done { overflow: true } => Some(Err(StreamError {
                kind: StreamErrorKind::TooLarge { max: self.max },
                at,
            })),
            Scan::Done { overflow: false } => {
                if first != Some(b'{') {
                    let what = match first {
                        Some(b'[') => "a list",
                        Some(b'"') => "a string",
                        Some(b't' | b'f') => "a boolean",
                        Some(b'n') => "null",
                        _ => "a number",
                    };
                    if first.is_some_and(|b| !b"[\"tfn-0123456789".contains(&b)) {
                        return self.fatal(StreamErrorKind::Syntax("a JSON value"), at);
                    }
                    return Some(Err(StreamError {
                        kind: StreamErrorKind::NotAnObject(what),
                        at,
                    }));
                }
                Some(self.object_from_buf(at))
            }
        }
    }

    fn object_from_buf(&mut self, at: Position) -> Result<Object, StreamError> {
        // `buf` is a scratch buffer reused across elements; the object gets an exact-size copy.
        let text = match std::str::from_utf8(&self.buf) {
            Ok(t) => t.to_owned(),
            Err(e) => {
                return Err(StreamError {
                    kind: StreamErrorKind::InvalidUtf8 {
                        valid_up_to: e.valid_up_to(),
                    },
                    at,
                });
            }
        };
        Object::from_string(text).map_err(|e| StreamError { kind: e.into(), at })
    }

    /// Reads members of a top-level object until its `objects` list opens (returns true) or
    /// the object closes (returns false). The opening `{` has been consumed.
    fn container_members(&mut self) -> Result<bool, StreamError> {
        loop {
            let at = self.pos();
            let b = self
                .peek()
                .map_err(|e| StreamError { kind: e.into(), at })?;
            let at = self.pos();
            match b {
                None => {
                    return Err(StreamError {
                        kind: StreamErrorKind::Truncated(
                            "the input ends inside a top-level object",
                        ),
                        at,
                    });
                }
                Some(b'}') => {
                    self.bump();
                    self.recording = false;
                    return Ok(false);
                }
                Some(b',') if self.container.need_comma => {
                    self.bump();
                    self.container.need_comma = false;
                    continue;
                }
                Some(b'"') if !self.container.need_comma => {}
                Some(_) => {
                    return Err(StreamError {
                        kind: StreamErrorKind::Syntax(if self.container.need_comma {
                            "`,` or `}` after a member"
                        } else {
                            "a member name"
                        }),
                        at,
                    });
                }
            }
            // The member name.
            let scanned = self
                .scan_value()
                .map_err(|e| StreamError { kind: e.into(), at })?;
            let name: String = match scanned {
                Scan::Eof => {
                    return Err(StreamError {
                        kind: StreamErrorKind::Truncated("the input ends inside a member name"),
                        at,
                    });
                }
                Scan::Done { overflow: true } => {
                    return Err(StreamError {
                        kind: StreamErrorKind::TooLarge { max: self.max },
                        at,
                    });
                }
                Scan::Done { overflow: false } => {
                    serde_json::from_slice(&self.buf).map_err(|_| StreamError {
                        kind: StreamErrorKind::Syntax("a member name"),
                        at,
                    })?
                }
            };
            if self.recording {
                let key_text = std::mem::take(&mut self.buf);
                self.keep(&key_text);
                self.buf = key_text;
            }
            let at = self.pos();
            match self
                .peek()
                .map_err(|e| StreamError { kind: e.into(), at })?
            {
                Some(b':') => self.bump(),
                None => {
                    return Err(StreamError {
                        kind: StreamErrorKind::Truncated("the input ends after a member name"),
                        at,
                    });
                }
                Some(_) => {
                    return Err(StreamError {
                        kind: StreamErrorKind::Syntax("`:`"),
                        at,
                    });
                }
            }
            let at = self.pos();
            let vb = self
                .peek()
                .map_err(|e| StreamError { kind: e.into(), at })?;
            if name == "objects" && vb == Some(b'[') && !self.container.streamed_objects {
                // A bundle: its text is not needed any more (only `type` and `id` are).
                self.recording = false;
                self.container.text = Vec::new();
                self.bump();
                self.container.streamed_objects = true;
                self.container.need_comma = true;
                return Ok(true);
            }
            let scanned = self
                .scan_value()
                .map_err(|e| StreamError { kind: e.into(), at })?;
            match scanned {
                Scan::Eof => {
                    return Err(StreamError {
                        kind: StreamErrorKind::Truncated("the input ends inside a member value"),
                        at,
                    });
                }
                Scan::Done { overflow } => {
                    if overflow {
                        self.container.overflow = true;
                    } else if self.recording {
                        let val = std::mem::take(&mut self.buf);
                        self.keep(&val);
                        self.buf = val;
                    }
                    let c = &mut self.container;
                    if name == "type" || name == "id" {
                        let s: Option<String> = serde_json::from_slice(&self.buf).ok();
                        if name == "type" {
                            c.ty = s;
                        } else {
                            c.id = s;
                        }
                    }
                    c.need_comma = true;
                }
            }
        }
    }

    /// Called when a top-level object closes.
    fn close_container(&mut self) -> Option<Result<Object, StreamError>> {
        self.state = State::TopLevel;
        let c = std::mem::take(&mut self.container);
        let at = c.start;
        if c.streamed_objects {
            if c.ty.as_deref() != Some("bundle") {
                return Some(Err(StreamError {
                    kind: StreamErrorKind::Bundle(match c.ty {
                        None => {
                            "the container of `objects` has no `type`; expected \"bundle\"".into()
                        }
                        Some(t) => format!(
                            "the container of `objects` has type `{t}`; expected \"bundle\""
                        ),
                    }),
                    at,
                }));
            }
            let id_ok = c.id.as_deref().is_some_and(|id| {
                id.parse::<crate::StixId>()
                    .is_ok_and(|i| i.object_type() == "bundle")
            });
            if !id_ok {
                return Some(Err(StreamError {
                    kind: StreamErrorKind::Bundle(format!(
                        "id {:?}: expected bundle--<UUID>",
                        c.id.unwrap_or_default()
                    )),
                    at,
                }));
            }
            return None;
        }
        // A single top-level object.
        let at = Position {
            index: self.index,
            ..at
        };
        self.index += 1;
        if c.ty.as_deref() == Some("bundle") {
            return Some(Err(StreamError {
                kind: StreamErrorKind::BundleWithoutObjects,
                at,
            }));
        }
        if c.overflow {
            return Some(Err(StreamError {
                kind: StreamErrorKind::TooLarge { max: self.max },
                at,
            }));
        }
        self.buf = c.text;
        Some(self.object_from_buf(at))
    }

    fn next_item(&mut self) -> Option<Result<Object, StreamError>> {
        loop {
            let at = self.pos();
            let b = match self.peek() {
                Ok(b) => b,
                Err(e) => return self.fatal(e.into(), at),
            };
            let at = self.pos();
            match self.state {
                State::Done => return None,
                State::Start => match b {
                    None => {
                        self.state = State::Done;
                        return None;
                    }
                    Some(b'[') => {
                        self.bump();
                        self.format = Some(Format::Array);
                        self.state = State::ArrayFirst;
                    }
                    Some(b'{') => {
                        self.format = Some(Format::Objects);
                        self.state = State::TopLevel;
                    }
                    Some(_) => {
                        return self.fatal(
                            StreamErrorKind::Syntax(
                                "`[` (a JSON array) or `{` (a bundle or JSON lines)",
                            ),
                            at,
                        );
                    }
                },
                State::ArrayFirst | State::ArrayNext | State::BundleFirst | State::BundleNext => {
                    let first = matches!(self.state, State::ArrayFirst | State::BundleFirst);
                    let in_bundle = matches!(self.state, State::BundleFirst | State::BundleNext);
                    match b {
                        None => {
                            return self.fatal(
                                StreamErrorKind::Truncated("the input ends before the list closes"),
                                at,
                            );
                        }
                        Some(b']') => {
                            self.bump();
                            if in_bundle {
                                match self.container_members() {
                                    Ok(false) => {
                                        if let Some(item) = self.close_container() {
                                            return Some(item);
                                        }
                                    }
                                    Ok(true) => unreachable!("objects is streamed once"),
                                    Err(e) => {
                                        self.state = State::Done;
                                        return Some(Err(e));
                                    }
                                }
                            } else {
                                // After the array only whitespace may follow.
                                return match self.peek() {
                                    Ok(None) => {
                                        self.state = State::Done;
                                        None
                                    }
                                    Ok(Some(_)) => {
                                        let at = self.pos();
                                        self.fatal(
                                            StreamErrorKind::Syntax(
                                                "the end of input after the array",
                                            ),
                                            at,
                                        )
                                    }
                                    Err(e) => self.fatal(e.into(), at),
                                };
                            }
                        }
                        Some(b',') if !first => {
                            self.bump();
                            let at = self.pos();
                            match self.peek() {
                                Ok(Some(b']')) => {
                                    return self.fatal(
                                        StreamErrorKind::Syntax("an element after `,`"),
                                        at,
                                    );
                                }
                                Ok(_) => {}
                                Err(e) => return self.fatal(e.into(), at),
                            }
                            self.state = if in_bundle {
                                State::BundleFirst
                            } else {
                                State::ArrayFirst
                            };
                        }
                        Some(_) if first => {
                            self.state = if in_bundle {
                                State::BundleNext
                            } else {
                                State::ArrayNext
                            };
                            return self.element();
                        }
                        Some(_) => {
                            return self
                                .fatal(StreamErrorKind::Syntax("`,` or `]` after an element"), at);
                        }
                    }
                }
                State::TopLevel => match b {
                    None => {
                        self.state = State::Done;
                        return None;
                    }
                    Some(b'{') => {
                        self.container = Container {
                            start: at,
                            ..Container::default()
                        };
                        self.recording = true;
                        self.bump();
                        match self.container_members() {
                            Ok(true) => {
                                self.state = State::BundleFirst;
                                if self.container.ty.as_deref() == Some("bundle") {
                                    self.bundle_id = self.container.id.clone();
                                }
                            }
                            Ok(false) => {
                                if let Some(item) = self.close_container() {
                                    return Some(item);
                                }
                            }
                            Err(e) => {
                                self.state = State::Done;
                                return Some(Err(e));
                            }
                        }
                    }
                    Some(_) => {
                        // A non-object line in JSON lines: report it and go on with the next.
                        return self.element();
                    }
                },
            }
        }
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<Object, StreamError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_item()
    }
}
