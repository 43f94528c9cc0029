//! RTAS as Linux instantiates it: the services `/rtas` publishes, each by the token its
//! property holds (Linux's `rtas_token`), and calls marshalled through the port.

use super::Kernel;
use crate::hw::RtasRets;
use crate::trace::Event;
use of_tree::Tree;
use std::collections::HashMap;

/// `ibm,change-msi`.
pub const CHANGE_MSI: &str = "ibm,change-msi";
/// `ibm,query-interrupt-source-number`.
pub const QUERY_SOURCE: &str = "ibm,query-interrupt-source-number";
/// `ibm,read-pci-config`.
pub const READ_PCI_CONFIG: &str = "ibm,read-pci-config";
/// `ibm,write-pci-config`.
pub const WRITE_PCI_CONFIG: &str = "ibm,write-pci-config";
/// `ibm,set-xive`.
pub const SET_XIVE: &str = "ibm,set-xive";
/// `ibm,int-on`.
pub const INT_ON: &str = "ibm,int-on";
/// `ibm,int-off`.
pub const INT_OFF: &str = "ibm,int-off";
/// `ibm,suspend-me`.
pub const SUSPEND_ME: &str = "ibm,suspend-me";

/// The services of `/rtas`: every property holding one cell names a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtasTokens {
    tokens: HashMap<String, u32>,
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
            .collect();
        Some(RtasTokens {
            tokens,
            hypertas: node.prop("ibm,hypertas-functions").is_some(),
        })
    }

    /// The token of a service (Linux's `rtas_token`), if published.
    pub fn token(&self, service: &str) -> Option<u32> {
        self.tokens.get(service).copied()
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

impl Kernel {
    /// The token of a service, if the tree publishes it.
    pub fn rtas_token(&self, service: &str) -> Option<u32> {
        self.rtas.as_ref()?.token(service)
    }

    /// An RTAS call of a service by its token; the outputs, status signed first.
    /// `None` when the tree publishes no such service.
    pub fn rtas(&mut self, service: &'static str, args: &[u32], nret: usize) -> Option<RtasRets> {
        let token = self.rtas_token(service)?;
        let out = self.port.rtas_call(token, args, nret)?;
        if self.opts.trace {
            self.trace.push(Event::Rtas {
                service: service.to_string(),
                token,
                args: args.to_vec(),
                rets: out.to_vec(),
            });
        }
        Some(out)
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
        assert_eq!(r.token("ibm,two"), None, "two cells are no token");
        assert!(r.hypertas);
        let none = of_tree::dts::parse_str("/dts-v1/; / { };", "t.dts").unwrap();
        assert!(RtasTokens::from_tree(&none).is_none());
    }
}
