//! Importers and diff against the real list files in `../shared/data/sanctions`.

use std::path::PathBuf;

use entente_screening::{
    EntryKind, ListId, NameQuality, Screener, diff, import_national_csv, import_ofac_sdn,
    import_un_xml,
};

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/sanctions")
        .join(rel)
}

fn un(file: &str) -> entente_screening::ListVersion {
    let f = std::fs::File::open(data(file)).expect("UN list file");
    import_un_xml(std::io::BufReader::new(f), None).expect("UN list imports")
}

#[test]
fn un_2026_counts_and_fields() {
    let lv = un("un_consolidated_2026-02-27.xml");
    assert_eq!(lv.list, ListId::from("un"));
    assert_eq!(lv.version, "2026-02-27");
    let ind = lv
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Individual)
        .count();
    let ent = lv
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Entity)
        .count();
    assert_eq!((ind, ent), (730, 273));
    let orig = lv
        .entries
        .iter()
        .filter(|e| {
            e.names
                .iter()
                .any(|n| n.quality == NameQuality::OriginalScript)
        })
        .count();
    // 378 records carry NAME_ORIGINAL_SCRIPT; one of them (in Latin script) repeats the primary
    // name and is kept once.
    assert_eq!(orig, 377);
    let good = lv
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Individual)
        .flat_map(|e| &e.names)
        .filter(|n| n.quality == NameQuality::Good)
        .count();
    let low = lv
        .entries
        .iter()
        .flat_map(|e| &e.names)
        .filter(|n| n.quality == NameQuality::Low)
        .count();
    // SOURCES.md counts 1,524 Good and 615 Low non-empty individual aliases; a few repeat the
    // primary name or another alias and are folded into one name, and 27 pack several spellings
    // separated by semicolons, which become names of their own.
    assert!((1480..=1600).contains(&good), "good aliases {good}");
    assert!((590..=640).contains(&low), "low aliases {low}");
    let salimi = lv
        .entries
        .iter()
        .find(|e| e.primary_name() == "HOSEIN SALIMI")
        .expect("HOSEIN SALIMI");
    assert!(salimi.names.iter().any(|n| n.text == "Hossein Saleemi"));
    assert!(salimi.names.iter().all(|n| !n.text.contains(';')));

    let badege = lv.entry("6907993").expect("DATAID 6907993");
    assert_eq!(badege.primary_name(), "ERIC BADEGE");
    assert_eq!(badege.reference.as_deref(), Some("CDi.001"));
    assert_eq!(badege.programme, ["DRC"]);
    assert_eq!(badege.list_type.as_deref(), Some("UN List"));
    assert_eq!(badege.listed_on.as_deref(), Some("2012-12-31"));
    assert_eq!(badege.birth_dates[0].year_range(), Some((1971, 1971)));
    assert_eq!(badege.nationalities, ["Democratic Republic of the Congo"]);
    assert!(
        badege
            .comments
            .as_deref()
            .unwrap()
            .starts_with("He fled to Rwanda")
    );

    let saddam = lv
        .entries
        .iter()
        .find(|e| e.names.iter().any(|n| n.text == "صدام حسين التكريتي"))
        .expect("Saddam Hussein's original-script name");
    assert_eq!(saddam.names[1].quality, NameQuality::OriginalScript);
    assert!(!saddam.birth_places.is_empty());

    let with_passport = lv
        .entries
        .iter()
        .flat_map(|e| &e.documents)
        .find(|d| d.number.as_deref() == Some("OB 0243318"))
        .expect("passport OB 0243318");
    assert_eq!(with_passport.kind.as_deref(), Some("Passport"));
    assert_eq!(
        with_passport.issuing_country.as_deref(),
        Some("Democratic Republic of the Congo")
    );

    let adf = lv.entry("6908402").expect("ADF");
    assert_eq!(adf.kind, EntryKind::Entity);
    assert!(
        adf.names
            .iter()
            .any(|n| n.text == "ADF/NALU" && n.quality == NameQuality::Fka)
    );
    assert!(
        adf.names
            .iter()
            .any(|n| n.text == "Allied Democratic Forces" && n.quality == NameQuality::Aka)
    );
    let between = lv
        .entries
        .iter()
        .flat_map(|e| &e.birth_dates)
        .find(|b| b.from_year.is_some())
        .expect("a BETWEEN date");
    assert!(between.to_year.is_some());
}

#[test]
fn un_2015_and_diff_to_2026() {
    let old = un("un_consolidated_2015-03-27.xml");
    let new = un("un_consolidated_2026-02-27.xml");
    assert_eq!(old.version, "2015-03-27");
    assert_eq!(old.entries.len(), 1046);
    let d = diff(&old, &new);
    let kept = new.entries.len() - d.added.len();
    assert_eq!(old.entries.len() - d.delisted.len(), kept);
    // the Liberia and Côte d'Ivoire regimes closed; many Iraq entities were delisted
    assert!(
        d.delisted
            .iter()
            .any(|e| e.programme.iter().any(|p| p == "Liberia"))
    );
    assert!(d.delisted.len() > 300, "delisted {}", d.delisted.len());
    assert!(d.added.len() > 200, "added {}", d.added.len());
    assert!(!d.amended.is_empty());
    for a in &d.amended {
        assert!(!a.changes.is_empty());
        let o = old.entry(&a.entry.id).unwrap();
        for c in &a.changes {
            assert_ne!(c.old, c.new, "{} {}", a.entry.id, c.field);
        }
        assert_ne!(o, &a.entry);
    }
    // a version against itself differs in nothing
    assert!(diff(&new, &new).is_empty());
    // round trip through JSON for the store
    let json = serde_json::to_string(&d.amended[0]).unwrap();
    assert!(json.contains("\"changes\""));
}

#[test]
fn ofac_sdn_set() {
    let read = |f: &str| std::fs::read(data(&format!("ofac_sdn_2021-07/{f}"))).unwrap();
    let lv = import_ofac_sdn(
        &read("sdn.csv"),
        Some(&read("alt.csv")),
        Some(&read("add.csv")),
        "2021-07-07",
    )
    .expect("OFAC imports");
    assert_eq!(lv.entries.len(), 8976);
    let count = |k| lv.entries.iter().filter(|e| e.kind == k).count();
    assert_eq!(count(EntryKind::Individual), 4620);
    assert_eq!(count(EntryKind::Vessel), 406);
    assert_eq!(count(EntryKind::Aircraft), 277);
    let sdgt = lv
        .entries
        .iter()
        .filter(|e| e.programme.iter().any(|p| p == "SDGT"))
        .count();
    assert_eq!(sdgt, 1709);
    let bnc = lv.entry("306").unwrap();
    assert_eq!(bnc.primary_name(), "BANCO NACIONAL DE CUBA");
    assert!(bnc.names.iter().any(|n| n.text == "NATIONAL BANK OF CUBA"));
    assert!(
        bnc.addresses
            .iter()
            .any(|a| a.city.as_deref() == Some("Zurich CH-8022"))
    );
    let with_dob = lv
        .entries
        .iter()
        .filter(|e| !e.birth_dates.is_empty())
        .count();
    assert!(with_dob > 3000, "{with_dob}");
    let screener = Screener::from_list(&lv);
    let m = screener.screen_name("Banco Nacional de Cuba");
    assert_eq!(m[0].entry_id, "306");
}

#[test]
fn national_csv_format() {
    let csv = "id,kind,name,legal_reference,aliases,date_of_birth,nationality,documents\n\
FR-2024-001,individual,Karim Benali,\"Arrêté du 3 mars 2024, JORF n°54\",Abou Karim|Karim Ben Ali,1985,France,Passport:12AB34567\n\
FR-2024-002,entity,Groupe Exemple,Décret 2024-12,,,,\n";
    let lv =
        import_national_csv(csv.as_bytes(), ListId::from("national-fr"), "2024-03-04").unwrap();
    assert_eq!(lv.entries.len(), 2);
    let k = &lv.entries[0];
    assert_eq!(
        k.legal_reference.as_deref(),
        Some("Arrêté du 3 mars 2024, JORF n°54")
    );
    assert_eq!(k.names.len(), 3);
    assert_eq!(k.documents[0].number.as_deref(), Some("12AB34567"));
    assert_eq!(k.birth_dates[0].year_range(), Some((1985, 1985)));
    // legal reference is required per entry
    let missing = "id,kind,name,legal_reference\nX1,individual,Some One,\n";
    assert!(import_national_csv(missing.as_bytes(), ListId::from("n"), "v").is_err());
    let unknown = "id,kind,name,legal_ref\n";
    assert!(import_national_csv(unknown.as_bytes(), ListId::from("n"), "v").is_err());
    // a document number raises a match
    let s = Screener::from_list(&lv);
    let q = entente_screening::Query {
        name: "Karim Benali".into(),
        document: Some("12ab 34567".into()),
        ..Default::default()
    };
    let m = s.screen(&q);
    assert_eq!(m[0].entry_id, "FR-2024-001");
    assert!(
        m[0].explanation
            .adjustments
            .iter()
            .any(|a| a.rule == "document number agrees")
    );
}

#[test]
fn malformed_input_is_an_error() {
    assert!(import_un_xml(&b"<OTHER/>"[..], None).is_err());
    assert!(import_un_xml(&b"<OTHER></OTHER>"[..], None).is_err());
    assert!(
        import_un_xml(
            &b"<CONSOLIDATED_LIST><INDIVIDUALS></ENTITIES></CONSOLIDATED_LIST>"[..],
            None
        )
        .is_err()
    );
    assert!(import_ofac_sdn(b"1,\"unterminated\n", None, None, "v").is_err());
}

/// A truncated list file is refused: imported, it would delist every entry after the cut.
#[test]
fn truncated_un_list_is_an_error() {
    let whole = std::fs::read(data("un_consolidated_2026-02-27.xml")).unwrap();
    for cut in [whole.len() / 2, whole.len() - "</CONSOLIDATED_LIST>".len()] {
        let err = import_un_xml(&whole[..cut], None).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
    }
    assert!(import_un_xml(&whole[..], None).is_ok());
}
