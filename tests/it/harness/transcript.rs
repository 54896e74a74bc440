//! What a user sees when a command goes wrong, pinned by a snapshot: each
//! run's command line, exit code and stderr, with the test's temporary
//! directories (and the test token) written as placeholders, so the text
//! is the same on every run and every machine.

use std::process::Output;

use super::{Env, TOKEN};

/// The runs of one test, as an insta snapshot shows them.
#[derive(Debug, Default)]
pub struct Transcript {
    text: String,
}

impl Transcript {
    pub fn new() -> Transcript {
        Transcript::default()
    }

    /// Records `out`, a run of `command` (written as a user would type
    /// it) in `env`.
    pub fn add(&mut self, env: &Env, command: &str, out: &Output) {
        let status = match out.status.code() {
            Some(code) => format!("exit {code}"),
            None => "killed by a signal".to_string(),
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        let entry = format!("$ {command}\n{status}\n{stderr}\n");
        self.text.push_str(&redact(env, &entry));
    }

    /// A line saying what the runs after it are about (`# text`).
    pub fn note(&mut self, text: &str) {
        self.text.push_str(&format!("# {text}\n\n"));
    }

    /// `env.run(args)`, recorded.
    pub fn run(&mut self, env: &Env, args: &[&str]) -> Output {
        let out = env.run(args);
        self.add(env, &command_line(args), &out);
        out
    }

    /// `env.run_stdin(args, input)`, recorded with `stdin` saying what
    /// the input was.
    pub fn run_stdin(&mut self, env: &Env, args: &[&str], input: &[u8], stdin: &str) -> Output {
        let out = env.run_stdin(args, input);
        self.add(env, &format!("{} < [{stdin}]", command_line(args)), &out);
        out
    }

    /// Everything recorded, for `insta::assert_snapshot!`.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// `bscred ARGS` as a shell command line: a word that is empty or holds
/// anything but plain characters is single-quoted.
pub fn command_line(args: &[&str]) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_=./:,@[]".contains(c);
    let words: Vec<String> = args
        .iter()
        .map(|arg| {
            if !arg.is_empty() && arg.chars().all(plain) {
                arg.to_string()
            } else {
                format!("'{}'", arg.replace('\'', r"'\''"))
            }
        })
        .collect();
    format!("bscred {}", words.join(" "))
}

/// `text` with `env`'s directories written `[BSCRED_HOME]`, `[HOME]` and
/// `[WORK]` (as given and as the file system names them), and the test
/// token `[TOKEN]`.
pub fn redact(env: &Env, text: &str) -> String {
    let mut text = text.replace(TOKEN, "[TOKEN]");
    for (dir, placeholder) in [
        (&env.bscred_home, "[BSCRED_HOME]"),
        (&env.home, "[HOME]"),
        (&env.work, "[WORK]"),
    ] {
        let mut forms = vec![dir.clone()];
        if let Ok(canonical) = dir.canonicalize() {
            forms.push(canonical);
        }
        for form in forms {
            text = text.replace(&form.display().to_string(), placeholder);
        }
    }
    text
}
