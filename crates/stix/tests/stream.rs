//! The streaming reader: formats, positions, bounded memory and recovery after bad elements.

use std::io::BufReader;

use entente_stix::Object;
use entente_stix::stream::{Format, Reader, StreamError, StreamErrorKind};

fn ind(n: usize) -> String {
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{:08x}-0000-4000-8000-000000000000","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"escaped \" quote and \\ backslash {{[","pattern":"[ipv4-addr:value = '10.0.0.{}']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}}"#,
        n,
        n % 256
    )
}

fn read_all(input: &[u8]) -> Vec<Result<Object, StreamError>> {
    Reader::new(input).collect()
}

fn ids(items: &[Result<Object, StreamError>]) -> Vec<String> {
    items
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .map(|o| o.id().to_string())
        .collect()
}

fn errors(items: &[Result<Object, StreamError>]) -> Vec<&StreamError> {
    items.iter().filter_map(|i| i.as_ref().err()).collect()
}

#[test]
fn bundle_yields_each_object_with_exact_text() {
    let text = format!(
        "{{\n  \"type\": \"bundle\",\n  \"id\": \"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\",\n  \"objects\": [\n    {},\n    {}\n  ]\n}}\n",
        ind(1),
        ind(2)
    );
    let mut r = Reader::new(text.as_bytes());
    let items: Vec<_> = r.by_ref().collect();
    assert_eq!(errors(&items).len(), 0, "{items:?}");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().as_json(), ind(1));
    assert_eq!(items[1].as_ref().unwrap().as_json(), ind(2));
    assert_eq!(r.format(), Some(Format::Objects));
    assert_eq!(
        r.bundle_id(),
        Some("bundle--5d0092c5-5f74-4287-9642-33f4c354e56d")
    );
}

#[test]
fn bundle_members_may_follow_objects() {
    let text = format!(
        r#"{{"objects":[{}],"id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","type":"bundle"}}"#,
        ind(1)
    );
    let items = read_all(text.as_bytes());
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(items[0].is_ok());
}

#[test]
fn array_of_objects() {
    let text = format!("[ {} ,\n{}]", ind(1), ind(2));
    let mut r = Reader::new(text.as_bytes());
    let items: Vec<_> = r.by_ref().collect();
    assert_eq!(ids(&items).len(), 2, "{items:?}");
    assert_eq!(r.format(), Some(Format::Array));
    assert!(read_all(b"[]").is_empty());
}

#[test]
fn json_lines_and_a_bad_line() {
    let text = format!("{}\n{}\n42\n{}\n", ind(1), ind(2), ind(3));
    let items = read_all(text.as_bytes());
    assert_eq!(items.len(), 4);
    assert_eq!(ids(&items).len(), 3);
    let e = items[2].as_ref().unwrap_err();
    assert!(
        matches!(e.kind, StreamErrorKind::NotAnObject("a number")),
        "{e}"
    );
    assert_eq!(e.at.line, 3);
    assert_eq!(e.at.index, 2);
    assert!(!e.is_fatal());
}

#[test]
fn a_last_line_without_newline() {
    let text = format!("{}\n7", ind(1));
    let mut r = Reader::new(text.as_bytes());
    let items: Vec<_> = r.by_ref().collect();
    assert_eq!(items.len(), 2);
    let e = items[1].as_ref().unwrap_err();
    assert!(
        matches!(e.kind, StreamErrorKind::NotAnObject("a number")),
        "{e}"
    );
    assert_eq!(r.offset(), text.len() as u64);
    assert_eq!(r.line(), 2);
    let items = read_all(ind(1).as_bytes());
    assert_eq!(ids(&items).len(), 1);
}

#[test]
fn a_single_object_keeps_its_exact_text() {
    let text = "{ \"type\" : \"identity\", \"spec_version\":\"2.1\",\n \"id\": \"identity--8c6af861-7b20-41ef-9b59-6344fd872a8f\", \"created\": \"2016-08-08T15:50:10.983Z\", \"modified\": \"2016-08-08T15:50:10.983Z\", \"name\": \"x\" }";
    let items = read_all(format!("\n\n{text}\n").as_bytes());
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].as_ref().unwrap().as_json(), text);
}

#[test]
fn truncated_input_is_a_fatal_error_after_the_complete_objects() {
    let text = format!(
        r#"{{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{},{}]}}"#,
        ind(1),
        ind(2)
    );
    let cut = &text.as_bytes()[..text.len() - 40];
    let items = read_all(cut);
    assert_eq!(ids(&items).len(), 1);
    let errs = errors(&items);
    assert_eq!(errs.len(), 1);
    assert!(
        matches!(errs[0].kind, StreamErrorKind::Truncated(_)),
        "{}",
        errs[0]
    );
    assert!(errs[0].is_fatal());
    assert_eq!(errs[0].at.index, 1);
    // Cut between elements: the list never closes.
    let cut = text.find(&ind(2)).unwrap();
    let items = read_all(&text.as_bytes()[..cut]);
    assert_eq!(ids(&items).len(), 1);
    assert!(matches!(
        errors(&items)[0].kind,
        StreamErrorKind::Truncated(_)
    ));
}

#[test]
fn an_oversized_element_is_skipped_and_the_next_ones_come() {
    let big = format!(
        r#"{{"type":"note","id":"note--00000000-0000-4000-8000-000000000000","content":"{}"}}"#,
        "x".repeat(5000)
    );
    let text = format!("[{},{big},{}]", ind(1), ind(2));
    let items: Vec<_> = Reader::with_max_object_size(text.as_bytes(), 1024).collect();
    assert_eq!(items.len(), 3);
    let e = items[1].as_ref().unwrap_err();
    assert!(
        matches!(e.kind, StreamErrorKind::TooLarge { max: 1024 }),
        "{e}"
    );
    assert_eq!(e.at.index, 1);
    assert_eq!(ids(&items).len(), 2);
    // The same in a bundle and in JSON lines.
    let text = format!(
        r#"{{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{big},{}]}}"#,
        ind(2)
    );
    let items: Vec<_> = Reader::with_max_object_size(text.as_bytes(), 1024).collect();
    assert_eq!(ids(&items).len(), 1);
    assert_eq!(errors(&items).len(), 1);
    let text = format!("{big}\n{}\n", ind(2));
    let items: Vec<_> = Reader::with_max_object_size(text.as_bytes(), 1024).collect();
    assert_eq!(ids(&items).len(), 1);
    assert!(matches!(
        errors(&items)[0].kind,
        StreamErrorKind::TooLarge { .. }
    ));
}

#[test]
fn deep_nesting_is_skipped_in_bounded_memory() {
    let mut text = format!("[{},", ind(1));
    text.push_str(&"[".repeat(200_000));
    text.push_str(&"]".repeat(200_000));
    text.push_str(&format!(",{}]", ind(2)));
    let items: Vec<_> = Reader::with_max_object_size(text.as_bytes(), 1024).collect();
    assert_eq!(items.len(), 3, "{items:?}");
    assert!(matches!(
        items[1].as_ref().unwrap_err().kind,
        StreamErrorKind::TooLarge { .. }
    ));
    assert_eq!(ids(&items).len(), 2);
    // Within the size limit but deeper than any parser accepts: not an object.
    let text = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let items = read_all(format!("[{text}]").as_bytes());
    assert!(matches!(
        items[0].as_ref().unwrap_err().kind,
        StreamErrorKind::NotAnObject("a list")
    ));
}

#[test]
fn invalid_utf8_in_an_element_is_reported_and_skipped() {
    let mut bytes = format!("[{},", ind(1)).into_bytes();
    bytes.extend_from_slice(b"{\"type\":\"note\",\"id\":\"note--00000000-0000-4000-8000-000000000000\",\"content\":\"\xff\xfe\"}");
    bytes.extend_from_slice(format!(",{}]", ind(2)).as_bytes());
    let items = read_all(&bytes);
    assert_eq!(items.len(), 3);
    assert!(
        matches!(
            items[1].as_ref().unwrap_err().kind,
            StreamErrorKind::InvalidUtf8 { valid_up_to: 76 }
        ),
        "{:?}",
        items[1]
    );
    assert_eq!(ids(&items).len(), 2);
}

#[test]
fn structural_errors_are_fatal_with_a_position() {
    let items = read_all(b"nope");
    assert!(matches!(errors(&items)[0].kind, StreamErrorKind::Syntax(_)));
    let text = format!("[{} {}]", ind(1), ind(2));
    let items = read_all(text.as_bytes());
    assert_eq!(items.len(), 2);
    let e = items[1].as_ref().unwrap_err();
    assert!(matches!(e.kind, StreamErrorKind::Syntax(_)), "{e}");
    assert_eq!(e.at.offset as usize, ind(1).len() + 2);
    let items = read_all(format!("[{},]", ind(1)).as_bytes());
    assert!(matches!(errors(&items)[0].kind, StreamErrorKind::Syntax(_)));
}

#[test]
fn bundle_errors() {
    let items =
        read_all(br#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}"#);
    assert!(matches!(
        errors(&items)[0].kind,
        StreamErrorKind::BundleWithoutObjects
    ));
    let text = format!(
        r#"{{"type":"bundle","id":"bundle-1","objects":[{}]}}"#,
        ind(1)
    );
    let items = read_all(text.as_bytes());
    assert_eq!(ids(&items).len(), 1);
    assert!(
        matches!(&errors(&items)[0].kind, StreamErrorKind::Bundle(m) if m.contains("bundle--<UUID>"))
    );
    let text = format!(
        r#"{{"id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{}]}}"#,
        ind(1)
    );
    let items = read_all(text.as_bytes());
    assert!(
        matches!(&errors(&items)[0].kind, StreamErrorKind::Bundle(m) if m.contains("no `type`"))
    );
    // Elements that are not objects, or not STIX objects.
    let items = read_all(br#"[1, "s", [2], {"no":"id"}, null]"#);
    assert_eq!(items.len(), 5);
    let kinds: Vec<String> = items
        .iter()
        .map(|i| i.as_ref().unwrap_err().kind.to_string())
        .collect();
    assert_eq!(kinds[0], "expected a JSON object, found a number");
    assert_eq!(kinds[1], "expected a JSON object, found a string");
    assert_eq!(kinds[2], "expected a JSON object, found a list");
    assert!(kinds[3].contains("`id`"), "{}", kinds[3]);
    assert_eq!(kinds[4], "expected a JSON object, found null");
}

#[test]
fn hundred_thousand_objects_with_one_invalid_in_the_middle() {
    let mut text = String::from(
        r#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":["#,
    );
    for n in 0..100_000 {
        if n > 0 {
            text.push(',');
        }
        if n == 50_000 {
            text.push_str(r#"{"type":"indicator","id":"indicator--1","name":"broken","#);
            text.push_str(r#""x":[1,2}"#);
        } else {
            text.push_str(&ind(n));
        }
    }
    text.push_str("]}");
    let mut good = 0;
    let mut bad = Vec::new();
    for item in Reader::new(BufReader::new(text.as_bytes())) {
        match item {
            Ok(o) => {
                good += 1;
                assert!(o.validate().is_valid());
            }
            Err(e) => bad.push(e),
        }
    }
    assert_eq!(good, 99_999);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].at.index, 50_000);
    assert!(
        matches!(bad[0].kind, StreamErrorKind::Object(_)),
        "{}",
        bad[0]
    );
}

#[test]
fn tiny_buffers_give_the_same_result() {
    let text = format!(
        "{{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\",\"objects\":[{},\n{}]}}\n{}\n[1]\n",
        ind(1),
        ind(2),
        ind(3)
    );
    let whole: Vec<String> = read_all(text.as_bytes())
        .into_iter()
        .map(|i| match i {
            Ok(o) => o.as_json().to_owned(),
            Err(e) => e.to_string(),
        })
        .collect();
    assert_eq!(whole.len(), 4);
    for cap in 1..=17 {
        let r = BufReader::with_capacity(cap, text.as_bytes());
        let got: Vec<String> = Reader::new(r)
            .map(|i| match i {
                Ok(o) => o.as_json().to_owned(),
                Err(e) => e.to_string(),
            })
            .collect();
        assert_eq!(got, whole, "capacity {cap}");
    }
}
