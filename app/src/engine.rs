//! The pieces of SQL that are SQLite's own. Every other statement in
//! Muster is written in the SQL that SQLite and PostgreSQL share; these
//! few are not, so they live here, where a second engine gives its own.
//! Each is a fixed piece (its parameters are `&'static str`, so no input
//! can reach a statement's text), joined into statements with `format!`.
//!
//! Not here: the events' full-text index (`events_search`, FTS5). It is
//! a table and its upkeep, not a piece of a statement, so it stays with
//! the events' db and gets its own form per engine there.

/// `IN` over a list of ids bound as ONE parameter (see [`id_list`]): the
/// statement's text is the same for any number of ids, so it is prepared
/// once, and a long list never meets a limit on parameters.
pub const IN_ID_LIST: &str = "IN (SELECT value FROM json_each(?))";

/// The value to bind where [`IN_ID_LIST`] stands.
pub fn id_list(ids: &[i64]) -> String {
    // A list of integers always serializes; the join keeps that plain.
    let mut out = String::with_capacity(ids.len() * 8 + 2);
    out.push('[');
    for (n, id) in ids.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str(&id.to_string());
    }
    out.push(']');
    out
}

/// The text of one top-level field of a JSON column, or NULL.
pub fn json_text(column: &'static str, field: &'static str) -> String {
    format!("json_extract({column}, '$.{field}')")
}

/// A JSON object made in the statement from `(key, column)` pairs; a pair
/// whose column holds JSON text already is marked with `json:` and goes in
/// as JSON rather than as a string.
pub fn json_object(pairs: &[(&'static str, &'static str)]) -> String {
    let fields: Vec<String> = pairs
        .iter()
        .map(|(key, column)| match column.strip_prefix("json:") {
            Some(json) => format!("'{key}', json({json})"),
            None => format!("'{key}', {column}"),
        })
        .collect();
    format!("json_object({})", fields.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_list_is_a_json_array() {
        assert_eq!(id_list(&[]), "[]");
        assert_eq!(id_list(&[7]), "[7]");
        assert_eq!(id_list(&[1, -2, 30]), "[1,-2,30]");
        let back: Vec<i64> = serde_json::from_str(&id_list(&[5, 6])).unwrap();
        assert_eq!(back, vec![5, 6]);
    }

    #[test]
    fn pieces_read_as_sqlite_wants_them() {
        assert_eq!(
            json_text("v.content", "title"),
            "json_extract(v.content, '$.title')"
        );
        assert_eq!(
            json_object(&[("id", "id"), ("data", "json:data")]),
            "json_object('id', id, 'data', json(data))"
        );
    }
}
