//! The streamed trace is the trace: for every fixture tree's boot and every fixture
//! scenario, the lines handed out as they happen equal, line for line, the events the
//! same code keeps in memory.

mod common;

use common::*;
use platform::trace::tracer::{Stream, Tracer};
use platform::trace::{Event, EventKind, TraceFormat};
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
            let tracer = Box::new(Stream::new(sink));
            let rep = boot_all_with(fixture_tree(&rel), opts, Some(tracer), None).unwrap();
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

/// A tracer that wants what a filtered stream wants and records every event the OS
/// builds, those the stream would leave out included.
struct Spy {
    asks: Stream,
    built: Rc<RefCell<Vec<Event>>>,
}

impl Tracer for Spy {
    fn enabled(&self) -> bool {
        self.asks.enabled()
    }
    fn wants(&self, kind: EventKind) -> bool {
        self.asks.wants(kind)
    }
    fn wants_msg(&self, head: &str) -> bool {
        self.asks.wants_msg(head)
    }
    fn take(&mut self, e: Event) -> Option<Event> {
        self.built.borrow_mut().push(e);
        None
    }
}

/// The events a boot of the fixture guest builds for a tracer with this filter.
fn built_under(filter: &str) -> Vec<Event> {
    let built = Rc::new(RefCell::new(Vec::new()));
    let spy = Spy {
        asks: Stream::filtered(Box::new(|_: &Event| {}), filter.parse().unwrap()),
        built: built.clone(),
    };
    let tree = fixture_tree("linux-guest/qemu-initial.dtb");
    boot_all_with(tree, BootOptions::default(), Some(Box::new(spy)), None).unwrap();
    built.take()
}

#[test]
fn a_filtered_event_is_never_built() {
    let all = built_under("");
    let counting =
        |e: &Event| matches!(e, Event::Msg { text } if text.contains("rtas_msi: counting"));
    let (n_counting, n_rtas, n_hook) = (
        all.iter().filter(|e| counting(e)).count(),
        all.iter()
            .filter(|e| e.event_kind() == EventKind::Rtas)
            .count(),
        all.iter()
            .filter(|e| e.event_kind() == EventKind::Hook)
            .count(),
    );
    assert!(
        n_counting > 100 && n_rtas > 200 && n_hook > 30,
        "{n_counting} {n_rtas} {n_hook}"
    );
    // Left out by text and by kind: not one of them reaches the tracer, everything else
    // does, in the same order.
    let left_out =
        |e: &Event| counting(e) || matches!(e.event_kind(), EventKind::Rtas | EventKind::Hook);
    let some = built_under("msg:rtas_msi: counting,rtas,hook");
    let built: Vec<&Event> = some.iter().filter(|e| left_out(e)).collect();
    assert!(
        built.is_empty(),
        "{} events left out were built, the first {:?}",
        built.len(),
        built[0]
    );
    let rest: Vec<Event> = all.into_iter().filter(|e| !left_out(e)).collect();
    assert!(
        some == rest,
        "{} events built, {} expected",
        some.len(),
        rest.len()
    );
    // Every message left out: none built, not even one the walk would write first.
    assert!(built_under("msg")
        .iter()
        .all(|e| e.event_kind() != EventKind::Msg));
}

#[test]
fn a_filtered_stream_is_the_full_stream_less_what_it_leaves_out() {
    let stream = |filter: &str| {
        let lines = Rc::new(RefCell::new(Vec::new()));
        let l = lines.clone();
        let sink = Box::new(move |e: &Event| l.borrow_mut().push(e.to_string()));
        let tracer = Box::new(Stream::filtered(sink, filter.parse().unwrap()));
        let tree = fixture_tree("linux-guest/qemu-initial.dtb");
        boot_all_with(tree, BootOptions::default(), Some(tracer), None).unwrap();
        lines.take()
    };
    let full = stream("");
    let filtered = stream("msg:counting,map");
    let expected: Vec<String> = full
        .iter()
        .filter(|l| !l.contains("counting") && !l.starts_with("map "))
        .cloned()
        .collect();
    assert!(
        filtered.len() + 200 < full.len(),
        "{} of {}",
        filtered.len(),
        full.len()
    );
    assert_eq!(filtered, expected);
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
