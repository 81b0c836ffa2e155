use super::*;
use testing::{entry, role, t};

#[test]
fn every_kind_has_one_stored_name() {
    for kind in Kind::ALL {
        assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        assert_eq!(Kind::try_from(kind.as_str().to_owned()).ok(), Some(kind));
    }
    assert!(Kind::try_from("nonsense".to_owned()).is_err());
}

#[test]
fn corrections_are_grouped_under_the_entry_they_correct_in_the_order_things_happened() {
    let mut correction = entry(3, 20, Kind::Correction, "It was the EU region only");
    correction.corrects = Some(1);
    let mut caught_up = entry(4, 25, Kind::Note, "Alert fired");
    caught_up.happened_at = Some(t(-5));
    let mut orphan = entry(5, 30, Kind::Correction, "of an entry not shown");
    orphan.corrects = Some(99);
    let grouped = grouped(&[
        entry(1, 5, Kind::Note, "All regions down"),
        entry(2, 10, Kind::Note, "Paged Sam"),
        correction,
        caught_up,
        orphan,
    ]);
    let order: Vec<i64> = grouped.iter().map(|(e, _)| e.id).collect();
    assert_eq!(order, [4, 1, 2, 5], "by when it happened");
    assert_eq!(grouped[1].1.iter().map(|e| e.id).collect::<Vec<_>>(), [3]);
}

#[test]
fn the_first_holder_of_a_role_is_read_from_typed_data_not_from_words() {
    let mut caught_up = role(4, 30, "Incident Commander", Some("Priya Shah"));
    caught_up.happened_at = Some(t(3));
    let mut misleading = entry(5, 1, Kind::Note, "Incident Commander: Sam");
    misleading.kind = Kind::RoleAssigned;
    let entries = [
        role(2, 1, "Scribe", Some("Sam")),
        role(3, 2, "Incident Commander", None),
        misleading,
        caught_up,
    ];
    assert_eq!(first_held(&entries, "Incident Commander"), Some(t(3)));
    assert_eq!(first_held(&entries, "Security Lead"), None);
}

#[test]
fn status_changes_come_from_typed_data_in_time_order() {
    let mut later = entry(2, 30, Kind::StatusChange, "anything");
    later.data = Some(Data::Status {
        from: "identified".into(),
        to: "resolved".into(),
    });
    let mut first = entry(3, 10, Kind::StatusChange, "anything");
    first.data = Some(Data::Status {
        from: "investigating".into(),
        to: "identified".into(),
    });
    let entries = [entry(1, 0, Kind::Declared, "Declared"), later, first];
    assert_eq!(
        status_changes(&entries),
        [(t(10), "identified"), (t(30), "resolved")]
    );
    assert_eq!(first_of(&entries, Kind::Declared), Some(t(0)));
    assert_eq!(first_of(&entries, Kind::NoticePublished), None);
}

#[test]
fn typed_data_is_stored_as_tagged_json() {
    let data = Data::Role {
        role: "Scribe".into(),
        from: Some("Sam".into()),
        to: None,
    };
    let json = serde_json::to_string(&data).unwrap();
    assert_eq!(
        json,
        r#"{"type":"role","role":"Scribe","from":"Sam","to":null}"#
    );
    assert_eq!(serde_json::from_str::<Data>(&json).unwrap(), data);
}

#[test]
fn markdown_export_indents_corrections_and_marks_caught_up_entries() {
    let mut correction = entry(2, 20, Kind::Correction, "EU only");
    correction.corrects = Some(1);
    let mut caught_up = entry(3, 25, Kind::Note, "Alert fired\nsecond line");
    caught_up.happened_at = Some(t(-5));
    let md = export::markdown(&[entry(1, 5, Kind::Note, "All down"), correction, caught_up]);
    assert_eq!(
        md,
        "- **02:55:00** (written 03:25:00) · Note · Priya: Alert fired\n  second line\n\
         - **03:05:00** · Note · Priya: All down\n  \
         - **03:20:00** · Correction · Priya: EU only\n"
    );
}

#[cfg(feature = "ssr")]
#[test]
fn csv_export_writes_formula_like_cells_as_text() {
    let csv = export::csv(&[entry(1, 0, Kind::Note, "=HYPERLINK(\"x\")")], true).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("id,happened_at,written_at,kind,author,source,corrects,text")
    );
    let row = lines.next().unwrap();
    assert!(row.ends_with(r#""'=HYPERLINK(""x"")""#), "{row}");
}
