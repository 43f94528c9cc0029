//! `expect rtas-log`: the calls made against a captured log's, service by service.

use platform::kernel::rtas::{CHANGE_MSI, QUERY_SOURCE};
use rtas::calllog::CallRecord;

/// Compares the calls of the services the expected log mentions (the MSI services when
/// it is empty), in order. Says the first difference.
pub fn compare_logs(got: &[CallRecord], want: &[CallRecord]) -> Option<String> {
    let mut services: Vec<&str> = want.iter().map(|r| r.service.as_str()).collect();
    if services.is_empty() {
        services = vec![CHANGE_MSI.name, QUERY_SOURCE.name];
    }
    let ours: Vec<&CallRecord> = got
        .iter()
        .filter(|r| services.contains(&r.service.as_str()))
        .collect();
    for (i, w) in want.iter().enumerate() {
        match ours.get(i) {
            None => {
                return Some(format!(
                    "call {} (line {}) expected {}, but only {} calls were made",
                    i + 1,
                    i + 1,
                    w.to_json(),
                    ours.len()
                ))
            }
            Some(g) if *g != w => {
                return Some(format!(
                    "call {} (line {}): expected {}, got {}",
                    i + 1,
                    i + 1,
                    w.to_json(),
                    g.to_json()
                ))
            }
            _ => {}
        }
    }
    if ours.len() > want.len() {
        return Some(format!(
            "{} more calls than expected, the first: {}",
            ours.len() - want.len(),
            ours[want.len()].to_json()
        ));
    }
    None
}
