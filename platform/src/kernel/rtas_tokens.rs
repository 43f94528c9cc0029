//! The RTAS services the OS knows, by name, and the tokens `/rtas` publishes for them
//! (Linux's `rtas_token`).

use of_tree::Tree;
use std::collections::HashMap;

/// An RTAS service the OS calls: its name, and where its token is kept once read (as
/// Linux keeps `rtas_token` results in statics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtasService {
    /// The property name under `/rtas`.
    pub name: &'static str,
    slot: usize,
}

/// `ibm,change-msi`.
pub const CHANGE_MSI: RtasService = RtasService {
    name: "ibm,change-msi",
    slot: 0,
};
/// `ibm,query-interrupt-source-number`.
pub const QUERY_SOURCE: RtasService = RtasService {
    name: "ibm,query-interrupt-source-number",
    slot: 1,
};
/// `ibm,read-pci-config`.
pub const READ_PCI_CONFIG: RtasService = RtasService {
    name: "ibm,read-pci-config",
    slot: 2,
};
/// `ibm,write-pci-config`.
pub const WRITE_PCI_CONFIG: RtasService = RtasService {
    name: "ibm,write-pci-config",
    slot: 3,
};
/// `ibm,set-xive`.
pub const SET_XIVE: RtasService = RtasService {
    name: "ibm,set-xive",
    slot: 4,
};
/// `ibm,int-on`.
pub const INT_ON: RtasService = RtasService {
    name: "ibm,int-on",
    slot: 5,
};
/// `ibm,int-off`.
pub const INT_OFF: RtasService = RtasService {
    name: "ibm,int-off",
    slot: 6,
};
/// `ibm,suspend-me`.
pub const SUSPEND_ME: RtasService = RtasService {
    name: "ibm,suspend-me",
    slot: 7,
};

/// `ibm,set-eeh-option`.
pub const SET_EEH_OPTION: RtasService = RtasService {
    name: "ibm,set-eeh-option",
    slot: 8,
};
/// `ibm,get-config-addr-info2`.
pub const GET_CONFIG_ADDR_INFO2: RtasService = RtasService {
    name: "ibm,get-config-addr-info2",
    slot: 9,
};
/// `ibm,read-slot-reset-state2`.
pub const READ_SLOT_RESET_STATE2: RtasService = RtasService {
    name: "ibm,read-slot-reset-state2",
    slot: 10,
};
/// `ibm,set-slot-reset`.
pub const SET_SLOT_RESET: RtasService = RtasService {
    name: "ibm,set-slot-reset",
    slot: 11,
};
/// `ibm,configure-pe`.
pub const CONFIGURE_PE: RtasService = RtasService {
    name: "ibm,configure-pe",
    slot: 12,
};
/// `ibm,slot-error-detail`.
pub const SLOT_ERROR_DETAIL: RtasService = RtasService {
    name: "ibm,slot-error-detail",
    slot: 13,
};

/// The services whose tokens are read at boot.
const KNOWN: [RtasService; 14] = [
    CHANGE_MSI,
    QUERY_SOURCE,
    READ_PCI_CONFIG,
    WRITE_PCI_CONFIG,
    SET_XIVE,
    INT_ON,
    INT_OFF,
    SUSPEND_ME,
    SET_EEH_OPTION,
    GET_CONFIG_ADDR_INFO2,
    READ_SLOT_RESET_STATE2,
    SET_SLOT_RESET,
    CONFIGURE_PE,
    SLOT_ERROR_DETAIL,
];

/// The services of `/rtas`: every property holding one cell names a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtasTokens {
    tokens: HashMap<String, u32>,
    known: [Option<u32>; KNOWN.len()],
    /// `ibm,hypertas-functions` is present: the OS runs under a hypervisor.
    pub hypertas: bool,
}

impl RtasTokens {
    /// What the tree's `/rtas` publishes; `None` without a `/rtas` node.
    pub fn from_tree(tree: &Tree) -> Option<RtasTokens> {
        let rtas = tree.find("/rtas").ok()?;
        let node = tree.node(rtas);
        let tokens = node
            .props
            .iter()
            .filter(|p| p.value.len() == 4)
            .map(|p| {
                let v = &p.value;
                (
                    p.name().to_string(),
                    u32::from_be_bytes([v[0], v[1], v[2], v[3]]),
                )
            })
            .collect::<HashMap<String, u32>>();
        let known = KNOWN.map(|k| tokens.get(k.name).copied());
        Some(RtasTokens {
            tokens,
            known,
            hypertas: node.prop("ibm,hypertas-functions").is_some(),
        })
    }

    /// The token of a service (Linux's `rtas_token`), if published.
    pub fn token(&self, service: RtasService) -> Option<u32> {
        self.known[service.slot]
    }

    /// The service name of a token.
    pub fn name_of(&self, token: u32) -> Option<&str> {
        self.known
            .iter()
            .zip(KNOWN.iter())
            .find(|(t, _)| **t == Some(token))
            .map(|(_, k)| k.name)
            .or_else(|| {
                self.tokens
                    .iter()
                    .find(|(_, &t)| t == token)
                    .map(|(n, _)| n.as_str())
            })
    }

    /// The token of any one-cell property of `/rtas`, by name.
    pub fn token_by_name(&self, name: &str) -> Option<u32> {
        self.tokens.get(name).copied()
    }

    /// Number of one-cell properties (services, and a few sizes).
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether it publishes nothing.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_from_the_tree() {
        let src = "/dts-v1/; / { rtas { ibm,change-msi = <0x99>; rtas-size = <0x85c>; \
                   ibm,hypertas-functions = \"hcall-pft\"; ibm,two = <1 2>; }; };";
        let t = of_tree::dts::parse_str(src, "t.dts").unwrap();
        let r = RtasTokens::from_tree(&t).unwrap();
        assert_eq!(r.token(CHANGE_MSI), Some(0x99));
        assert_eq!(r.token(QUERY_SOURCE), None);
        assert_eq!(r.token_by_name("ibm,two"), None, "two cells are no token");
        assert_eq!(r.token_by_name("rtas-size"), Some(0x85c));
        assert!(r.hypertas);
        let none = of_tree::dts::parse_str("/dts-v1/; / { };", "t.dts").unwrap();
        assert!(RtasTokens::from_tree(&none).is_none());
    }
}
