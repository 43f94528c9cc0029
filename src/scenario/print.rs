//! Scenario commands written back as lines of the language: what `parse` reads, so a
//! generated scenario can be saved and run again.

use super::command::Command;
use platform::kernel::prom_init::CasRequest;
use platform::ops::ResumeMode;
use rtas::faults::Fault;
use rtas::Profile;
use std::fmt;

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

impl fmt::Display for Command {
    /// The command as a scenario line (without a newline); parsing it gives the same
    /// command back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Machine(p) => write!(f, "machine {p}"),
            Command::Profile(p) => f.write_str(match p {
                Profile::Qemu => "profile qemu",
                Profile::Papr => "profile papr",
            }),
            Command::Cas(c) => f.write_str(match c {
                CasRequest::Auto => "cas auto",
                CasRequest::Xics => "cas xics",
                CasRequest::Xive => "cas xive",
            }),
            Command::NegotiateIms(on) => write!(f, "negotiate ims {}", on_off(*on)),
            Command::NegotiateMsiBusy(on) => {
                write!(f, "negotiate change-msi-busy {}", on_off(*on))
            }
            Command::Boot => f.write_str("boot"),
            Command::Request {
                dev,
                kind,
                n,
                min,
                start,
            } => {
                write!(f, "request {dev} {kind} {n}")?;
                if min != n {
                    write!(f, " min {min}")?;
                }
                match start {
                    Some(k) => write!(f, " start {k}"),
                    None => Ok(()),
                }
            }
            Command::Free(d) => write!(f, "free {d}"),
            Command::Unbind(d) => write!(f, "unbind {d}"),
            Command::Start(d, Some(v)) => write!(f, "start {d} {v}"),
            Command::Start(d, None) => write!(f, "start {d} all"),
            Command::Fire(d, v) => write!(f, "fire {d} {v}"),
            Command::ExpectRtasLog(p) => write!(f, "expect rtas-log {p}"),
            Command::Suspend => f.write_str("suspend"),
            Command::Resume(ResumeMode::Keep) => f.write_str("resume keep"),
            Command::Resume(ResumeMode::Renumber) => f.write_str("resume renumber"),
            Command::Save(p) => write!(f, "save {p}"),
            Command::Restore(p) => write!(f, "restore {p}"),
            Command::ExpectVirqsStable => f.write_str("expect virqs-stable"),
            Command::ExpectSourcesChanged => f.write_str("expect sources-changed"),
            Command::ExpectGranted(d, n) => write!(f, "expect granted {d} {n}"),
            Command::ExpectRequestFails(d) => write!(f, "expect request-fails {d}"),
            Command::ExpectFires(d, v) => write!(f, "expect fires {d} {v}"),
            Command::ExpectController(m) => write!(f, "expect controller {m}"),
            Command::EehFreeze(d) => write!(f, "eeh freeze {d}"),
            Command::EehRecover(d) => write!(f, "eeh recover {d}"),
            Command::ExpectFrozen(d) => write!(f, "expect frozen {d}"),
            Command::Fault(r) => {
                write!(f, "fault {} ", r.service)?;
                match r.fault {
                    Fault::Busy => f.write_str("busy")?,
                    Fault::HwError => f.write_str("hw-error")?,
                    Fault::Delay(n) => write!(f, "delay {n}")?,
                    Fault::Fewer(n) => write!(f, "fewer {n}")?,
                    Fault::Status(s) => write!(f, "status {s}")?,
                }
                if r.skip != 0 {
                    write!(f, " after {}", r.skip)?;
                }
                if r.times != 1 {
                    write!(f, " times {}", r.times)?;
                }
                Ok(())
            }
            Command::HotplugAdd { dev, file } => write!(f, "hotplug add {dev} {file}"),
            Command::HotplugRemove(d) => write!(f, "hotplug remove {d}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;

    /// Every command the language has, printed and parsed again, is itself.
    #[test]
    fn printed_lines_parse_back_to_the_same_commands() {
        let text = "machine a/b.dts\nprofile qemu\nprofile papr\ncas xics\ncas xive\ncas auto\n\
            negotiate ims on\nnegotiate change-msi-busy off\nboot\n\
            request 0000:00:01.0 msix 3\nrequest 0001:00:02.0 msi 4 min 2\n\
            request /hpet@f0000000 msi 2 min 1\nrequest 0000:00:04.0 ims 8\n\
            free 0000:00:03.0\nunbind 0000:00:03.0\nfire 0000:00:01.0 2\n\
            start 0000:00:01.0 1\nstart /hpet@f0000000 all\n\
            expect rtas-log x.jsonl\nsuspend\nresume keep\nresume renumber\n\
            save s.state\nrestore s.state\nexpect virqs-stable\nexpect sources-changed\n\
            expect granted 0000:00:01.0 3\nexpect request-fails 0000:00:01.0\n\
            expect fires 0000:00:01.0 1\nexpect controller xive\nexpect controller xics\n\
            eeh freeze 0000:00:01.0\neeh recover 0000:00:01.0\nexpect frozen 0000:00:01.0\n\
            fault ibm,change-msi busy\nfault ibm,change-msi fewer 2 after 1 times 5\n\
            fault ibm,configure-pe delay 2 times 3\nfault ibm,set-slot-reset status -9001\n\
            fault ibm,read-slot-reset-state2 hw-error after 4\n\
            hotplug add 0000:00:10.0 h.dts\nhotplug remove 0000:00:10.0\n";
        let steps = parse(text, "t").unwrap();
        assert_eq!(steps.len(), text.lines().count());
        for (s, want) in steps.iter().zip(text.lines()) {
            assert_eq!(s.cmd.to_string(), want);
            let again = parse(&s.cmd.to_string(), "t").unwrap();
            assert_eq!(again[0].cmd, s.cmd, "{want}");
        }
    }
}
