//! Open Firmware device tree for pseries-sim: a node/property model with typed
//! accessors, flattened device tree (DTB) reading and writing, and device tree
//! source (DTS) parsing and printing in dtc's dialect.
//!
//! ```
//! let tree = of_tree::dts::parse_str(
//!     "/dts-v1/; / { #address-cells = <2>; pci@800000020000000 { ibm,req#msi-x = <5>; }; };",
//!     "example.dts",
//! )
//! .unwrap();
//! let pci = tree.find("/pci@800000020000000").unwrap();
//! assert_eq!(tree.at(pci).u32("ibm,req#msi-x").unwrap(), Some(5));
//! let blob = of_tree::dtb::write(&tree, &Default::default()).unwrap();
//! assert_eq!(of_tree::dtb::read(&blob).unwrap(), tree);
//! ```
#![deny(missing_docs)]

mod access;
mod addr;
pub mod dtb;
pub mod dts;
mod error;
mod fxhash;
mod index;
mod node;
mod tree;

pub use access::NodeRef;
pub use addr::{RangeEntry, RegEntry};
pub use error::{Error, Location};
pub use node::{Labels, Node, NodeId, Property, Value};
pub use tree::{Preorder, Reservation, Tree};

/// Reads a tree from bytes that are either a DTB (by its magic) or DTS text.
///
/// `origin` names the input in error messages (a file name, usually).
pub fn read_any(bytes: &[u8], origin: &str) -> Result<Tree, Error> {
    if dtb::is_dtb(bytes) {
        dtb::read(bytes)
    } else {
        let text = std::str::from_utf8(bytes).map_err(|e| Error::Dts {
            loc: Location::new(origin, 1, 1),
            msg: format!("source is not UTF-8 text ({e})"),
        })?;
        dts::parse_str(text, origin)
    }
}

/// Reads a tree from a file that holds either a DTB or DTS text.
pub fn read_file(path: &std::path::Path) -> Result<Tree, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        msg: e.to_string(),
    })?;
    if dtb::is_dtb(&bytes) {
        dtb::read(&bytes)
    } else {
        dts::parse_file(path)
    }
}
