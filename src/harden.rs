//! Process hardening done first thing, before any secret is read.

/// Marks the process non-dumpable on Linux (`prctl(PR_SET_DUMPABLE, 0)`): no
/// core file with secrets in it, and no ptrace by other processes of the same
/// user. `execve` resets the flag, so a command started by `exec` is not
/// affected — unlike `RLIMIT_CORE=0`, which would be inherited.
pub fn harden() {
    #[cfg(target_os = "linux")]
    {
        // Failure is not fatal: some sandboxes forbid prctl; bscred still
        // works, only without this protection.
        let _ =
            rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn process_becomes_non_dumpable() {
        super::harden();
        let dumpable = rustix::process::dumpable_behavior().expect("prctl");
        assert_eq!(dumpable, rustix::process::DumpableBehavior::NotDumpable);
    }
}
