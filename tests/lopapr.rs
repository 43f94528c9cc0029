//! LoPAPR's MSI requirements that take an OS, one test each, named after the
//! requirement, in the papr profile (the README's table maps each to its test):
//!
//! - `change_msi_sequences`: R1-7 to R1-13 of `ibm,change-msi` (LoPAR 7.3.10.5.1, in
//!   "MSI Support"), tests `r1_N_*`: sequences of calls, checked on the firmware and on
//!   the OS's calls.
//!
//! The firmware-only requirements (R1-1 to R1-6 of `ibm,change-msi`, those of
//! `ibm,query-interrupt-source-number` and of the MSI option) are in the rtas crate:
//! `rtas/tests/lopapr.rs`.
//!
//! Source: LoPAR's DocBook sources (OpenPOWER Foundation, Linux-Architecture-Reference,
//! `LoPAR/sec_rtas_call_defn.xml` and `LoPAR/ch_interrupt_controller.xml`).

mod common;

#[path = "lopapr/change_msi_sequences.rs"]
mod change_msi_sequences;
