//! Real git, kept hermetic: it only ever sees the test's HOME, never this
//! machine's system config (which names a credential helper of its own),
//! and never prompts.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use super::Env;
use super::process::output_fed;

/// What keeps git hermetic, for git and for every bscred that runs git.
pub const HERMETIC: [(&str, &str); 2] =
    [("GIT_CONFIG_NOSYSTEM", "1"), ("GIT_TERMINAL_PROMPT", "0")];

/// `program` in `dir` with the sealed environment and `HERMETIC`; the
/// helper git starts gets BSCRED_HOME and the fixed clock from it.
pub fn sealed(program: &str, env: &Env, dir: &Path) -> Command {
    let mut cmd = env.sealed(program);
    cmd.envs(HERMETIC).current_dir(dir);
    cmd
}

/// git in `dir`, as `sealed` runs it.
pub fn git_command(env: &Env, dir: &Path) -> Command {
    sealed("git", env, dir)
}

/// Runs git in `dir` with `input` on stdin.
pub fn git_stdin(env: &Env, dir: &Path, args: &[&str], input: &[u8]) -> Output {
    output_fed(git_command(env, dir).args(args), input)
}

/// Runs git in `dir` and asserts success, returning stdout.
pub fn git_ok(env: &Env, dir: &Path, args: &[&str]) -> String {
    let out = git_command(env, dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}
