//! One JSON document read as a stream: its records handed on one at a time.
use super::{Place, Sink, Top, WRAPPERS};
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::{cell::Cell, fmt, io::Read, rc::Rc};

/// One JSON document, its records handed on one at a time. serde_json
/// refuses NaN, Infinity, lone surrogates, trailing text and nesting past
/// 128 levels.
pub(super) fn document(input: impl Read, sink: &mut Sink<'_>) -> Result<Top, String> {
    let stopped = Rc::new(Cell::new(None));
    let mut de = serde_json::Deserializer::from_reader(input);
    let top = TopSeed {
        sink,
        stopped: stopped.clone(),
    }
    .deserialize(&mut de)
    .and_then(|top| de.end().map(|()| top));
    top.map_err(|e| match stopped.take() {
        Some(why) => why,
        None => json_error(&e),
    })
}

fn json_error(e: &serde_json::Error) -> String {
    let what = if e.to_string().contains("recursion limit") {
        "nests deeper than 128 levels".to_owned()
    } else if e.is_io() {
        return e.to_string();
    } else if e.is_eof() {
        "ends before its JSON does (truncated?)".to_owned()
    } else if e.to_string().contains("invalid unicode code point") {
        format!("is not UTF-8 ({e})")
    } else {
        format!("is not JSON: {e}")
    };
    format!("the file {what}")
}

/// The document's top level: an array of records or an object.
struct TopSeed<'s, 'a> {
    sink: &'s mut Sink<'a>,
    stopped: Rc<Cell<Option<String>>>,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = Top;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Top, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array or an object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Top, A::Error> {
        let mut records = Records {
            sink: self.sink,
            stopped: self.stopped,
            count: 0,
        };
        records.each(seq)?;
        Ok(Top::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        let mut records = Records {
            sink: self.sink,
            stopped: self.stopped,
            count: 0,
        };
        let mut under = None;
        let mut rest = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match WRAPPERS.iter().find(|k| **k == key) {
                Some(wrapper) if under.is_none() => {
                    match map.next_value_seed(&mut records)? {
                        // Not an array: an ordinary key after all.
                        Some(value) => {
                            rest.insert(key, value);
                        }
                        None => under = Some(*wrapper),
                    }
                }
                _ => {
                    rest.insert(key, map.next_value()?);
                }
            }
        }
        if under.is_none() {
            // The object is one record.
            records.send(Value::Object(rest.clone()))?;
        }
        Ok(Top::Object {
            records: under,
            rest,
        })
    }
}

/// Hands on each record of an array; anything else is kept as a value.
struct Records<'s, 'a> {
    sink: &'s mut Sink<'a>,
    stopped: Rc<Cell<Option<String>>>,
    count: u64,
}

impl Records<'_, '_> {
    fn send<E: serde::de::Error>(&mut self, record: Value) -> Result<(), E> {
        self.count += 1;
        (self.sink)(Place::Record(self.count), Ok(record)).map_err(|why| {
            self.stopped.set(Some(why));
            E::custom("stopped")
        })
    }

    fn each<'de, A: SeqAccess<'de>>(&mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(record) = seq.next_element::<Value>()? {
            self.send(record)?;
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for &mut Records<'_, '_> {
    /// `None` when the value was an array (its records handed on).
    type Value = Option<Value>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for &mut Records<'_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<Value>, A::Error> {
        self.each(seq).map(|()| None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Value>, A::Error> {
        serde::Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Option<Value>, E> {
        Ok(Some(Value::Bool(v)))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Option<Value>, E> {
        Ok(Some(v.into()))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Option<Value>, E> {
        Ok(Some(v.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Option<Value>, E> {
        serde_json::Number::from_f64(v)
            .map(|n| Some(Value::Number(n)))
            .ok_or_else(|| E::custom("not a finite number"))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<Value>, E> {
        Ok(Some(Value::String(v.to_owned())))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<Value>, E> {
        Ok(Some(Value::Null))
    }
}
