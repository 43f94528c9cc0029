//! Finding kernel lines printed a second time: a dmesg dump at the end of a run
//! repeats the ring buffer, lines the log already holds.
//!
//! A line is a repeat when an earlier kernel line has its text and its time stamp (the
//! stamp alone is no proof: a line from another CPU may carry an earlier time, and the
//! text alone is none either: a driver bound twice prints the same lines twice). From
//! such a line on, the dump goes on as long as its lines follow the earlier ones in
//! order, whatever their stamps; and the lines just before it that repeat, in order, the
//! lines before its original are the dump's first lines, even when their stamps were
//! rewritten (a console that stamps the dump with the time it was printed).

use super::lex::Line;
use std::collections::HashMap;

/// The log's line numbers (from 1) that repeat earlier kernel lines, in runs
/// `(first, last)`, and for each line whether it is one.
pub(super) struct Replays {
    pub(super) runs: Vec<(usize, usize)>,
    pub(super) skip: Vec<bool>,
}

/// Finds the repeated kernel lines.
pub(super) fn find(lines: &[Line]) -> Replays {
    let mut skip = vec![false; lines.len() + 1];
    // The kernel lines taken as live so far, as indexes into `lines`.
    let mut live: Vec<usize> = Vec::new();
    // (stamp, text) -> positions in `live`.
    let mut seen: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    // Inside a dump: the position in `live` of the line it should repeat next.
    let mut cursor: Option<usize> = None;
    for (i, l) in lines.iter().enumerate() {
        let Some(stamp) = l.stamp else { continue };
        if let Some(c) = cursor {
            if c < live.len() && lines[live[c]].text == l.text {
                skip[l.no] = true;
                cursor = Some(c + 1);
                continue;
            }
            cursor = None;
        }
        let original = seen
            .get(&(stamp.raw, l.text))
            .and_then(|ps| ps.first().copied());
        let Some(p) = original else {
            seen.entry((stamp.raw, l.text))
                .or_default()
                .push(live.len());
            live.push(i);
            continue;
        };
        skip[l.no] = true;
        cursor = Some(p + 1);
        // The dump's first lines may carry rewritten stamps: the live lines just before
        // this one that repeat, in order, the lines before the original belong to it.
        let mut q = p;
        while q > 0 {
            let Some(&tail) = live.last() else { break };
            let (orig, restamped) = (&lines[live[q - 1]], &lines[tail]);
            let later = match (orig.stamp, restamped.stamp) {
                (Some(a), Some(b)) => b.secs >= a.secs,
                _ => false,
            };
            if live.len() - 1 < q || orig.text != restamped.text || !later {
                break;
            }
            live.pop();
            if let Some(ps) = restamped
                .stamp
                .and_then(|s| seen.get_mut(&(s.raw, restamped.text)))
            {
                ps.retain(|&x| x != live.len());
            }
            skip[restamped.no] = true;
            q -= 1;
        }
    }
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut last_kernel_skipped = false;
    for l in lines {
        if l.stamp.is_none() {
            continue;
        }
        if skip[l.no] {
            match runs.last_mut() {
                Some(r) if last_kernel_skipped => r.1 = l.no,
                _ => runs.push((l.no, l.no)),
            }
        }
        last_kernel_skipped = skip[l.no];
    }
    Replays { runs, skip }
}

#[cfg(test)]
mod tests {
    use super::super::lex::lines;
    use super::*;

    fn skipped(text: &str) -> Vec<usize> {
        let ls = lines(text);
        let r = find(&ls);
        (1..=ls.len()).filter(|&n| r.skip[n]).collect()
    }

    #[test]
    fn a_dump_with_its_own_stamps() {
        let log = "[ 1.0] a\n[ 2.0] b\nqemu\n[ 3.0] c\n[ 1.0] a\n[ 2.0] b\n[ 3.0] c\n[ 4.0] d\n";
        assert_eq!(skipped(log), vec![5, 6, 7]);
    }

    #[test]
    fn a_dump_whose_first_lines_were_restamped() {
        let log = "[ 1.0] a\n[ 2.0] b\n[ 3.0] c\n[ 3.0] a\n[ 3.0] b\n[ 3.0] c\n[ 4.0] d\n";
        assert_eq!(skipped(log), vec![4, 5, 6]);
    }

    #[test]
    fn an_earlier_stamp_or_a_repeated_text_alone_is_live() {
        // Another CPU's line with an earlier time, and a driver printing the same again.
        let log = "[ 1.0] a\n[ 2.0] b\n[ 1.5] x\n[ 3.0] a\n[ 4.0] b\n";
        assert_eq!(skipped(log), Vec::<usize>::new());
    }
}
