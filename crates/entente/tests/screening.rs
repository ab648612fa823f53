//! Sanctions screening from the command line (issue 7): the built `entente` binary on a temporary
//! data folder, with the real UN Consolidated List files of `../shared/data/sanctions/` (the
//! 2015-03-27 and 2026-02-27 versions).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

struct Node {
    dir: tempfile::TempDir,
}

impl Node {
    fn new() -> Node {
        let node = Node {
            dir: tempfile::Builder::new()
                .prefix("entente-screening-")
                .tempdir()
                .unwrap(),
        };
        let out = node.run(&["init"]);
        assert!(out.status.success(), "init failed: {}", text(&out.stderr));
        node
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_entente"));
        c.arg("--data").arg(self.dir.path().join("data")).args(args);
        c.env_remove("ENTENTE_DATA")
            .env_remove("ENTENTE_STORE_URL")
            .env("ENTENTE_LOG", "warn");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Runs and asserts success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    fn run_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        out
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn import(&self, file: &Path) -> serde_json::Value {
        let out = self.ok(&[
            "lists",
            "import",
            "--list",
            "un",
            "--json",
            file.to_str().unwrap(),
        ]);
        serde_json::from_str(&out).unwrap()
    }

    fn screen_json(&self, name: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["screen", "--list", "un", "--json", name])).unwrap()
    }

    fn versions(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["lists", "show", "--json"])).unwrap()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sanctions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sanctions")
}

fn un_2015() -> PathBuf {
    sanctions().join("un_consolidated_2015-03-27.xml")
}

fn un_2026() -> PathBuf {
    sanctions().join("un_consolidated_2026-02-27.xml")
}

fn ids(result: &serde_json::Value) -> Vec<String> {
    result["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Two dated versions of the UN list: each import reports its diff against the previous one,
/// the diff is stored and queryable, and the subjects screened before the second import are
/// re-screened with it: a delisted person's hit vanishes, a newly listed person's hit appears.
#[test]
fn issue_7_list_versions_diff_and_rescreening() {
    let node = Node::new();
    let first = node.import(&un_2015());
    assert_eq!(first["version"]["number"], 1);
    assert_eq!(first["version"]["version"], "2015-03-27");
    assert_eq!(first["version"]["entries"], 1046);
    assert_eq!(first["version"]["added"], 1046);
    assert!(first["previous"].is_null());

    // Listed in 2015, delisted by 2026 (QDi.091, DATAID 111500).
    let delisted = node.screen_json("Mohamed Amine Akli");
    assert_eq!(ids(&delisted)[0], "111500");
    assert_eq!(delisted["matches"][0]["reference"], "QDi.091");
    // Listed only in 2026 (CDi.034, DATAID 6908663).
    let newly = node.screen_json("Lucien Nzambamwita");
    assert!(ids(&newly).is_empty(), "{newly}");
    // Listed in both (CDi.001).
    let both = node.screen_json("Eric Badege");
    assert_eq!(ids(&both), ["6907993"]);

    // The second version, in human-readable form.
    let out = node.ok(&[
        "lists",
        "import",
        "--list",
        "un",
        un_2026().to_str().unwrap(),
    ]);
    assert!(
        out.contains("imported un version 2026-02-27 as number 2: 1003 entries"),
        "{out}"
    );
    assert!(
        out.contains("since version 2015-03-27 (number 1): 302 added, 646 amended, 345 delisted"),
        "{out}"
    );
    assert!(out.contains("re-screened 3 stored subjects"), "{out}");
    let vanished = format!(
        "vanished hit: subject {} (Mohamed Amine Akli) no longer matches un 111500",
        delisted["subject"].as_str().unwrap()
    );
    assert!(out.contains(&vanished), "{out}");
    let appeared = format!(
        "new hit: subject {} (Lucien Nzambamwita) matches un 6908663",
        newly["subject"].as_str().unwrap()
    );
    assert!(out.contains(&appeared), "{out}");
    assert!(
        !out.contains("Eric Badege"),
        "an unchanged hit is not reported: {out}"
    );

    // Stored versions and the stored diff.
    let versions = node.versions();
    let v = versions["versions"].as_array().unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(
        (
            v[1]["added"].as_u64(),
            v[1]["amended"].as_u64(),
            v[1]["delisted"].as_u64()
        ),
        (Some(302), Some(646), Some(345))
    );
    let diff: serde_json::Value =
        serde_json::from_str(&node.ok(&["lists", "diff", "--list", "un", "--json"])).unwrap();
    assert_eq!(diff["added"].as_array().unwrap().len(), 302);
    assert_eq!(diff["amended"].as_array().unwrap().len(), 646);
    let delisted_ids: Vec<&str> = diff["delisted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(delisted_ids.len(), 345);
    assert!(delisted_ids.contains(&"111500"));
    // Each amendment says which fields changed.
    assert!(!diff["amended"][0]["changes"].as_array().unwrap().is_empty());
    let human = node.ok(&["lists", "diff", "--list", "un", "--from", "1", "--to", "2"]);
    assert!(human.starts_with("un: version 2015-03-27 (number 1) -> version 2026-02-27 (number 2): 302 added, 646 amended, 345 delisted"), "{human}");
    assert!(human.contains("- 111500\tMOHAMED AMINE AKLI"), "{human}");
    // Reversed, computed from the stored entries.
    let back: serde_json::Value = serde_json::from_str(&node.ok(&[
        "lists",
        "diff",
        "--list",
        "un",
        "--from",
        "2026-02-27",
        "--to",
        "2015-03-27",
        "--json",
    ]))
    .unwrap();
    assert_eq!(back["added"].as_array().unwrap().len(), 345);
    assert_eq!(back["delisted"].as_array().unwrap().len(), 302);

    // The entries of a version, rebuilt from the store.
    let shown: serde_json::Value = serde_json::from_str(&node.ok(&[
        "lists",
        "show",
        "--list",
        "un",
        "--version",
        "1",
        "--json",
    ]))
    .unwrap();
    assert_eq!(shown["entries"].as_array().unwrap().len(), 1046);
    assert_eq!(shown["version"]["version"], "2015-03-27");

    // A reader that stops early (`| head`) is not an error.
    let mut child = node
        .cmd(&["lists", "show", "--list", "un", "--version", "1", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );

    // Screening now uses the newest version.
    let now = node.screen_json("Lucien Nzambamwita");
    assert_eq!(ids(&now), ["6908663"]);
    assert_eq!(now["matches"][0]["list_version"], "2026-02-27");
    assert!(ids(&node.screen_json("Mohamed Amine Akli")).is_empty());

    // The same dated version again is refused and changes nothing.
    let again = node.run(&[
        "lists",
        "import",
        "--list",
        "un",
        un_2026().to_str().unwrap(),
    ]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already stored"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(node.versions(), versions);
}

/// Bad input gets a clear error and stores nothing.
#[test]
fn bad_input_changes_nothing() {
    let node = Node::new();
    // Nothing imported yet.
    let out = node.run(&["screen", "--list", "un", "Osama"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no version of list \"un\" is stored"),
        "{}",
        text(&out.stderr)
    );
    // Not XML; truncated XML; a CSV header typo for a national list.
    let junk = node.write("junk.xml", b"this is not a list");
    let whole = std::fs::read(un_2026()).unwrap();
    let truncated = node.write("truncated.xml", &whole[..whole.len() / 2]);
    let national = node.write(
        "fr.csv",
        b"id,kind,name,legal_refernce\nFR-1,individual,Karim Benali,Arrete 2024\n",
    );
    for args in [
        vec!["lists", "import", "--list", "un", junk.to_str().unwrap()],
        vec![
            "lists",
            "import",
            "--list",
            "un",
            truncated.to_str().unwrap(),
        ],
        vec![
            "lists",
            "import",
            "--list",
            "national",
            "--id",
            "national-fr",
            national.to_str().unwrap(),
        ],
        vec![
            "lists",
            "import",
            "--list",
            "national",
            "--date",
            "2024-13",
            national.to_str().unwrap(),
        ],
        vec!["lists", "import", "--list", "un", "/nonexistent/un.xml"],
    ] {
        let out = node.run(&args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(!text(&out.stderr).trim().is_empty());
    }
    assert!(node.versions()["versions"].as_array().unwrap().is_empty());

    node.import(&un_2026());
    for t in ["0", "1.5", "nan", "-0.2"] {
        let flag = format!("--threshold={t}");
        let out = node.run(&["screen", &flag, "Eric Badege"]);
        assert!(!out.status.success(), "threshold {t} accepted");
        assert!(
            text(&out.stderr).contains("threshold"),
            "{}",
            text(&out.stderr)
        );
    }
    let out = node.run(&["screen", "--type", "vessel", "Eric Badege"]);
    assert!(!out.status.success());
    let out = node.run(&["screen", "   "]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("non-empty name"),
        "{}",
        text(&out.stderr)
    );
    // A malformed CSV batch.
    let out = node.run_stdin(&["screen", "--csv"], b"name,birthday\nEric Badege,1971\n");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("unknown column"),
        "{}",
        text(&out.stderr)
    );
    let out = node.run_stdin(
        &["screen", "--csv"],
        b"name,nationality\n\"Eric Badege,Congo\n",
    );
    assert!(!out.status.success());
}

/// Without a name, one query per stdin line and one JSON line per query, in order; listed
/// names are found under other spellings, innocents are not.
#[test]
fn stdin_batch_prints_one_json_line_per_query_in_order() {
    let node = Node::new();
    node.import(&un_2026());
    let queries = [
        "Eric Badege",
        "John Smith",
        "",
        "Saddam Hussein al-Tikriti",
        "BADEGE, Eric",
        "Maria Garcia Lopez",
        "Lucien Nzambamwitta",
    ];
    let out = node.run_stdin(&["screen", "--list", "un"], queries.join("\n").as_bytes());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), queries.len());
    for (l, q) in lines.iter().zip(queries) {
        assert_eq!(l["query"], q);
    }
    assert_eq!(ids(&lines[0]), ["6907993"]);
    assert!(ids(&lines[1]).is_empty());
    assert!(
        lines[2]["error"].is_string(),
        "an empty line keeps its place: {}",
        lines[2]
    );
    assert_eq!(ids(&lines[3])[0], "6908048");
    assert_eq!(lines[3]["matches"][0]["reference"], "IQi.001");
    assert_eq!(ids(&lines[4]), ["6907993"]);
    assert!(ids(&lines[5]).is_empty());
    assert_eq!(ids(&lines[6]), ["6908663"]);
    // Each match says why.
    let m = &lines[0]["matches"][0];
    assert_eq!(m["list"], "un");
    assert!(m["score"].as_f64().unwrap() >= 0.82);
    assert!(
        !m["explanation"]["alignments"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // A stricter threshold keeps only the better matches.
    let strict = node.run_stdin(
        &["screen", "--threshold", "0.999"],
        b"Lucien Nzambamwitta\n",
    );
    let l: serde_json::Value = serde_json::from_slice(&strict.stdout).unwrap();
    assert!(ids(&l).is_empty(), "{l}");
    // --type entity excludes individuals.
    let ent = node.ok(&["screen", "--type", "entity", "--json", "Eric Badege"]);
    let l: serde_json::Value = serde_json::from_str(&ent).unwrap();
    assert!(ids(&l).is_empty());
}

/// A CSV batch of applicants (name, date of birth, nationality, document number), out as CSV
/// and as JSON lines.
#[test]
fn csv_batch_in_csv_and_json_out() {
    let node = Node::new();
    node.import(&un_2026());
    let csv = "name,date of birth,nationality,document number\n\
               Eric Badege,1971,Democratic Republic of the Congo,\n\
               \"Smith, John\",1980-02-03,United Kingdom,123456789\n\
               Saddam Hussein al-Tikriti,1937-04-28,Iraq,\n";
    let file = node.write("applicants.csv", csv.as_bytes());
    let out = node.ok(&[
        "screen",
        "--csv",
        "--input",
        file.to_str().unwrap(),
        "--output",
        "csv",
    ]);
    let rows: Vec<&str> = out.lines().collect();
    assert!(rows[0].starts_with("row,query,subject,id,list,"), "{out}");
    assert!(
        rows.iter()
            .any(|r| r.starts_with("1,Eric Badege,") && r.contains(",6907993,un,")),
        "{out}"
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with("2,\"Smith, John\",") && r.split(',').nth(4) == Some("")),
        "{out}"
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with("3,Saddam Hussein al-Tikriti,") && r.contains(",6908048,")),
        "{out}"
    );
    // JSON lines from stdin, with the birth date taken into account in the explanation.
    let out = node.run_stdin(&["screen", "--csv"], csv.as_bytes());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(ids(&lines[2])[0], "6908048");
    let adjustments = lines[2]["matches"][0]["explanation"]["adjustments"].to_string();
    assert!(adjustments.contains("birth"), "{adjustments}");
}

/// A named analyst adjudicates a hit; a later screening of the same subject carries the
/// decision; an admin may not adjudicate; a decision without a reason is refused.
#[test]
fn adjudications_are_reused() {
    let node = Node::new();
    node.import(&un_2026());
    node.ok(&["user", "add", "alice", "--role", "analyst", "--token-only"]);
    node.ok(&["user", "add", "root2", "--role", "admin", "--token-only"]);
    let first = node.screen_json("Eric Badege");
    let subject = first["subject"].as_str().unwrap().to_owned();
    assert!(first["matches"][0]["adjudication"].is_null());

    let base = [
        "screen",
        "adjudicate",
        "--subject",
        &subject,
        "--entry",
        "6907993",
    ];
    let with = |extra: &[&str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(extra);
        node.run(&a)
    };
    // Refusals first: nothing is recorded.
    let out = with(&[
        "--decision",
        "false-positive",
        "--reason",
        "x",
        "--user",
        "root2",
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("may not adjudicate"),
        "{}",
        text(&out.stderr)
    );
    let out = with(&[
        "--decision",
        "false-positive",
        "--reason",
        " ",
        "--user",
        "alice",
    ]);
    assert!(!out.status.success());
    let out = with(&["--decision", "freeze", "--reason", "x", "--user", "alice"]);
    assert!(!out.status.success());
    let out = with(&[
        "--decision",
        "false-positive",
        "--reason",
        "x",
        "--user",
        "nobody",
    ]);
    assert!(!out.status.success());
    let out = node.run(&[
        "screen",
        "adjudicate",
        "--subject",
        &subject,
        "--entry",
        "999",
        "--decision",
        "true-match",
        "--reason",
        "x",
        "--user",
        "alice",
    ]);
    assert!(!out.status.success(), "no hit on entry 999");
    assert!(node.screen_json("Eric Badege")["matches"][0]["adjudication"].is_null());

    let out = with(&[
        "--decision",
        "false-positive",
        "--reason",
        "applicant born 1990 in Lyon",
        "--user",
        "alice",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The same subject (other case and spacing) screened later carries the decision.
    let later = node.screen_json("eric   BADEGE");
    assert_eq!(later["subject"], subject.as_str());
    let a = &later["matches"][0]["adjudication"];
    assert_eq!(a["decision"], "false-positive");
    assert_eq!(a["user"], "alice");
    assert_eq!(a["reason"], "applicant born 1990 in Lyon");
    // Another subject (another date of birth) does not.
    let other: serde_json::Value =
        serde_json::from_str(&node.ok(&["screen", "--json", "--dob", "1971", "Eric Badege"]))
            .unwrap();
    assert_ne!(other["subject"], subject.as_str());
    assert!(other["matches"][0]["adjudication"].is_null());
    // The subject's record.
    let s: serde_json::Value =
        serde_json::from_str(&node.ok(&["screen", "subject", &subject])).unwrap();
    assert_eq!(s["hits"][0]["id"], "6907993");
    assert_eq!(s["hits"][0]["status"], "open");
    assert_eq!(s["adjudications"].as_array().unwrap().len(), 1);
    // The audit log names the deciding user.
    let audit = node.ok(&["audit", "show"]);
    assert!(audit.contains("screening.adjudicate"), "{audit}");
    assert!(audit.contains("alice"), "{audit}");
}

/// The OFAC SDN set (sdn.csv, alt.csv, add.csv) and a national list in the documented CSV
/// format, each a list of its own beside the UN list.
#[test]
fn ofac_and_national_lists() {
    let node = Node::new();
    let ofac = sanctions().join("ofac_sdn_2021-07");
    let files: Vec<String> = ["sdn.csv", "alt.csv", "add.csv"]
        .iter()
        .map(|f| ofac.join(f).to_str().unwrap().to_owned())
        .collect();
    let mut args = vec!["lists", "import", "--list", "ofac", "--date", "2021-07-07"];
    args.extend(files.iter().map(String::as_str));
    let out = node.ok(&args);
    assert!(
        out.contains("imported ofac-sdn version 2021-07-07 as number 1: 8976 entries"),
        "{out}"
    );
    let r: serde_json::Value = serde_json::from_str(&node.ok(&[
        "screen",
        "--list",
        "ofac",
        "--json",
        "Ayman al-Zawahiri",
    ]))
    .unwrap();
    assert_eq!(ids(&r), ["2676"]);
    assert_eq!(r["matches"][0]["list"], "ofac-sdn");
    // An alt.csv alone is not a set.
    let out = node.run(&["lists", "import", "--list", "ofac", &files[1]]);
    assert!(!out.status.success());

    let csv = node.write(
        "fr.csv",
        "id,kind,name,legal_reference,aliases,date_of_birth,nationality\n\
         FR-2024-001,individual,Karim Benali,\"Arrêté du 3 mars 2024, JORF n°54\",Abou Karim|Karim Ben Ali,1985,France\n"
            .as_bytes(),
    );
    let out = node.ok(&[
        "lists",
        "import",
        "--list",
        "national",
        "--id",
        "national-fr",
        "--date",
        "2024-03-03",
        csv.to_str().unwrap(),
    ]);
    assert!(
        out.contains("imported national-fr version 2024-03-03 as number 1: 1 entries"),
        "{out}"
    );
    let r: serde_json::Value = serde_json::from_str(&node.ok(&[
        "screen",
        "--list",
        "national-fr",
        "--json",
        "Karim Ben-Ali",
    ]))
    .unwrap();
    assert_eq!(ids(&r), ["FR-2024-001"]);
    let shown: serde_json::Value = serde_json::from_str(&node.ok(&[
        "lists",
        "show",
        "--list",
        "national-fr",
        "--version",
        "latest",
        "--json",
    ]))
    .unwrap();
    assert_eq!(
        shown["entries"][0]["legal_reference"],
        "Arrêté du 3 mars 2024, JORF n°54"
    );
    let versions = node.versions();
    assert_eq!(versions["versions"].as_array().unwrap().len(), 2);
}

/// The same flow on PostgreSQL when `ENTENTE_TEST_POSTGRES_URL` is set (a fresh database made
/// and dropped with `psql`): import, screen, re-import with re-screening, adjudicate.
#[test]
// Test harnesses read their settings from the environment (see clippy.toml).
#[allow(clippy::disallowed_methods)]
fn postgres_end_to_end() {
    let Ok(base) = std::env::var("ENTENTE_TEST_POSTGRES_URL") else {
        eprintln!("ENTENTE_TEST_POSTGRES_URL is not set: PostgreSQL scenario skipped");
        return;
    };
    let name = format!(
        "entente_cli_screening_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros()
    );
    let psql = |sql: &str| {
        let out = Command::new("psql")
            .arg(&base)
            .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
            .output()
            .expect("psql");
        assert!(out.status.success(), "{sql}: {}", text(&out.stderr));
    };
    psql(&format!("CREATE DATABASE {name}"));
    let (main, query) = base.split_once('?').unwrap_or((&base, ""));
    let host = &main[..main.rfind('/').unwrap()];
    let url = if query.is_empty() {
        format!("{host}/{name}")
    } else {
        format!("{host}/{name}?{query}")
    };
    let node = Node {
        dir: tempfile::Builder::new()
            .prefix("entente-screening-pg-")
            .tempdir()
            .unwrap(),
    };
    let run = |args: &[&str]| {
        let out = node
            .cmd(args)
            .env("ENTENTE_STORE_URL", &url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    };
    run(&["init"]);
    run(&[
        "lists",
        "import",
        "--list",
        "un",
        un_2015().to_str().unwrap(),
    ]);
    let r: serde_json::Value =
        serde_json::from_str(&run(&["screen", "--json", "Mohamed Amine Akli"])).unwrap();
    assert_eq!(ids(&r), ["111500"]);
    let out = run(&[
        "lists",
        "import",
        "--list",
        "un",
        un_2026().to_str().unwrap(),
    ]);
    assert!(
        out.contains("302 added, 646 amended, 345 delisted"),
        "{out}"
    );
    assert!(out.contains("no longer matches un 111500"), "{out}");
    let r: serde_json::Value =
        serde_json::from_str(&run(&["screen", "--json", "Eric Badege"])).unwrap();
    let subject = r["subject"].as_str().unwrap().to_owned();
    run(&["user", "add", "alice", "--role", "analyst", "--token-only"]);
    run(&[
        "screen",
        "adjudicate",
        "--subject",
        &subject,
        "--entry",
        "6907993",
        "--decision",
        "true-match",
        "--reason",
        "passport matches",
        "--user",
        "alice",
    ]);
    let r: serde_json::Value =
        serde_json::from_str(&run(&["screen", "--json", "Eric Badege"])).unwrap();
    assert_eq!(r["matches"][0]["adjudication"]["decision"], "true-match");
    drop(node);
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}
