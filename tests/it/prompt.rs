//! The hidden prompt on a real pseudo-terminal: Ctrl-C ends the command
//! with 130 and leaves the terminal echoing as before, and the line
//! editing a person expects (erase, kill, Ctrl-D) works.
#![cfg(unix)]

use crate::harness::pty::{command_on_pty, on_pty};
use crate::harness::{self, Env, TOKEN, have};

/// The prompt `set GITHUB_TOKEN` shows.
const VALUE_PROMPT: &str = "Value for GITHUB_TOKEN (input hidden): ";

/// What the terminal showed around one bscred run.
struct Run {
    /// bscred's exit status, as the shell saw it.
    status: Option<i32>,
    /// `stty -g` before and after bscred: every setting, in one line.
    before: String,
    after: String,
    /// The words of `stty -a` after bscred, to name what changed.
    words: Vec<String>,
}

/// Runs `bscred ARGS` between two `stty` calls in one terminal session,
/// typing `steps` as `on_pty` does. The shell traps SIGINT (with a
/// handler, not `''`, which bscred would inherit): a Ctrl-C that the
/// terminal turns into a signal for the whole foreground group must not
/// end the shell before `stty` shows what bscred left behind.
fn between_stty(env: &Env, args: &str, steps: &[(&str, &str)]) -> Run {
    let command = format!(
        "trap 'echo shell-interrupted' INT; echo \"before $(stty -g)\"; '{}' {args}; \
         echo \"bscred exited $?\"; echo \"after $(stty -g)\"; stty -a",
        harness::bin().display()
    );
    let (code, screen) = command_on_pty(env, &[], &command, steps);
    assert_eq!(code, Some(0), "the shell or stty failed:\n{screen}");
    assert!(!screen.contains(TOKEN), "the token was echoed: {screen}");
    let word_after = |label: &str| {
        screen
            .split_once(label)
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no {label:?} on the screen:\n{screen}"))
            .to_string()
    };
    let (_, last) = screen.split_once("after ").expect("after");
    Run {
        status: word_after("bscred exited ").parse().ok(),
        before: word_after("before "),
        after: word_after("after "),
        words: last
            .split(|c: char| c.is_whitespace() || c == ';')
            .map(str::to_string)
            .collect(),
    }
}

/// Asserts that bscred left the terminal exactly as it found it: echo on,
/// and every other setting too.
fn assert_restored(run: &Run) {
    let words = &run.words;
    assert!(
        words.iter().any(|w| w == "echo") && !words.iter().any(|w| w == "-echo"),
        "the terminal was left without echo: {words:?}"
    );
    assert_eq!(
        run.before, run.after,
        "the terminal settings changed: {words:?}"
    );
}

#[test]
fn ctrl_c_at_the_hidden_prompt_exits_130_and_restores_echo() {
    if !have("script") || !have("stty") {
        return;
    }
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let before = env.files();
    // Part of a value typed, then Ctrl-C: nothing of it is kept.
    let run = between_stty(
        &env,
        "set GITHUB_TOKEN",
        &[(VALUE_PROMPT, "ghp_partial"), ("", "\x03")],
    );
    assert_eq!(run.status, Some(130), "{:?}", run.words);
    assert_restored(&run);
    harness::assert_unchanged(&env, &before);
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);

    // A new variable is not created either.
    let run = between_stty(&env, "set NEW_TOKEN", &[("(input hidden): ", "\x03")]);
    assert_eq!(run.status, Some(130), "{:?}", run.words);
    assert_restored(&run);
    harness::assert_unchanged(&env, &before);
}

#[test]
fn ctrl_c_at_the_passphrase_prompt_exits_130_and_restores_echo() {
    if !have("script") || !have("stty") {
        return;
    }
    let (env, _file) = Env::protected("correct horse battery staple");
    env.set("GITHUB_TOKEN", TOKEN);
    // The session cache off, so `get` has to ask.
    let config = env.bscred_home.join("config");
    std::fs::create_dir_all(&config).expect("mkdir");
    std::fs::write(config.join("config.toml"), "unlock_minutes = 0\n").expect("write config");
    let run = between_stty(
        &env,
        "get GITHUB_TOKEN",
        &[("Passphrase for", "wrong"), ("", "\x03")],
    );
    assert_eq!(run.status, Some(130), "{:?}", run.words);
    assert_restored(&run);

    // Under `exec` too: an interrupt, not a failure to start (125).
    let run = between_stty(&env, "exec -- true", &[("Passphrase for", "\x03")]);
    assert_eq!(run.status, Some(130), "{:?}", run.words);
    assert_restored(&run);
}

#[test]
fn the_hidden_prompt_edits_the_line_as_a_terminal_does() {
    if !have("script") {
        return;
    }
    let env = Env::initialised();
    // Erase (DEL, the pty's default erase character) removes one
    // character, a multi-byte one whole; Ctrl-U drops everything typed.
    let typed = format!("wrong\x15{TOKEN}x\x7f\r");
    let (code, screen) = on_pty(&env, &[], "set GITHUB_TOKEN", &[(VALUE_PROMPT, &typed)]);
    assert_eq!(code, Some(0), "{screen}");
    assert!(!screen.contains(TOKEN), "the token was echoed: {screen}");
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);

    let (code, screen) = on_pty(
        &env,
        &[],
        "set DISPLAY_PASSWORD --secret",
        &[("(input hidden): ", "zoé\x7f\x7fe\r")],
    );
    assert_eq!(code, Some(0), "{screen}");
    assert_eq!(env.get("DISPLAY_PASSWORD"), "ze");

    // Ctrl-D on an empty line is the end of input: nothing entered.
    let (code, screen) = on_pty(&env, &[], "set GITHUB_TOKEN", &[(VALUE_PROMPT, "\x04")]);
    assert_eq!(code, Some(2), "{screen}");
    assert!(screen.contains("no value entered"), "{screen}");
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
}
