//! What the tree's XIVE driver needs carried between the firmware and its process: the
//! event queues it registered (the firmware writes them in the OS's memory; the
//! driver reads its own copy, so each new entry is handed over before an interrupt is
//! taken), and the virqs whose handlers ran.

use crate::port::Port;
use papr_abi::hcall::{H_INT_SET_QUEUE_CONFIG, H_SUCCESS};

/// One registered queue, read as the firmware fills it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Queue {
    target: u64,
    priority: u64,
    qpage: u64,
    entries: u32,
    /// The next entry the firmware writes.
    index: u32,
    /// The generation bit of this lap's entries (the firmware starts with 1).
    generation: bool,
}

/// The queues and the handlers that ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XiveMirror {
    queues: Vec<Queue>,
    /// Virqs whose flow handler ran an action, in order, since last taken.
    pub handled: Vec<u32>,
}

impl XiveMirror {
    /// A hypervisor call the driver made and its answer: a queue registered (or
    /// released, size 0) is followed from its first entry.
    pub fn saw_hcall(&mut self, opcode: u64, args: &[u64], status: i64) {
        if opcode != H_INT_SET_QUEUE_CONFIG || status != H_SUCCESS || args.len() < 5 {
            return;
        }
        let (target, priority, qpage, shift) = (args[1], args[2], args[3], args[4]);
        self.queues
            .retain(|q| (q.target, q.priority) != (target, priority));
        if (2..32).contains(&shift) {
            self.queues.push(Queue {
                target,
                priority,
                qpage,
                entries: 1 << (shift - 2),
                index: 0,
                generation: true,
            });
        }
    }

    /// The entries the firmware wrote since last asked, as (address, word) pairs, in
    /// the order it wrote them per queue; at most `max`.
    pub fn new_entries(&mut self, port: &dyn Port, max: usize) -> Vec<(u64, u32)> {
        let mut out = Vec::new();
        for q in &mut self.queues {
            while out.len() < max {
                let at = q.qpage + 4 * q.index as u64;
                let Some(word) = port.memory_read_u32(at) else {
                    break;
                };
                if (word >> 31 == 1) != q.generation {
                    break;
                }
                out.push((at, word));
                q.index += 1;
                if q.index == q.entries {
                    q.index = 0;
                    q.generation = !q.generation;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_is_followed_from_its_registration() {
        let mut m = XiveMirror::default();
        m.saw_hcall(
            H_INT_SET_QUEUE_CONFIG,
            &[1, 0, 6, 0x300_0000, 16],
            H_SUCCESS,
        );
        assert_eq!(m.queues.len(), 1);
        assert_eq!(m.queues[0].entries, 16384);
        m.saw_hcall(H_INT_SET_QUEUE_CONFIG, &[1, 0, 6, 0x300_0000, 16], -4);
        assert_eq!(m.queues.len(), 1, "a refused call changes nothing");
        m.saw_hcall(H_INT_SET_QUEUE_CONFIG, &[0, 0, 6, 0, 0], H_SUCCESS);
        assert!(m.queues.is_empty(), "size 0 releases the queue");
    }
}
