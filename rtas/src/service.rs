//! RTAS services by name, and the token table a machine publishes under `/rtas`.

use crate::error::Error;
use of_tree::Tree;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

macro_rules! services {
    ($($variant:ident => $name:literal,)*) => {
        /// An RTAS service this firmware implements.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Service {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl Service {
            /// Every service.
            pub const ALL: &'static [Service] = &[$(Service::$variant,)*];

            /// The name the device tree and call logs use.
            pub fn name(self) -> &'static str {
                match self {
                    $(Service::$variant => $name,)*
                }
            }

            /// The service with a name.
            pub fn from_name(name: &str) -> Option<Service> {
                match name {
                    $($name => Some(Service::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

services! {
    DisplayCharacter => "display-character",
    GetTimeOfDay => "get-time-of-day",
    PowerOff => "power-off",
    SystemReboot => "system-reboot",
    SetXive => "ibm,set-xive",
    GetXive => "ibm,get-xive",
    IntOff => "ibm,int-off",
    IntOn => "ibm,int-on",
    ReadPciConfig => "read-pci-config",
    WritePciConfig => "write-pci-config",
    IbmReadPciConfig => "ibm,read-pci-config",
    IbmWritePciConfig => "ibm,write-pci-config",
    QueryInterruptSourceNumber => "ibm,query-interrupt-source-number",
    ChangeMsi => "ibm,change-msi",
    SuspendMe => "ibm,suspend-me",
    SetSlotReset => "ibm,set-slot-reset",
    SetEehOption => "ibm,set-eeh-option",
    GetConfigAddrInfo2 => "ibm,get-config-addr-info2",
    ReadSlotResetState2 => "ibm,read-slot-reset-state2",
    ConfigurePe => "ibm,configure-pe",
    SlotErrorDetail => "ibm,slot-error-detail",
    GetSensorState => "get-sensor-state",
    SetIndicator => "set-indicator",
    ConfigureConnector => "ibm,configure-connector",
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// QEMU 7.2's token for each of its services, from 0x2000 in its fixed order.
pub fn qemu_token(s: Service) -> u32 {
    match s {
        Service::DisplayCharacter => 0x2000,
        Service::GetTimeOfDay => 0x2001,
        Service::PowerOff => 0x2003,
        Service::SystemReboot => 0x2004,
        Service::SetXive => 0x200a,
        Service::GetXive => 0x200b,
        Service::IntOff => 0x200c,
        Service::IntOn => 0x200d,
        Service::ReadPciConfig => 0x2014,
        Service::WritePciConfig => 0x2015,
        Service::IbmReadPciConfig => 0x2016,
        Service::IbmWritePciConfig => 0x2017,
        Service::QueryInterruptSourceNumber => 0x2018,
        Service::ChangeMsi => 0x2019,
        Service::SuspendMe => 0x202a,
        Service::SetSlotReset => 0x2023,
        Service::SetEehOption => 0x2020,
        Service::GetConfigAddrInfo2 => 0x2021,
        Service::ReadSlotResetState2 => 0x2022,
        Service::ConfigurePe => 0x2024,
        Service::SlotErrorDetail => 0x2025,
        Service::GetSensorState => 0x201d,
        Service::SetIndicator => 0x201a,
        Service::ConfigureConnector => 0x201e,
    }
}

/// What `/rtas` publishes: tokens, and the flags that change the interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "TokensRepr", into = "TokensRepr")]
pub struct Tokens {
    by_token: BTreeMap<u32, Service>,
    by_service: BTreeMap<Service, u32>,
    /// `by_token` as a table looked up on every call.
    lookup: Lookup,
    /// `ibm,hypertas-functions` present: the OS runs under a hypervisor.
    pub hypervisor: bool,
    /// `ibm,change-msix-capable`: change-msi has 4 outputs and functions 3 to 6.
    pub change_msix_capable: bool,
}

/// Widest span of tokens kept as a table indexed by token (QEMU's and the built-in
/// machines' span a few dozen).
const DENSE_SPAN: u32 = 4096;

/// Tokens to services: indexed from the lowest token when they span at most
/// [`DENSE_SPAN`], else sorted and searched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Lookup {
    base: u32,
    dense: Vec<Option<Service>>,
    sorted: Vec<(u32, Service)>,
}

impl Lookup {
    fn new(by_token: &BTreeMap<u32, Service>) -> Lookup {
        let (Some((&lo, _)), Some((&hi, _))) =
            (by_token.first_key_value(), by_token.last_key_value())
        else {
            return Lookup::default();
        };
        if hi - lo < DENSE_SPAN {
            let mut dense = vec![None; (hi - lo + 1) as usize];
            for (&t, &s) in by_token {
                dense[(t - lo) as usize] = Some(s);
            }
            Lookup {
                base: lo,
                dense,
                sorted: Vec::new(),
            }
        } else {
            Lookup {
                base: 0,
                dense: Vec::new(),
                sorted: by_token.iter().map(|(&t, &s)| (t, s)).collect(),
            }
        }
    }

    fn get(&self, token: u32) -> Option<Service> {
        if self.dense.is_empty() {
            let i = self.sorted.binary_search_by_key(&token, |&(t, _)| t).ok()?;
            return Some(self.sorted[i].1);
        }
        let i = token.checked_sub(self.base)? as usize;
        self.dense.get(i).copied().flatten()
    }
}

/// [`Tokens`] as saved states hold it.
#[derive(Serialize, Deserialize)]
struct TokensRepr {
    by_token: BTreeMap<u32, Service>,
    by_service: BTreeMap<Service, u32>,
    hypervisor: bool,
    change_msix_capable: bool,
}

impl From<TokensRepr> for Tokens {
    fn from(r: TokensRepr) -> Tokens {
        Tokens {
            lookup: Lookup::new(&r.by_token),
            by_token: r.by_token,
            by_service: r.by_service,
            hypervisor: r.hypervisor,
            change_msix_capable: r.change_msix_capable,
        }
    }
}

impl From<Tokens> for TokensRepr {
    fn from(t: Tokens) -> TokensRepr {
        TokensRepr {
            by_token: t.by_token,
            by_service: t.by_service,
            hypervisor: t.hypervisor,
            change_msix_capable: t.change_msix_capable,
        }
    }
}

impl Tokens {
    fn from_pairs(
        pairs: impl IntoIterator<Item = (Service, u32)>,
        hypervisor: bool,
        msix: bool,
    ) -> Tokens {
        let mut t = Tokens {
            by_token: BTreeMap::new(),
            by_service: BTreeMap::new(),
            lookup: Lookup::default(),
            hypervisor,
            change_msix_capable: msix,
        };
        for (s, tok) in pairs {
            t.by_token.insert(tok, s);
            t.by_service.insert(s, tok);
        }
        t.lookup = Lookup::new(&t.by_token);
        t
    }

    /// QEMU's services and numbers.
    pub fn qemu() -> Tokens {
        Self::from_pairs(Service::ALL.iter().map(|&s| (s, qemu_token(s))), true, true)
    }

    /// What a tree's `/rtas` node publishes: a service exists if and only if its
    /// property exists, holding one cell.
    pub fn from_tree(tree: &Tree) -> Result<Tokens, Error> {
        let Ok(rtas) = tree.find("/rtas") else {
            return Ok(Self::from_pairs([], false, false));
        };
        let at = tree.at(rtas);
        let mut pairs = Vec::new();
        for &s in Service::ALL {
            if let Some(tok) = at.u32(s.name())? {
                pairs.push((s, tok));
            }
        }
        let mut seen = BTreeMap::new();
        for &(s, tok) in &pairs {
            if let Some(other) = seen.insert(tok, s) {
                return Err(crate::error::tree_err(
                    at.path(),
                    format!("services {other} and {s} share token {tok:#x}"),
                ));
            }
        }
        let hyp = at.has("ibm,hypertas-functions");
        let msix = at.has("ibm,change-msix-capable");
        Ok(Self::from_pairs(pairs, hyp, msix))
    }

    /// The service behind a token.
    pub fn service(&self, token: u32) -> Option<Service> {
        self.lookup.get(token)
    }

    /// The token of a service, if the machine has it.
    pub fn token(&self, s: Service) -> Option<u32> {
        self.by_service.get(&s).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &s in Service::ALL {
            assert_eq!(Service::from_name(s.name()), Some(s));
        }
        assert_eq!(Service::from_name("ibm,nope"), None);
    }

    #[test]
    fn tokens_from_tree() {
        let mut t = Tree::new();
        let r = t.add_child(t.root(), "rtas");
        t.set_prop(r, "ibm,change-msi", 0x99u32.to_be_bytes().to_vec());
        t.set_prop(r, "ibm,change-msix-capable", Vec::new());
        let tok = Tokens::from_tree(&t).unwrap();
        assert_eq!(tok.service(0x99), Some(Service::ChangeMsi));
        assert_eq!(tok.token(Service::QueryInterruptSourceNumber), None);
        assert!(tok.change_msix_capable && !tok.hypervisor);
        t.set_prop(r, "ibm,int-on", vec![0, 0x99]);
        assert!(
            Tokens::from_tree(&t).is_err(),
            "a two-byte token is a wrong-sized property"
        );
        let none = Tokens::from_tree(&Tree::new()).unwrap();
        assert_eq!(none.token(Service::ChangeMsi), None, "no /rtas: no RTAS");
        assert_eq!(Tokens::qemu().token(Service::ChangeMsi), Some(0x2019));
    }

    #[test]
    fn lookup_dense_and_sparse_agree_with_the_map() {
        let near = [(0x2000, Service::ChangeMsi), (0x2019, Service::IntOn)];
        let far = [(7, Service::ChangeMsi), (0xffff_fff0, Service::IntOn)];
        for pairs in [&near[..], &far[..]] {
            let map: BTreeMap<u32, Service> = pairs.iter().copied().collect();
            let l = Lookup::new(&map);
            assert_eq!(l.dense.is_empty(), pairs == &far[..]);
            for probe in [
                0,
                6,
                7,
                8,
                0x1fff,
                0x2000,
                0x2001,
                0x2019,
                0x201a,
                0xffff_fff0,
                u32::MAX,
            ] {
                assert_eq!(l.get(probe), map.get(&probe).copied(), "token {probe:#x}");
            }
        }
        assert_eq!(Lookup::new(&BTreeMap::new()).get(0), None);
    }
}
