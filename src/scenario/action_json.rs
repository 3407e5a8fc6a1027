//! How a timed action is written as and read from its JSON object, `{"at_ms": 0, "do":
//! "fail_broker", "broker": 1}`: the variant's name in `do`, beside `at_ms` and its fields.
//!
//! Writing hands the derived [`Action`] serializer an adapter that turns its variant into `do`
//! and its fields into entries of the open object. Reading takes `do` first (the decoder yields
//! a struct's declared fields first, and files write `at_ms`, `do`, then the fields), then
//! hands the rest of the object to the derived reader of the variant it names, so every error
//! keeps its field path (`actions[2].broker`) and an unknown field lists what that action takes.

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor,
};
use serde::ser::{self, Serialize, SerializeMap, Serializer};
use std::fmt;

use super::action::{Action, TimedAction, ACTION_NAMES};
use crate::sim::SimTime;

// ----- writing: `{"at_ms": .., "do": .., fields..}` -----

impl Serialize for TimedAction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("at_ms", &self.at_ms)?;
        self.action.serialize(FieldsInto(map))
    }
}

/// Writes an action into a timed action's open object: its name as `do`, then its fields.
struct FieldsInto<M>(M);

fn not_an_action<E: ser::Error>() -> E {
    E::custom("an action is written as a unit or struct variant")
}

/// Serializer methods an action never calls.
macro_rules! not_an_action {
    ($($method:ident($($arg:ty),*) -> $ok:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ok, M::Error> {
            Err(not_an_action())
        })*
    };
}

impl<M: SerializeMap> Serializer for FieldsInto<M> {
    type Ok = M::Ok;
    type Error = M::Error;
    type SerializeSeq = ser::Impossible<M::Ok, M::Error>;
    type SerializeTuple = ser::Impossible<M::Ok, M::Error>;
    type SerializeTupleStruct = ser::Impossible<M::Ok, M::Error>;
    type SerializeTupleVariant = ser::Impossible<M::Ok, M::Error>;
    type SerializeMap = ser::Impossible<M::Ok, M::Error>;
    type SerializeStruct = ser::Impossible<M::Ok, M::Error>;
    type SerializeStructVariant = Self;

    fn serialize_unit_variant(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<M::Ok, M::Error> {
        self.0.serialize_entry("do", variant)?;
        self.0.end()
    }

    fn serialize_struct_variant(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self, M::Error> {
        self.0.serialize_entry("do", variant)?;
        Ok(self)
    }

    not_an_action! {
        serialize_bool(bool) -> M::Ok;
        serialize_i8(i8) -> M::Ok;
        serialize_i16(i16) -> M::Ok;
        serialize_i32(i32) -> M::Ok;
        serialize_i64(i64) -> M::Ok;
        serialize_u8(u8) -> M::Ok;
        serialize_u16(u16) -> M::Ok;
        serialize_u32(u32) -> M::Ok;
        serialize_u64(u64) -> M::Ok;
        serialize_f32(f32) -> M::Ok;
        serialize_f64(f64) -> M::Ok;
        serialize_char(char) -> M::Ok;
        serialize_str(&str) -> M::Ok;
        serialize_bytes(&[u8]) -> M::Ok;
        serialize_none() -> M::Ok;
        serialize_unit() -> M::Ok;
        serialize_unit_struct(&'static str) -> M::Ok;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<M::Ok, M::Error> {
        Err(not_an_action())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<M::Ok, M::Error> {
        Err(not_an_action())
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<M::Ok, M::Error> {
        Err(not_an_action())
    }
}

impl<M: SerializeMap> ser::SerializeStructVariant for FieldsInto<M> {
    type Ok = M::Ok;
    type Error = M::Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), M::Error> {
        self.0.serialize_entry(key, value)
    }

    fn end(self) -> Result<M::Ok, M::Error> {
        self.0.end()
    }
}

// ----- reading: `do` first, then the rest of the object into its variant -----

impl<'de> Deserialize<'de> for TimedAction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct("TimedAction", &["do", "at_ms"], TimedActionVisitor)
    }
}

struct TimedActionVisitor;

impl<'de> Visitor<'de> for TimedActionVisitor {
    type Value = TimedAction;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TimedAction, A::Error> {
        // `do` comes before the action's own fields: the decoder yields a struct's declared
        // fields first, and files write `at_ms`, `do`, then the fields.
        let mut at_ms = None;
        loop {
            match map.next_key::<LeadingKey>()? {
                Some(LeadingKey::AtMs) => at_ms = Some(map.next_value()?),
                Some(LeadingKey::Do) => break,
                Some(LeadingKey::Other) | None => return Err(de::Error::missing_field("do")),
            }
        }
        let name = map.next_value_seed(ActionName)?;
        let action = Action::deserialize(ActionBody {
            name,
            map: &mut map,
            at_ms: &mut at_ms,
        })?;
        let at_ms = at_ms.ok_or_else(|| de::Error::missing_field("at_ms"))?;
        Ok(TimedAction { at_ms, action })
    }
}

/// A key before the action's fields.
enum LeadingKey {
    /// `at_ms`.
    AtMs,
    /// `do`.
    Do,
    /// Another key: `do` is missing.
    Other,
}

impl<'de> Deserialize<'de> for LeadingKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Key;

        impl Visitor<'_> for Key {
            type Value = LeadingKey;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<LeadingKey, E> {
                Ok(match key {
                    "at_ms" => LeadingKey::AtMs,
                    "do" => LeadingKey::Do,
                    _ => LeadingKey::Other,
                })
            }
        }

        d.deserialize_identifier(Key)
    }
}

/// The value of `do`: one of [`ACTION_NAMES`].
struct ActionName;

impl<'de> DeserializeSeed<'de> for ActionName {
    type Value = &'static str;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<&'static str, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for ActionName {
    type Value = &'static str;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an action name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<&'static str, E> {
        ACTION_NAMES
            .iter()
            .find(|n| **n == name)
            .copied()
            .ok_or_else(|| {
                E::custom(format!(
                    "unknown action {name:?}; expected one of: {}",
                    ACTION_NAMES.join(", ")
                ))
            })
    }
}

/// The rest of a timed action's object, read as the variant `name`; `at_ms` is kept aside.
struct ActionBody<'a, A> {
    name: &'static str,
    map: &'a mut A,
    at_ms: &'a mut Option<SimTime>,
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for ActionBody<'_, A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, A::Error> {
        Err(de::Error::custom("an action is read as an enum"))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

impl<'de, A: MapAccess<'de>> de::EnumAccess<'de> for ActionBody<'_, A> {
    type Error = A::Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), A::Error> {
        let variant = seed.deserialize(self.name.into_deserializer())?;
        Ok((variant, self))
    }
}

impl<'de, A: MapAccess<'de>> de::VariantAccess<'de> for ActionBody<'_, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        let mut rest = ActionFields {
            map: self.map,
            fields: &[],
            at_ms: self.at_ms,
        };
        while rest.next_key::<de::IgnoredAny>()?.is_some() {
            rest.next_value::<de::IgnoredAny>()?;
        }
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, A::Error> {
        Err(de::Error::custom("an action is a unit or struct variant"))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, A::Error> {
        Err(de::Error::custom("an action is a unit or struct variant"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_map(ActionFields {
            map: self.map,
            fields,
            at_ms: self.at_ms,
        })
    }
}

/// The fields of one action, from the timed action's object: `at_ms` is read aside, and a key
/// outside `fields` is refused with the list of what this action takes.
struct ActionFields<'a, A> {
    map: &'a mut A,
    fields: &'static [&'static str],
    at_ms: &'a mut Option<SimTime>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for ActionFields<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        loop {
            match self.map.next_key_seed(FieldName(self.fields))? {
                None => return Ok(None),
                Some(FieldKey::AtMs) => *self.at_ms = Some(self.map.next_value()?),
                Some(FieldKey::Field(name)) => {
                    return seed.deserialize(name.into_deserializer()).map(Some)
                }
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// A key of an action's object past `do`.
enum FieldKey {
    /// `at_ms`.
    AtMs,
    /// One of the action's fields.
    Field(&'static str),
}

/// Reads a key among an action's `fields` (or `at_ms`).
struct FieldName(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for FieldName {
    type Value = FieldKey;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<FieldKey, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for FieldName {
    type Value = FieldKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<FieldKey, E> {
        if key == "at_ms" {
            return Ok(FieldKey::AtMs);
        }
        if let Some(field) = self.0.iter().find(|f| **f == key) {
            return Ok(FieldKey::Field(field));
        }
        let mut expected = vec!["at_ms", "do"];
        expected.extend_from_slice(self.0);
        Err(E::custom(format!(
            "unknown field; expected one of: {}",
            expected.join(", ")
        )))
    }
}
