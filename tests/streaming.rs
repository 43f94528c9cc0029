//! The streamed trace is the trace: for every fixture tree's boot and every fixture
//! scenario, the lines handed out as they happen equal, line for line, the events the
//! same code keeps in memory.

mod common;

use common::*;
use platform::trace::{Event, TraceFormat};
use pseries_sim::boot::{boot_all, boot_all_with};
use pseries_sim::scenario::Discard;
use pseries_sim::BootOptions;
use std::cell::RefCell;
use std::rc::Rc;

#[test]
fn streamed_boot_traces_equal_the_kept_ones() {
    let mut total = 0;
    for rel in fixture_rels() {
        for profile in [rtas::Profile::Papr, rtas::Profile::Qemu] {
            let opts = BootOptions {
                profile,
                ..Default::default()
            };
            let kept: Vec<String> = boot_all(fixture_tree(&rel), opts)
                .unwrap()
                .kernel
                .trace
                .iter()
                .map(|e| e.to_string())
                .collect();
            let streamed = Rc::new(RefCell::new(Vec::new()));
            let s = streamed.clone();
            let sink = Box::new(move |e: &Event| s.borrow_mut().push(e.to_string()));
            let rep = boot_all_with(fixture_tree(&rel), opts, Some(sink)).unwrap();
            assert!(
                rep.kernel.trace.is_empty(),
                "a sink takes the events instead"
            );
            assert_eq!(*streamed.borrow(), kept, "{rel} {profile}");
            total += kept.len();
        }
    }
    assert!(total > 5000, "{total} lines compared");
}

#[test]
fn scenario_output_is_the_kept_trace() {
    for rel in ["linux-guest/boot.scenario", "suspend-renumber.scenario"] {
        for format in [TraceFormat::Human, TraceFormat::Json] {
            let mut out: Vec<String> = Vec::new();
            let k = pseries_sim::scenario::run_file(&fixture(rel), format, &mut out)
                .unwrap()
                .unwrap();
            let kept: Vec<String> = k
                .trace
                .iter()
                .map(|e| match format {
                    TraceFormat::Json => e.to_json(),
                    _ => e.to_string(),
                })
                .collect();
            assert_eq!(out, kept, "{rel}");
            assert!(kept.len() > 300, "{rel}: {}", kept.len());
            // Unread output (a run of many scenarios) is never formatted, and the run
            // comes to the same machine and the same trace.
            let d = pseries_sim::scenario::run_file(&fixture(rel), format, &mut Discard)
                .unwrap()
                .unwrap();
            assert_eq!(d.trace, k.trace, "{rel}");
            assert_eq!(
                pseries_sim::harness::call_log(&d),
                pseries_sim::harness::call_log(&k),
                "{rel}"
            );
        }
    }
}
