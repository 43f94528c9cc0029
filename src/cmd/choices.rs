//! Option values from a fixed list: the list goes to the help, the manual page and shell
//! completion, and the value's own `FromStr` decides what is accepted and says why not,
//! so the spellings and messages stay those of the types in `rtas` and `platform`.

use clap::builder::{PossibleValue, TypedValueParser};
use std::marker::PhantomData;
use std::str::FromStr;

/// A value parser that offers `names` and parses with `T::from_str`.
pub struct Choices<T> {
    names: &'static [&'static str],
    of: PhantomData<fn() -> T>,
}

impl<T> Clone for Choices<T> {
    fn clone(&self) -> Self {
        Choices {
            names: self.names,
            of: PhantomData,
        }
    }
}

impl<T> TypedValueParser for Choices<T>
where
    T: FromStr + Clone + Send + Sync + 'static,
    T::Err: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
{
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        // clap's parser for a `FromStr` type: its message, as before the list existed.
        (|s: &str| s.parse::<T>()).parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.names.iter().map(|n| PossibleValue::new(*n))))
    }
}

fn choices<T>(names: &'static [&'static str]) -> Choices<T> {
    Choices {
        names,
        of: PhantomData,
    }
}

/// The names `rtas::Profile` parses.
pub const PROFILES: &[&str] = &["papr", "qemu"];
/// The names `platform::trace::TraceFormat` parses.
pub const TRACE_FORMATS: &[&str] = &["human", "json", "qemu"];
/// The names `platform::kernel::prom_init::CasRequest` parses.
pub const CAS_REQUESTS: &[&str] = &["auto", "xics", "xive"];
/// The sanitizers a compiled client can be built with.
pub const SANITIZERS: &[&str] = &["address", "undefined"];

/// `--profile`.
pub fn profile() -> Choices<rtas::Profile> {
    choices(PROFILES)
}

/// `--trace`.
pub fn trace_format() -> Choices<platform::trace::TraceFormat> {
    choices(TRACE_FORMATS)
}

/// `--cas`.
pub fn cas() -> Choices<platform::kernel::prom_init::CasRequest> {
    choices(CAS_REQUESTS)
}

/// `--sanitize`: any word gets through, the client options refuse the others with
/// their own message.
pub fn sanitizer() -> Choices<String> {
    choices(SANITIZERS)
}

/// `--trace-filter`: the event kinds are offered; `msg:TEXT` is accepted too.
pub fn trace_filter() -> Choices<platform::trace::TraceFilter> {
    choices(platform::trace::EVENT_KINDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_parse<T: FromStr>(names: &[&str]) {
        for n in names {
            assert!(n.parse::<T>().is_ok(), "{n}");
        }
    }

    #[test]
    fn every_offered_name_is_accepted() {
        all_parse::<rtas::Profile>(PROFILES);
        all_parse::<platform::trace::TraceFormat>(TRACE_FORMATS);
        all_parse::<platform::kernel::prom_init::CasRequest>(CAS_REQUESTS);
        all_parse::<platform::trace::TraceFilter>(platform::trace::EVENT_KINDS);
    }

    /// The lists are whole: each type's refusal ("..., use A, B or C") names exactly them.
    #[test]
    fn every_accepted_name_is_offered() {
        fn listed<T: FromStr>(names: &[&str])
        where
            T::Err: std::fmt::Display,
        {
            let e = "x".parse::<T>().err().expect("x is refused").to_string();
            let (_, list) = e.rsplit_once("use ").expect("the refusal lists the names");
            let mut got: Vec<&str> = list
                .split([',', ' '])
                .filter(|w| !w.is_empty() && *w != "or")
                .collect();
            let mut want = names.to_vec();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{e}");
        }
        listed::<rtas::Profile>(PROFILES);
        listed::<platform::trace::TraceFormat>(TRACE_FORMATS);
        listed::<platform::kernel::prom_init::CasRequest>(CAS_REQUESTS);
    }
}
