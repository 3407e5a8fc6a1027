//! Reading a parsed JSON value into the scenario's types with serde, with errors that speak
//! plainly and name the field path (`actions[3].broker: must not be negative (found -1)`).
//!
//! [`decode`] runs a type's `Deserialize` impl over a [`JsonValue`], a deserializer of a
//! `serde_json::Value` whose error type, [`DecodeError`], words serde's reports for people
//! ("expected a non-negative whole number, found a string") and carries the field path, each
//! object and array adding its key or index as the error leaves it. Two rules of [`JsonValue`] shape what the types see: an object read as a struct yields
//! the struct's declared fields first, in their declared order (so a timed action's `do` comes
//! before the fields it selects), and a `null` field of such an object counts as absent (but
//! for `do`).
//!
//! [`fields`] holds the field helpers for `#[serde(deserialize_with)]`.

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, Deserializer, Expected, IntoDeserializer, Unexpected, Visitor};
use serde_json::Value;
use std::fmt;

use super::format::ScenarioError;

mod fields;
pub use fields::{
    acks, at_most, count, keys_among, latency_range, message_kind, opt_count, service, timing,
};

/// Decodes `value` with `read` (a `Deserialize` impl); an error names the field path and the
/// problem.
pub fn decode<'de, T>(
    value: &'de Value,
    read: impl FnOnce(JsonValue<'de>) -> Result<T, DecodeError>,
) -> Result<T, ScenarioError> {
    read(JsonValue::new(value)).map_err(|DecodeError(error)| {
        let mut path = String::new();
        for segment in error.path.iter().rev() {
            match segment {
                Segment::Index(index) => path.push_str(&format!("[{index}]")),
                Segment::Key(key) => push_field(&mut path, key),
            }
        }
        if let Some(field) = error.field {
            push_field(&mut path, field);
        }
        ScenarioError::new(path, error.message)
    })
}

fn push_field(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

/// A problem found while decoding, before [`decode`] knows where it is.
#[derive(Debug)]
pub struct DecodeError(Box<Problem>);

/// What a [`DecodeError`] holds (boxed: every `Result` of the derived code stays one word).
#[derive(Debug)]
struct Problem {
    /// Where the problem is, innermost first: each object and array the error leaves on its
    /// way out adds the key or index it was read under.
    path: Vec<Segment>,
    /// A field of the object being read that the problem is about (a missing one), which the
    /// path does not name yet.
    field: Option<&'static str>,
    /// What is wrong.
    message: String,
}

/// One step of a field path.
#[derive(Debug)]
enum Segment {
    /// An object's entry.
    Key(String),
    /// An array's entry.
    Index(usize),
}

impl DecodeError {
    /// An error about `field` (or about the value being read, without one).
    #[inline(never)]
    fn new(field: Option<&'static str>, message: String) -> Self {
        DecodeError(Box::new(Problem {
            path: Vec::new(),
            field,
            message,
        }))
    }

    /// The error, found under the object key `key`.
    #[inline(never)]
    fn under_key(mut self, key: &str) -> Self {
        self.0.path.push(Segment::Key(key.to_string()));
        self
    }

    /// The error, found under the array index `index`.
    #[inline(never)]
    fn under_index(mut self, index: usize) -> Self {
        self.0.path.push(Segment::Index(index));
        self
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.field {
            Some(field) => write!(f, "{field}: {}", self.0.message),
            None => f.write_str(&self.0.message),
        }
    }
}

impl std::error::Error for DecodeError {}

/// How a found value is named in a message: by its kind.
fn found(unexp: &Unexpected<'_>) -> String {
    match unexp {
        Unexpected::Unsigned(_) | Unexpected::Signed(_) | Unexpected::Float(_) => "a number".into(),
        Unexpected::Bool(_) => "a boolean".into(),
        Unexpected::Str(_) | Unexpected::Char(_) => "a string".into(),
        Unexpected::Unit | Unexpected::Option => "null".into(),
        Unexpected::Seq => "an array".into(),
        Unexpected::Map => "an object".into(),
        other => other.to_string(),
    }
}

/// A float as JSON writes it.
pub(super) fn float_text(x: f64) -> String {
    serde_json::Number::from_f64(x).map_or_else(|| x.to_string(), |n| n.to_string())
}

/// Whether serde's expectation is one of the unsigned integer types.
fn expects_unsigned(exp: &str) -> bool {
    matches!(exp, "u8" | "u16" | "u32" | "u64" | "usize")
}

/// serde's expectation in words: its type names become what a file holds.
fn expected(exp: &dyn Expected) -> String {
    let exp = exp.to_string();
    match exp.as_str() {
        e if expects_unsigned(e) => "a non-negative whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a boolean" => "true or false".into(),
        "a sequence" => "an array".into(),
        "a map" => "an object".into(),
        e if e.starts_with("struct ") => "an object".into(),
        _ => exp,
    }
}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DecodeError::new(None, msg.to_string())
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        let message = match unexp {
            Unexpected::Float(x) if expects_unsigned(&exp.to_string()) => {
                format!("expected a whole number, found {}", float_text(x))
            }
            _ => format!("expected {}, found {}", expected(exp), found(&unexp)),
        };
        Self::custom(message)
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        let message = match unexp {
            Unexpected::Signed(n) if n < 0 && expects_unsigned(&exp.to_string()) => {
                format!("must not be negative (found {n})")
            }
            Unexpected::Unsigned(n) if expects_unsigned(&exp.to_string()) => {
                format!("{n} is too large")
            }
            _ => format!("expected {}, found {}", expected(exp), found(&unexp)),
        };
        Self::custom(message)
    }

    fn invalid_length(len: usize, exp: &dyn Expected) -> Self {
        Self::custom(format!("expected {}, found {len} entries", expected(exp)))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Self::custom(format!(
            "unknown value {variant:?}; expected one of: {}",
            expected.join(", ")
        ))
    }

    fn unknown_field(_field: &str, expected: &'static [&'static str]) -> Self {
        // The path already ends with the field: its key was being read.
        Self::custom(format!(
            "unknown field; expected one of: {}",
            expected.join(", ")
        ))
    }

    fn missing_field(field: &'static str) -> Self {
        DecodeError::new(Some(field), "missing field".into())
    }

    fn duplicate_field(field: &'static str) -> Self {
        DecodeError::new(Some(field), "appears twice".into())
    }
}

/// A serde deserializer of a parsed JSON value.
pub struct JsonValue<'de> {
    value: &'de Value,
}

impl<'de> JsonValue<'de> {
    /// A deserializer of `value`.
    pub fn new(value: &'de Value) -> Self {
        JsonValue { value }
    }
}

impl<'de> IntoDeserializer<'de, DecodeError> for JsonValue<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// An object's entries read as a map; an error in a key or a value is found under its key.
struct ObjectAccess<'de, I> {
    entries: I,
    /// The entry whose key was read last, for its value.
    current: Option<(&'de str, &'de Value)>,
}

impl<'de, I: Iterator<Item = (&'de String, &'de Value)>> de::MapAccess<'de>
    for ObjectAccess<'de, I>
{
    type Error = DecodeError;

    #[inline(never)]
    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.current = Some((key, value));
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
            .map_err(|e: DecodeError| e.under_key(key))
    }

    #[inline(never)]
    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        let (key, value) = self.value_entry()?;
        seed.deserialize(JsonValue::new(value))
            .map_err(|e: DecodeError| e.under_key(key))
    }
}

impl<'de, I> ObjectAccess<'de, I> {
    /// The entry whose value is read next.
    #[inline(never)]
    fn value_entry(&mut self) -> Result<(&'de str, &'de Value), DecodeError> {
        self.current
            .take()
            .ok_or_else(|| de::Error::custom("a value was read before its key"))
    }
}

/// Visits the entries of an object as a map.
#[inline(never)]
fn visit_object<'de, V, I>(entries: I, visitor: V) -> Result<V::Value, DecodeError>
where
    V: Visitor<'de>,
    I: Iterator<Item = (&'de String, &'de Value)>,
{
    let mut map = ObjectAccess {
        entries,
        current: None,
    };
    let value = visitor.visit_map(&mut map)?;
    all_read(map.entries.count())?;
    Ok(value)
}

/// Visits the items of an array as a sequence.
fn visit_array<'de, V: Visitor<'de>>(
    items: &'de [Value],
    visitor: V,
) -> Result<V::Value, DecodeError> {
    let mut seq = ArrayAccess {
        items: items.iter(),
        index: 0,
    };
    let value = visitor.visit_seq(&mut seq)?;
    all_read(seq.items.len())?;
    Ok(value)
}

/// A visitor stopped with `left` entries unread: serde's "invalid length".
#[inline(never)]
fn all_read(left: usize) -> Result<(), DecodeError> {
    match left {
        0 => Ok(()),
        left => Err(de::Error::invalid_length(left, &"fewer entries")),
    }
}

/// An array's items read as a sequence; an error in an item is found under its index.
struct ArrayAccess<'de> {
    items: std::slice::Iter<'de, Value>,
    index: usize,
}

impl<'de> de::SeqAccess<'de> for ArrayAccess<'de> {
    type Error = DecodeError;

    #[inline(never)]
    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(JsonValue::new(item))
            .map(Some)
            .map_err(|e: DecodeError| e.under_index(index))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The one field whose `null` is read, not skipped: a timed action's `do`, so that `"do": null`
/// is told what `do` takes rather than that it is missing.
const KEEP_NULL: &str = "do";

/// What a value is, for serde's type errors.
fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Unexpected::Unsigned(u),
            (_, Some(i)) => Unexpected::Signed(i),
            _ => Unexpected::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

/// Deserializer methods of a number, a string or a boolean: they never read an array or an
/// object, so the visitor's `visit_seq` and `visit_map` are not compiled for them.
macro_rules! scalars {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
            self.scalar(visitor)
        })*
    };
}

impl<'de> Deserializer<'de> for JsonValue<'de> {
    type Error = DecodeError;

    #[inline(never)]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Array(items) => visit_array(items, visitor),
            Value::Object(map) => visit_object(map.iter(), visitor),
            Value::Bool(_) | Value::Number(_) | Value::String(_) => self.scalar(visitor),
        }
    }

    #[inline(never)]
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::String(s) => visitor.visit_enum(BorrowedStrDeserializer::new(s)),
            other => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }

    /// Declared fields first, in their declared order, then the others; a `null` field counts
    /// as absent. An array is not read as a struct (serde would take it field by field).
    #[inline(never)]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Object(map) => {
                let declared = fields.iter().filter_map(|f| map.get_key_value(*f));
                let others = map.iter().filter(|(k, _)| !fields.contains(&k.as_str()));
                visit_object(
                    declared
                        .chain(others)
                        .filter(|(k, v)| !v.is_null() || k.as_str() == KEEP_NULL),
                    visitor,
                )
            }
            // `services` is `true`, `false` or an object.
            Value::Bool(b) => visitor.visit_bool(*b),
            other => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Array(items) => visit_array(items, visitor),
            other => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Object(map) => visit_object(map.iter(), visitor),
            other => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            other => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    scalars! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_identifier
    }

    serde::forward_to_deserialize_any! {
        unit_struct tuple tuple_struct
    }
}

impl<'de> JsonValue<'de> {
    /// Hands a number, string or boolean to `visitor`; anything else is the wrong type.
    #[inline(never)]
    fn scalar<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_borrowed_str(s),
            other => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }
}
