//! LoPAPR's MSI requirements, one test each, named after the requirement, in the papr
//! profile (the README's table maps each to its test):
//!
//! - `change_msi`: R1-1 to R1-6 of `ibm,change-msi` (LoPAR 7.3.10.5.1, in "MSI
//!   Support"), tests `r1_N_*`; R1-7 to R1-13, sequences of calls the OS takes part in,
//!   are the root package's `tests/lopapr/change_msi_sequences.rs`;
//! - `query`: R1-1 to R1-3 of `ibm,query-interrupt-source-number` (7.3.10.5.2),
//!   tests `qisn_r1_N_*`;
//! - `msi_option` and `msi_option_setup`: R1-1 to R1-11 of the MSI option (LoPAR
//!   6.2.3), tests `opt_r1_N_*`.
//!
//! Source: LoPAR's DocBook sources (OpenPOWER Foundation, Linux-Architecture-Reference,
//! `LoPAR/sec_rtas_call_defn.xml` and `LoPAR/ch_interrupt_controller.xml`).

mod common;

#[path = "lopapr/change_msi.rs"]
mod change_msi;
#[path = "lopapr/msi_option.rs"]
mod msi_option;
#[path = "lopapr/msi_option_setup.rs"]
mod msi_option_setup;
#[path = "lopapr/query.rs"]
mod query;
